"""The router's tables in PostgreSQL: cases and their lifecycle, routing decisions, customer tiers
(and erased identities' keyed hashes), case events and answers (an outbox: written with the change,
published after, or by a consumer's handler before its commit), timers, alerts."""

from __future__ import annotations

import dataclasses
import typing
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from heed.contracts.events import (
    Alert,
    CaseAnswer,
    CaseEvent,
    CaseStatus,
    Channel,
    CustomerTier,
    HandlingMode,
    Reply,
    Urgency,
    Visibility,
    derive_id,
)
from heed.identity_hashes import IdentityHashes
from heed_router.domain.cases import KnownCustomer, RoutedRow
from heed_router.domain.customers import (
    CustomerLearning,
    CustomerRow,
    Forgetting,
    HeldCustomers,
    forgotten_thread,
    split_identity,
)
from heed_router.domain.lifecycle import URGENCY_RANK, Case, Change, DueTimer, ReplyTarget, Timer

Conn = asyncpg.Connection | PoolConnectionProxy  # a connection, or one lent by the pool

CASE_COLUMNS = tuple(f.name for f in dataclasses.fields(Case))
_CASE_SELECT = ", ".join(f"c.{name}" for name in CASE_COLUMNS)
_ENUMS: dict[str, Any] = {"status": CaseStatus, "mode": HandlingMode, "urgency": Urgency}


def case_from(record: asyncpg.Record) -> Case:
    values = {name: record[name] for name in CASE_COLUMNS}
    for name, enum in _ENUMS.items():
        values[name] = enum(values[name])
    return Case(**values)


def _sql_type(hint: object) -> str:
    """The PostgreSQL array element type of a Case field's Python type."""
    kinds = set(typing.get_args(hint)) - {type(None)} or {hint}
    kind = next(iter(kinds))
    if kind is uuid.UUID:
        return "uuid"
    if kind is datetime:
        return "timestamptz"
    if kind is timedelta:
        return "interval"
    if kind is int:
        return "int"
    return "text"  # str and the enums, stored as their values


_CASE_TYPES = {name: _sql_type(hint) for name, hint in typing.get_type_hints(Case).items()}
_UPSERT_COLUMNS = (*CASE_COLUMNS, "urgency_rank")


def _case_columns(cases: Sequence[Case]) -> list[list[object]]:
    """The cases column by column (unnest's arrays), enums as their values, with each urgency's rank."""
    columns: list[list[object]] = []
    for name in CASE_COLUMNS:
        values = [getattr(c, name) for c in cases]
        columns.append([v.value for v in values] if name in _ENUMS else values)
    columns.append([URGENCY_RANK[c.urgency] for c in cases])
    return columns


# One statement for a whole batch of cases (a row per case would be a round trip each).
_UPSERT_CASES = (
    f"INSERT INTO cases ({', '.join(_UPSERT_COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(f"${i + 1}::{_CASE_TYPES.get(name, 'int')}[]" for i, name in enumerate(_UPSERT_COLUMNS))
    + ") ON CONFLICT (case_id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _UPSERT_COLUMNS if name not in ("case_id", "version"))
    + ", updated_at = now(), version = cases.version + 1")


def unkeyed_identity_key(identity: str) -> bytes:
    """The key an erased identity was remembered by before migration 006 (derived from the identity
    alone, so a guessed platform id finds it): still looked for, replaced when the identity is next named."""
    return derive_id("erased-identity", identity).bytes


