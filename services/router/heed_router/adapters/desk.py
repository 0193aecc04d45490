"""The cases API's desk over PostgreSQL: reads of the router's tables and the commands agents give.

Each command runs in one transaction that locks the case, applies the lifecycle's pure function,
saves the case with its events (and an answer for the responder), then publishes them after the
commit and marks them published; a publish that fails leaves them to the router's tick.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg

from heed.contracts import topics
from heed.contracts.events import CaseEvent, Channel, ClassifierCorrection, ClassifierLabels, Visibility, derive_id
from heed.runtime.messaging import Outgoing
from heed.runtime.ports import Clock, EventPublisher
from heed_router.adapters.postgres import CASE_COLUMNS, Conn, PostgresCases, PostgresCaseUnit, case_from
from heed_router.adapters.queue import claimed_count, lock_next_case, record_turn
from heed_router.domain import lifecycle
from heed_router.domain.desk import (
    AnswerView,
    CapacityReached,
    CaseConflict,
    CaseDetail,
    CaseFilter,
    CaseMention,
    CaseNotFound,
    CasePage,
    CaseSummary,
    CaseTransition,
    CorrectionView,
    DeskError,
    NoteView,
    QueueChange,
)
from heed_router.domain.lifecycle import Case, Change, LifecycleError
from heed_router.domain.rules import RuleTable
from heed_router.handlers import publish_changes

_SUMMARY = (", ".join(f"c.{n}" for n in CASE_COLUMNS)
            + ", c.urgency_rank, (SELECT count(*) FROM routed r WHERE r.case_id = c.case_id) AS mentions")


class PostgresDesk:
    """The CaseDesk port over the router's schema."""

    def __init__(self, store: PostgresCases, *, rules: Callable[[], RuleTable], publisher: EventPublisher,
                 clock: Clock) -> None:
        self.store, self.pool, self.rules, self.publisher, self.clock = store, store.pool, rules, publisher, clock

    # --- reads -------------------------------------------------------------------------------

    async def list_cases(self, filters: CaseFilter, *, limit: int, cursor: str | None) -> CasePage:
        where, args = _where(filters)
        if cursor is not None:
            rank, queued, case_id = _decode(cursor)
            args += [rank, queued, case_id]
            n = len(args)
            # keyset pagination in queue order: urgency down, then oldest in the queue, then id
            where.append(f"(-c.urgency_rank, coalesce(c.queued_at, c.opened_at), c.case_id) >"
                         f" (-${n - 2}::int, ${n - 1}::timestamptz, ${n}::uuid)")
        args.append(limit + 1)
        rows = await self.pool.fetch(
            f"SELECT {_SUMMARY} FROM cases c {'WHERE ' + ' AND '.join(where) if where else ''}"
            f" ORDER BY c.urgency_rank DESC, coalesce(c.queued_at, c.opened_at), c.case_id LIMIT ${len(args)}",
            *args)
        page = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            last = page[-1]
            next_cursor = _encode(last["urgency_rank"], last["queued_at"] or last["opened_at"], last["case_id"])
        return CasePage(items=[_summary(r) for r in page], next_cursor=next_cursor)

    async def get_case(self, case_id: uuid.UUID) -> CaseDetail:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(f"SELECT {_SUMMARY} FROM cases c WHERE c.case_id = $1", case_id)
            if row is None:
                raise CaseNotFound(f"no case {case_id}")
            mentions = await conn.fetch(
                "SELECT mention_id, native_id, visibility, urgency, rule_id, routed_at, category, issue_type,"
                " sentiment, explanation, model_version, language, script, account FROM routed"
                " WHERE case_id = $1 ORDER BY routed_at, mention_id", case_id)
            corrections = await conn.fetch(
                "SELECT mention_id, field, original, corrected, actor, corrected_at FROM case_corrections"
                " WHERE case_id = $1 ORDER BY corrected_at, mention_id, field", case_id)
            events = await conn.fetch("SELECT seq, body FROM case_events WHERE case_id = $1 ORDER BY seq", case_id)
            answers = await conn.fetch(
                "SELECT answer_id, kind, author, body, created_at, reply_status, reply_error, sent_at"
                " FROM case_answers WHERE case_id = $1 ORDER BY created_at", case_id)
            notes = await conn.fetch(
                "SELECT note_id, author, text, created_at FROM case_notes WHERE case_id = $1 ORDER BY created_at",
                case_id)
        summary = _summary(row)
        case = case_from(row)
        return CaseDetail(
            **summary.model_dump(), thread_root=case.thread_root, first_mention_id=case.first_mention_id,
            first_due_at=case.first_due_at, sla_policy=case.sla_policy, acknowledged_at=case.acknowledged_at,
            closed_at=case.closed_at, reopened=case.reopened, follow_up_sent_at=case.follow_up_sent_at,
            case_mentions=[CaseMention(mention_id=m["mention_id"], native_id=m["native_id"] or "",
                                       visibility=Visibility(m["visibility"] or "public"), urgency=m["urgency"],
                                       rule_id=m["rule_id"], routed_at=m["routed_at"], category=m["category"],
                                       issue_type=m["issue_type"], sentiment=m["sentiment"],
                                       explanation=m["explanation"], model_version=m["model_version"],
                                       language=m["language"], script=m["script"], account=m["account"])
                          for m in mentions],
            transitions=[_transition(e["seq"], CaseEvent.model_validate_json(e["body"])) for e in events],
            answers=[_answer(a) for a in answers],
            notes=[NoteView(note_id=n["note_id"], author=n["author"], text=n["text"], created_at=n["created_at"])
                   for n in notes],
            corrections=[CorrectionView(mention_id=c["mention_id"], field=c["field"], original=c["original"],
                                        corrected=c["corrected"], actor=c["actor"], corrected_at=c["corrected_at"])
                         for c in corrections])

    async def latest_change(self) -> int:
        return int(await self.pool.fetchval("SELECT coalesce(max(seq), 0) FROM case_events"))

    async def changes_after(self, seq: int, department: str | None, limit: int) -> list[QueueChange]:
        rows = await self.pool.fetch(
            "SELECT seq, body FROM case_events WHERE seq > $1 AND ($2::text IS NULL OR body->>'department' = $2"
            " OR body->>'previous_department' = $2) ORDER BY seq LIMIT $3", seq, department, limit)
        changes = []
        for r in rows:
            e = CaseEvent.model_validate_json(r["body"])
            changes.append(QueueChange(seq=r["seq"], case_id=e.case_id, kind=e.kind, status=e.status,
                                       department=e.department, previous_department=e.previous_department,
                                       priority=e.priority, urgency=e.urgency, actor=e.actor,
                                       occurred_at=e.occurred_at))
        return changes

    # --- commands ----------------------------------------------------------------------------

    @asynccontextmanager
    async def _command(self, case_id: uuid.UUID) -> AsyncIterator[tuple[PostgresCaseUnit, Case, list[Change]]]:
        """Lock the case; the block appends its changes, which are saved, committed, then published."""
        changes: list[Change] = []
        async with self.store.unit() as unit:
            found = await unit.cases([case_id])
            if case_id not in found:
                raise CaseNotFound(f"no case {case_id}")
            try:
                yield unit, found[case_id], changes
            except LifecycleError as refused:
                raise CaseConflict(str(refused)) from None
            await unit.save(changes)
        await publish_changes(changes, store=self.store, publisher=self.publisher)

    async def _capacity(self, conn: Conn, actor: str, now: datetime) -> None:
        capacity = self.rules().lifecycle.agent_capacity
        if await claimed_count(conn, actor, now) >= capacity:
            raise CapacityReached(f"{actor} already holds {capacity} claimed cases (the capacity); "
                                  "answer, resolve or release one first")

    async def claim_next(self, department: str, actor: str) -> CaseSummary | None:
        now = self.clock.now()
        table = self.rules()
        changes: list[Change] = []
        async with self.store.unit() as unit:
            await self._capacity(unit.conn, actor, now)
            case_id = await lock_next_case(unit.conn, department, now, actor)
            if case_id is None:
                return None
            case = (await unit.cases([case_id]))[case_id]
            change = lifecycle.claim(case, actor, timeout=table.lifecycle.claim_timeout, command=uuid.uuid4(),
                                     now=now)
            changes.append(change)
            await record_turn(unit.conn, department, case.customer, now)
            await unit.save(changes)
        await publish_changes(changes, store=self.store, publisher=self.publisher)
        return await self._summary(case_id)

    async def claim(self, case_id: uuid.UUID, actor: str) -> CaseSummary:
        now = self.clock.now()
        async with self._command(case_id) as (unit, case, changes):
            if case.claimed_by != actor:
                await self._capacity(unit.conn, actor, now)
            changes.append(lifecycle.claim(case, actor, timeout=self.rules().lifecycle.claim_timeout,
                                           command=uuid.uuid4(), now=now))
            await record_turn(unit.conn, case.department, case.customer, now)
        return await self._summary(case_id)

    async def release(self, case_id: uuid.UUID, actor: str, *, force: bool = False) -> CaseSummary:
        now = self.clock.now()
        async with self._command(case_id) as (_, case, changes):
            changes.append(lifecycle.release(case, actor, force=force, reason="released by " + actor,
                                             command=uuid.uuid4(), now=now))
        return await self._summary(case_id)

    async def answer(self, case_id: uuid.UUID, actor: str, text: str, visibility: Visibility | None) -> CaseDetail:
        now = self.clock.now()
        async with self._command(case_id) as (unit, case, changes):
            targets = await unit.targets([case_id])
            if case_id not in targets:
                raise CaseConflict("the case has no customer mention this router can reply to")
            changes.append(lifecycle.answer(case, actor, text=text, visibility=visibility, target=targets[case_id],
                                            command=uuid.uuid4(), now=now))
        return await self.get_case(case_id)

    async def add_note(self, case_id: uuid.UUID, actor: str, text: str) -> NoteView:
        now = self.clock.now()
        note_id = uuid.uuid4()
        async with self._command(case_id) as (unit, case, changes):
            await unit.conn.execute(
                "INSERT INTO case_notes (note_id, case_id, author, text, created_at) VALUES ($1, $2, $3, $4, $5)",
                note_id, case_id, actor, text, now)
            changes.append(lifecycle.note(case, actor, command=note_id, now=now))
        return NoteView(note_id=note_id, author=actor, text=text, created_at=now)

    async def transfer(self, case_id: uuid.UUID, actor: str, department: str, reason: str) -> CaseSummary:
        now = self.clock.now()
        async with self._command(case_id) as (_, case, changes):
            changes.append(lifecycle.transfer(case, actor, department=department, reason=reason,
                                              command=uuid.uuid4(), now=now))
        return await self._summary(case_id)

    async def correct(self, case_id: uuid.UUID, actor: str, labels: ClassifierLabels,
                      mention_id: uuid.UUID | None) -> CaseDetail:
        now = self.clock.now()
        command = uuid.uuid4()
        async with self._command(case_id) as (unit, case, changes):
            target = mention_id or case.first_mention_id
            row = await unit.conn.fetchrow(
                "SELECT native_id, author_id, text, category, issue_type, urgency, language, model_version,"
                " coalesce(received_at, routed_at) AS received_at FROM routed WHERE mention_id = $1 AND case_id = $2",
                target, case_id)
            if row is None:
                raise CaseNotFound(f"case {case_id} has no mention {target}")
            if not row["text"] or not row["native_id"] or not row["author_id"]:
                raise CaseConflict("the mention's text is no longer held (erased on request, or routed before "
                                   "corrections were kept): the correction cannot teach the classifier")
            original = _original(row, labels)
            correction = ClassifierCorrection(
                event_id=derive_id("classifier-correction", case_id, target, command), occurred_at=now,
                case_id=case_id, mention_id=target, channel=Channel(case.channel), native_id=row["native_id"],
                customer=f"{case.channel}:{row['author_id']}", text=row["text"], received_at=row["received_at"],
                model_version=row["model_version"], original=original, corrected=labels, actor=actor,
                corrected_at=now)
            changes.append(lifecycle.correct(case, actor, mention_id=target, original=original, corrected=labels,
                                             command=command, now=now))
            given, was = labels.given(), original.given()
            await unit.conn.execute(
                "INSERT INTO case_corrections (mention_id, field, case_id, original, corrected, actor, corrected_at)"
                " SELECT $1, f, $2, o, c, $3, $4 FROM unnest($5::text[], $6::text[], $7::text[]) AS x(f, o, c)"
                " ON CONFLICT (mention_id, field) DO UPDATE SET corrected = excluded.corrected, actor = excluded.actor,"
                " corrected_at = excluded.corrected_at WHERE case_corrections.corrected_at <= excluded.corrected_at",
                target, case_id, actor, now, [f.value for f in given], [was.get(f) for f in given],
                list(given.values()))
            # published before the commit: a failed publish rolls the correction back and the agent is told
            await self.publisher.publish([Outgoing(topics.CLASSIFIER_CORRECTIONS, correction, str(target))])
        return await self.get_case(case_id)

    async def resolve(self, case_id: uuid.UUID, actor: str, reason: str) -> CaseSummary:
        now = self.clock.now()
        async with self._command(case_id) as (_, case, changes):
            consent = (await self.store.customers([case.customer])).get(case.customer)
            changes.append(lifecycle.resolve(
                case, actor, reason=reason, follow_up=consent is None or consent.follow_up_consent is not False,
                reopen_window=self.rules().lifecycle.reopen_window, command=uuid.uuid4(), now=now))
        return await self._summary(case_id)

    async def _summary(self, case_id: uuid.UUID) -> CaseSummary:
        row = await self.pool.fetchrow(f"SELECT {_SUMMARY} FROM cases c WHERE c.case_id = $1", case_id)
        if row is None:
            raise CaseNotFound(f"no case {case_id}")
        return _summary(row)


def _where(f: CaseFilter) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []

    def add(sql: str, value: Any) -> None:
        args.append(value)
        where.append(sql.replace("?", f"${len(args)}"))

    if f.department is not None:
        add("c.department = ?", f.department)
    if f.status:
        add("c.status = ANY(?::text[])", [s.value for s in f.status])
    if f.urgency:
        add("c.urgency = ANY(?::text[])", [u.value for u in f.urgency])
    if f.channel:
        add("c.channel = ANY(?::text[])", [c.value for c in f.channel])
    if f.claimed_by is not None:
        add("c.claimed_by = ?", f.claimed_by)
    if f.customer is not None:
        add("c.customer = ?", f.customer)
    if f.breached is not None:
        where.append("c.sla_breached_at IS NOT NULL" if f.breached else "c.sla_breached_at IS NULL")
    return where, args


def _encode(rank: int, queued: datetime, case_id: uuid.UUID) -> str:
    raw = json.dumps([rank, queued.isoformat(), str(case_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[int, datetime, uuid.UUID]:
    try:
        rank, queued, case_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return int(rank), datetime.fromisoformat(queued), uuid.UUID(case_id)
    except (ValueError, TypeError) as bad:
        raise DeskError("cursor is not one this API gave out; start again without it") from bad


def _summary(r: asyncpg.Record) -> CaseSummary:
    return CaseSummary(
        case_id=r["case_id"], status=r["status"], department=r["department"], channel=r["channel"],
        customer=r["customer"], mode=r["mode"], rule_id=r["rule_id"], priority=r["priority"], urgency=r["urgency"],
        language=r["language"], script=r["script"] if r["script"] in ("Hans", "Hant") else None,
        opened_at=r["opened_at"], queued_at=r["queued_at"], sla_due_at=r["sla_due_at"],
        sla_breached=r["sla_breached_at"] is not None, claimed_by=r["claimed_by"],
        claim_expires_at=r["claim_expires_at"], first_response_at=r["first_response_at"],
        resolved_at=r["resolved_at"], rating=r["rating"], mentions=r["mentions"], owner=r["reserved_for"],
        reserved_until=r["reserved_until"])


def _transition(seq: int, e: CaseEvent) -> CaseTransition:
    return CaseTransition(seq=seq, event_id=e.event_id, kind=e.kind, status=e.status,
                          previous_status=e.previous_status, actor=e.actor, department=e.department,
                          detail=e.detail, occurred_at=e.occurred_at)


def _answer(a: asyncpg.Record) -> AnswerView:
    body = json.loads(a["body"])
    return AnswerView(answer_id=a["answer_id"], kind=a["kind"], author=a["author"],
                      visibility=Visibility(body["visibility"]), text=body.get("text"), created_at=a["created_at"],
                      reply_status=a["reply_status"], reply_error=a["reply_error"], sent_at=a["sent_at"])


def _original(row: asyncpg.Record, corrected: ClassifierLabels) -> ClassifierLabels:
    """The classifier's labels of the fields `corrected` gives, as routed (a value the contract no
    longer knows is left out rather than refusing the correction)."""
    values = {}
    for field in corrected.given():
        value = row[field.value]
        if value is None:
            continue
        try:
            values[field.value] = ClassifierLabels.model_validate({field.value: value}).given()[field]
        except ValueError:
            continue
    return ClassifierLabels.model_validate(values)