class PostgresCaseUnit:
    """One transaction on one connection: the CaseUnit port."""

    def __init__(self, conn: Conn, hashes: IdentityHashes) -> None:
        self.conn = conn
        self.hashes = hashes
        # erased identities found under an older key (a retired HEED_ERASURE_KEY, or unkeyed):
        # `remember` stores them under the current one
        self._rehash: dict[str, int] = {}

    async def routed(self, mention_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, RoutedRow]:
        if not mention_ids:
            return {}
        rows = await self.conn.fetch(
            "SELECT r.*, c.first_mention_id = r.mention_id AS new_case FROM routed r"
            " JOIN cases c USING (case_id) WHERE r.mention_id = ANY($1::uuid[])", list(mention_ids))
        return {r["mention_id"]: _routed_from(r) for r in rows}

    async def conversations(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Case]:
        if not keys:
            return {}
        # an erased case's conversation is kept under its forgotten root: found, so that the thread's
        # next case is a new generation (a new id), never the erased case again
        lookup = {**{(c, forgotten_thread(c, root)): (c, root) for c, root in keys}, **{k: k for k in keys}}
        rows = await self.conn.fetch(
            f"SELECT {_CASE_SELECT}, v.thread_root AS conversation_root FROM conversations v"
            " JOIN cases c ON c.case_id = v.case_id"
            " WHERE (v.channel, v.thread_root) IN (SELECT * FROM unnest($1::text[], $2::text[]))"
            " ORDER BY c.case_id FOR UPDATE OF c", [k[0] for k in lookup], [k[1] for k in lookup])
        found: dict[tuple[str, str], Case] = {}
        for r in rows:
            key, case = lookup[(r["channel"], r["conversation_root"])], case_from(r)
            if key not in found or found[key].generation < case.generation:
                found[key] = case
        return found

    async def cases(self, case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Case]:
        if not case_ids:
            return {}
        rows = await self.conn.fetch(
            f"SELECT {_CASE_SELECT} FROM cases c WHERE c.case_id = ANY($1::uuid[]) ORDER BY c.case_id FOR UPDATE",
            sorted(set(case_ids)))
        return {r["case_id"]: case_from(r) for r in rows}

    async def targets(self, case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ReplyTarget]:
        if not case_ids:
            return {}
        rows = await self.conn.fetch(
            "SELECT c.case_id, c.channel, r.mention_id, r.native_id, r.author_id, r.visibility, r.language,"
            " r.script, r.received_at, r.account, c.language AS case_language FROM cases c"
            " JOIN routed r ON r.mention_id = c.last_mention_id WHERE c.case_id = ANY($1::uuid[])",
            list(set(case_ids)))
        return {r["case_id"]: ReplyTarget(
            mention_id=r["mention_id"], channel=Channel(r["channel"]), native_id=r["native_id"] or "",
            author_id=r["author_id"] or "", visibility=Visibility(r["visibility"] or "public"),
            language=r["language"] or r["case_language"] or "und", script=r["script"],
            received_at=r["received_at"], account=r["account"]) for r in rows if r["native_id"] and r["author_id"]}

    async def take_due_timers(self, now: datetime, limit: int) -> list[DueTimer]:
        # Cases are locked before their timers, as every other writer does (routing, replies, the
        # desk lock the case, then write its timers): the other order could deadlock. A case busy
        # in another transaction, or taken by another router's tick, is skipped until the next tick.
        due = await self.conn.fetch(
            "SELECT case_id FROM case_timers WHERE fired_at IS NULL AND due_at <= $1"
            " GROUP BY case_id ORDER BY min(due_at) LIMIT $2", now, limit)
        if not due:
            return []
        locked = await self.conn.fetch(
            "SELECT case_id FROM cases WHERE case_id = ANY($1::uuid[]) ORDER BY case_id FOR UPDATE SKIP LOCKED",
            [r["case_id"] for r in due])
        rows = await self.conn.fetch(
            "SELECT case_id, kind, due_at FROM case_timers WHERE case_id = ANY($1::uuid[]) AND fired_at IS NULL"
            " AND due_at <= $2 ORDER BY due_at, case_id, kind FOR UPDATE", [r["case_id"] for r in locked], now)
        return [DueTimer(r["case_id"], Timer(r["kind"]), r["due_at"]) for r in rows]

    async def save(self, changes: Sequence[Change], routed: Sequence[RoutedRow] = (),
                   fired: Sequence[DueTimer] = (), published: bool = False) -> None:
        conn = self.conn
        if changes:
            await conn.execute(_UPSERT_CASES, *_case_columns([c.case for c in changes]))
            created = [c.case for c in changes if c.created]
            if created:
                await conn.execute(
                    "INSERT INTO conversations (channel, thread_root, case_id, generation)"
                    " SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::int[])"
                    " ON CONFLICT (channel, thread_root) DO UPDATE SET case_id = excluded.case_id,"
                    " generation = excluded.generation WHERE conversations.generation < excluded.generation",
                    [c.channel for c in created], [c.thread_root for c in created],
                    [c.case_id for c in created], [c.generation for c in created])
        if routed:
            await conn.execute(
                "INSERT INTO routed (mention_id, case_id, department, mode, priority, sla_due_at, rule_id,"
                " native_id, author_id, visibility, language, script, urgency, received_at, account, text, category,"
                " issue_type, sentiment, explanation, model_version)"
                " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[],"
                " $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],"
                " $13::text[], $14::timestamptz[], $15::text[], $16::text[], $17::text[], $18::text[], $19::float8[],"
                " $20::text[], $21::text[]) ON CONFLICT (mention_id) DO NOTHING",
                [r.mention_id for r in routed], [r.case_id for r in routed], [r.department for r in routed],
                [r.mode.value for r in routed], [r.priority for r in routed], [r.sla_due_at for r in routed],
                [r.rule_id for r in routed], [r.native_id for r in routed], [r.author_id for r in routed],
                [r.visibility.value for r in routed], [r.language for r in routed], [r.script for r in routed],
                [r.urgency.value for r in routed], [r.received_at for r in routed], [r.account for r in routed],
                [r.text for r in routed], [r.category for r in routed], [r.issue_type for r in routed],
                [r.sentiment for r in routed], [r.explanation for r in routed], [r.model_version for r in routed])
        events = [e for c in changes for e in c.events]
        if events:
            # the body without its null fields (a fifth of its bytes; every reader takes a missing
            # field for null): several events a mention make this the router's biggest table
            await conn.execute(
                "INSERT INTO case_events (event_id, case_id, kind, body, occurred_at, published_at)"
                " SELECT *, CASE WHEN $6 THEN now() END FROM unnest($1::uuid[], $2::uuid[], $3::text[],"
                " $4::jsonb[], $5::timestamptz[]) ON CONFLICT (event_id) DO NOTHING",
                [e.event_id for e in events], [e.case_id for e in events], [e.kind.value for e in events],
                [e.model_dump_json(exclude_none=True) for e in events], [e.occurred_at for e in events], published)
        answers = [a for c in changes for a in c.answers]
        if answers:
            await conn.execute(
                "INSERT INTO case_answers (answer_id, case_id, kind, author, body, created_at, published_at)"
                " SELECT *, CASE WHEN $7 THEN now() END FROM unnest($1::uuid[], $2::uuid[], $3::text[],"
                " $4::text[], $5::jsonb[], $6::timestamptz[]) ON CONFLICT (answer_id) DO NOTHING",
                [a.answer_id for a in answers], [a.case_id for a in answers], [a.kind.value for a in answers],
                [a.author for a in answers], [a.model_dump_json() for a in answers],
                [a.occurred_at for a in answers], published)
        if fired:
            await conn.execute(
                "UPDATE case_timers t SET fired_at = now() FROM unnest($1::uuid[], $2::text[], $3::timestamptz[])"
                " AS f(case_id, kind, due_at) WHERE t.case_id = f.case_id AND t.kind = f.kind"
                " AND t.due_at = f.due_at AND t.fired_at IS NULL",
                [t.case_id for t in fired], [t.timer.value for t in fired], [t.due_at for t in fired])
        armed = [(c.case.case_id, t.value, due) for c in changes for t, due in c.timers.items() if due is not None]
        cancelled = [(c.case.case_id, t.value) for c in changes for t, due in c.timers.items() if due is None]
        if cancelled:
            await conn.execute(
                "DELETE FROM case_timers t USING unnest($1::uuid[], $2::text[]) AS x(case_id, kind)"
                " WHERE t.case_id = x.case_id AND t.kind = x.kind",
                [c for c, _ in cancelled], [k for _, k in cancelled])
        if armed:
            await conn.execute(
                "INSERT INTO case_timers (case_id, kind, due_at)"
                " SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[])"
                " ON CONFLICT (case_id, kind) DO UPDATE SET due_at = excluded.due_at, fired_at = NULL",
                [a[0] for a in armed], [a[1] for a in armed], [a[2] for a in armed])

    async def answer_outcomes(self, replies: Sequence[Reply]) -> None:
        rows = [r for r in replies if r.answer_id is not None]
        if rows:
            await self.conn.execute(
                "UPDATE case_answers a SET reply_status = x.status, reply_error = x.error, sent_at = x.sent_at"
                " FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[])"
                " AS x(answer_id, status, error, sent_at) WHERE a.answer_id = x.answer_id"
                " AND a.reply_status IS DISTINCT FROM 'sent'",
                [r.answer_id for r in rows], [r.status.value for r in rows], [r.error for r in rows],
                [r.sent_at for r in rows])


    async def held_customers(self, identities: Sequence[str], customer_ids: Sequence[uuid.UUID]) -> HeldCustomers:
        if not identities and not customer_ids:
            return HeldCustomers()
        rows = await self.conn.fetch(
            "SELECT identity, customer_id, tier, owner, follow_up_consent, version FROM customer_tiers"
            # no row locks: every announcement's customer rows would be dirtied for them (heed bench), and
            # `remember` writes under the version guard, so a newer row written meanwhile is never undone
            " WHERE identity = ANY($1::text[]) OR customer_id = ANY($2::uuid[])",
            list(identities), list(customer_ids))
        found = {h: i for i in identities for h in self._every_hash(i)}
        erased: dict[str, int] = {}
        for r in await self.conn.fetch(
                "SELECT identity_hash, version FROM erased_identities WHERE identity_hash = ANY($1::bytea[])"
                " ORDER BY identity_hash FOR UPDATE", list(found)):
            identity = found[bytes(r["identity_hash"])]
            erased[identity] = max(erased.get(identity, 0), r["version"])
            if bytes(r["identity_hash"]) != self.hashes.identity(identity):
                self._rehash[identity] = erased[identity]
        return HeldCustomers(
            rows={r["identity"]: CustomerRow(r["identity"], r["customer_id"], CustomerTier(r["tier"]), r["owner"],
                                             r["follow_up_consent"], r["version"]) for r in rows},
            erased=erased)

    def _every_hash(self, identity: str) -> tuple[bytes, ...]:
        """Every key an erased identity may be remembered by: its keyed hash under each key, the current first."""
        return (*self.hashes.identity_all(identity), unkeyed_identity_key(identity))

    async def remember(self, learning: CustomerLearning) -> None:
        conn, forgotten, rows = self.conn, learning.forgotten, list(learning.rows.values())
        if forgotten:
            await conn.execute(
                "DELETE FROM customer_tiers t USING unnest($1::text[], $2::int[]) AS f(identity, version)"
                " WHERE t.identity = f.identity AND t.version <= f.version", list(forgotten), list(forgotten.values()))
        tombstones = dict(self._rehash)
        for identity, version in forgotten.items():
            tombstones[identity] = max(tombstones.get(identity, 0), version)
        if tombstones:
            await conn.execute("DELETE FROM erased_identities WHERE identity_hash = ANY($1::bytea[])",
                               [h for i in tombstones for h in self._every_hash(i)[1:]])
            await conn.execute(
                "INSERT INTO erased_identities (identity_hash, version) SELECT * FROM unnest($1::bytea[], $2::int[])"
                " ON CONFLICT (identity_hash) DO UPDATE SET version = excluded.version, erased_at = now()"
                " WHERE erased_identities.version < excluded.version",
                [self.hashes.identity(i) for i in tombstones], list(tombstones.values()))
            self._rehash.clear()
        if rows:
            # the version guard again: another router may have written a newer row since it was read
            await conn.execute(
                "INSERT INTO customer_tiers (identity, customer_id, tier, owner, follow_up_consent, version)"
                " SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::boolean[], $6::int[])"
                " ON CONFLICT (identity) DO UPDATE SET customer_id = excluded.customer_id, tier = excluded.tier,"
                " owner = excluded.owner, follow_up_consent = excluded.follow_up_consent,"
                " version = excluded.version, updated_at = now() WHERE customer_tiers.version <= excluded.version",
                [r.identity for r in rows], [r.customer_id for r in rows], [r.tier.value for r in rows],
                [r.owner for r in rows], [r.follow_up_consent for r in rows], [r.version for r in rows])
        if learning.regrouped:  # in order: a batch may move a key twice
            await conn.executemany(
                "INSERT INTO queue_turns (department, customer, last_served_at)"
                " SELECT department, $2::text, max(last_served_at) FROM queue_turns WHERE customer = $1::text"
                " GROUP BY department"
                " ON CONFLICT (department, customer) DO UPDATE"
                " SET last_served_at = greatest(queue_turns.last_served_at, excluded.last_served_at)",
                learning.regrouped)

    async def customer_cases(self, identities: Sequence[str]) -> dict[uuid.UUID, Case]:
        if not identities:
            return {}
        rows = await self.conn.fetch(
            f"SELECT {_CASE_SELECT} FROM cases c WHERE c.customer = ANY($1::text[]) ORDER BY c.case_id FOR UPDATE",
            sorted(set(identities)))
        return {r["case_id"]: case_from(r) for r in rows}

    async def forget(self, forgetting: Forgetting) -> None:
        conn = self.conn
        cases = list(forgetting.cases)
        if cases:
            # a thread erased before keeps its conversation under the same forgotten root: that older
            # row goes and the newer one (a later generation) takes its place, so the thread's next
            # case is the generation after both
            await conn.execute(
                "DELETE FROM conversations o USING conversations v, unnest($1::uuid[], $2::text[]) AS x(case_id, root)"
                " WHERE v.case_id = x.case_id AND o.channel = v.channel AND o.thread_root = x.root"
                " AND o.case_id <> v.case_id", cases, list(forgetting.cases.values()))
            await conn.execute(
                "UPDATE conversations v SET thread_root = x.root FROM unnest($1::uuid[], $2::text[])"
                " AS x(case_id, root) WHERE v.case_id = x.case_id", cases, list(forgetting.cases.values()))
            await conn.execute("UPDATE routed SET native_id = NULL, author_id = NULL, explanation = NULL, text = NULL"
                               " WHERE case_id = ANY($1::uuid[])", cases)
            await conn.execute("UPDATE case_notes SET text = '' WHERE case_id = ANY($1::uuid[])", cases)
            await conn.execute(
                "UPDATE case_events SET body = jsonb_set(body, '{detail}', to_jsonb(''::text))"
                " WHERE case_id = ANY($1::uuid[]) AND body->>'detail' <> ''", cases)
            await conn.execute(f"{_SCRUB_ANSWERS} WHERE case_id = ANY($1::uuid[])", cases)
        if forgetting.identities:
            # their mentions on other customers' cases, and the answers to those mentions (routed has
            # no index on the author: an erasure reads the table once, which rare erasures can afford)
            parts = [split_identity(i) for i in forgetting.identities]
            touched = await conn.fetch(
                "UPDATE routed r SET native_id = NULL, author_id = NULL, explanation = NULL, text = NULL"
                " FROM cases c, unnest($1::text[], $2::text[], $3::timestamptz[]) AS x(channel, platform_id, before)"
                " WHERE r.case_id = c.case_id AND c.channel = x.channel AND r.author_id = x.platform_id"
                " AND coalesce(r.received_at, r.routed_at) <= x.before RETURNING r.case_id, r.mention_id",
                [p[0] for p in parts], [p[1] for p in parts], list(forgetting.identities.values()))
            if touched:
                await conn.execute(
                    f"{_SCRUB_ANSWERS} WHERE case_id = ANY($1::uuid[]) AND body->>'mention_id' = ANY($2::text[])",
                    sorted({r["case_id"] for r in touched}), [str(r["mention_id"]) for r in touched])
        if forgetting.turns:
            await conn.execute("DELETE FROM queue_turns WHERE customer = ANY($1::text[])", list(forgetting.turns))


# An answer to a forgotten person: its text and whom it went to go; one not published yet never will be.
_SCRUB_ANSWERS = (
    "UPDATE case_answers SET body = body || jsonb_build_object('text', NULL, 'recipient_platform_id', 'erased',"
    " 'in_reply_to', 'erased', 'thread_root', NULL), reply_error = NULL, published_at = coalesce(published_at, now())")


def _routed_from(r: asyncpg.Record) -> RoutedRow:
    # rows routed before schema 002 lack the mention's details; they are only announced again
    return RoutedRow(
        mention_id=r["mention_id"], case_id=r["case_id"], department=r["department"],
        mode=HandlingMode(r["mode"]), priority=r["priority"], sla_due_at=r["sla_due_at"], rule_id=r["rule_id"],
        native_id=r["native_id"] or "", author_id=r["author_id"] or "",
        visibility=Visibility(r["visibility"] or "public"), language=r["language"] or "und", script=r["script"],
        urgency=Urgency(r["urgency"] or "normal"), received_at=r["received_at"] or r["routed_at"],
        new_case=bool(r["new_case"]), account=r["account"])


class PostgresCases:
    """The CaseStore over the router's schema."""

    def __init__(self, pool: asyncpg.Pool, hashes: IdentityHashes) -> None:
        self.pool = pool
        self.hashes = hashes  # HEED_ERASURE_KEY's: erased identities are remembered by these

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[PostgresCaseUnit]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield PostgresCaseUnit(conn, self.hashes)

    async def customers(self, identities: Sequence[str]) -> dict[str, KnownCustomer]:
        if not identities:
            return {}
        rows = await self.pool.fetch(
            "SELECT identity, tier, owner, follow_up_consent FROM customer_tiers WHERE identity = ANY($1::text[])",
            list(set(identities)))
        return {r["identity"]: KnownCustomer(CustomerTier(r["tier"]), r["owner"], r["follow_up_consent"])
                for r in rows}

    async def mark_published(self, event_ids: Sequence[uuid.UUID], answer_ids: Sequence[uuid.UUID]) -> None:
        if event_ids:
            await self.pool.execute(
                "UPDATE case_events SET published_at = now() WHERE event_id = ANY($1::uuid[])"
                " AND published_at IS NULL", list(event_ids))
        if answer_ids:
            await self.pool.execute(
                "UPDATE case_answers SET published_at = now() WHERE answer_id = ANY($1::uuid[])"
                " AND published_at IS NULL", list(answer_ids))

    async def unpublished(self, older_than: datetime, limit: int) -> tuple[list[CaseEvent], list[CaseAnswer]]:
        events = await self.pool.fetch(
            "SELECT body FROM case_events WHERE published_at IS NULL AND occurred_at < $1 ORDER BY seq LIMIT $2",
            older_than, limit)
        answers = await self.pool.fetch(
            "SELECT body FROM case_answers WHERE published_at IS NULL AND created_at < $1"
            " ORDER BY created_at LIMIT $2", older_than, limit)
        return ([CaseEvent.model_validate_json(r["body"]) for r in events],
                [CaseAnswer.model_validate_json(r["body"]) for r in answers])

    async def record_alerts(self, alerts: Sequence[Alert]) -> None:
        if alerts:
            await self.pool.executemany(
                "INSERT INTO alerts (event_id, alert_id, version, state, topic_kind, topic, window_count,"
                " total_count, opened_at, updated_at, resolved_at, example_mention_ids) VALUES ($1, $2, $3, $4, $5,"
                " $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING",
                [(a.event_id, a.alert_id, a.version, a.state.value, a.topic_kind.value, a.topic, a.window_count,
                  a.total_count, a.opened_at, a.updated_at, a.resolved_at, a.example_mention_ids) for a in alerts])
