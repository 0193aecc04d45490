"""In-memory fakes of the router's ports, for handler tests without a broker or a database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from heed.contracts.events import Alert, CaseAnswer, CaseEvent, Channel, CustomerTier, CustomerUpdate, Event, Reply
from heed_router.domain.cases import KnownCustomer, RoutedRow
from heed_router.domain.lifecycle import Case, Change, DueTimer, ReplyTarget, Timer
from tests.unit.fakes import FakePublisher, FixedClock  # noqa: F401 - shared by this service's tests

E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class CustomerVersion:
    tier: CustomerTier
    owner: str | None
    version: int
    follow_up: bool | None = None


class FakeUnit:
    """A CaseUnit on the fake's dictionaries. Writes go to a copy applied when the unit ends without
    an error, as a transaction would."""

    def __init__(self, store: FakeCases) -> None:
        self.store = store
        self.published: set[uuid.UUID] = set()
        self.staged: list[tuple[Sequence[Change], Sequence[RoutedRow], Sequence[DueTimer]]] = []
        self.outcomes: list[Reply] = []

    async def routed(self, mention_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, RoutedRow]:
        return {i: self.store.routed[i] for i in mention_ids if i in self.store.routed}

    async def conversations(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Case]:
        return {k: self.store.cases[self.store.conversations[k]] for k in keys if k in self.store.conversations}

    async def cases(self, case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Case]:
        return {i: self.store.cases[i] for i in case_ids if i in self.store.cases}

    async def targets(self, case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ReplyTarget]:
        found = {}
        for case_id in case_ids:
            case = self.store.cases.get(case_id)
            row = self.store.routed.get(case.last_mention_id) if case and case.last_mention_id else None
            if case is not None and row is not None:
                found[case_id] = ReplyTarget(
                    mention_id=row.mention_id, channel=Channel(case.channel), native_id=row.native_id,
                    author_id=row.author_id, visibility=row.visibility, language=row.language, script=row.script,
                    received_at=row.received_at, account=row.account)
        return found

    async def take_due_timers(self, now: datetime, limit: int) -> list[DueTimer]:
        due = sorted((t for t in self.store.timers.values() if t.due_at <= now), key=lambda t: t.due_at)
        return due[:limit]

    async def save(self, changes: Sequence[Change], routed: Sequence[RoutedRow] = (),
                   fired: Sequence[DueTimer] = (), published: bool = False) -> None:
        self.staged.append((list(changes), list(routed), list(fired)))
        if published:
            self.published.update(e.event_id for c in changes for e in c.events)
            self.published.update(a.answer_id for c in changes for a in c.answers)

    async def answer_outcomes(self, replies: Sequence[Reply]) -> None:
        self.outcomes.extend(replies)

    def commit(self) -> None:
        s = self.store
        s.published.update(self.published)
        for changes, routed, fired in self.staged:
            for t in fired:
                if s.timers.get((t.case_id, t.timer)) == t:
                    del s.timers[(t.case_id, t.timer)]
            for change in changes:
                case = change.case
                s.cases[case.case_id] = case
                if change.created:
                    key = (case.channel, case.thread_root)
                    current = s.conversations.get(key)
                    if current is None or s.cases[current].generation < case.generation:
                        s.conversations[key] = case.case_id
                for event in change.events:
                    s.events.setdefault(event.event_id, event)
                for answer in change.answers:
                    s.answers.setdefault(answer.answer_id, answer)
                for timer, due in change.timers.items():
                    if due is None:
                        s.timers.pop((case.case_id, timer), None)
                    else:
                        s.timers[(case.case_id, timer)] = DueTimer(case.case_id, timer, due)
            for row in routed:
                s.routed.setdefault(row.mention_id, row)
        for reply in self.outcomes:
            if reply.answer_id is not None:
                s.answer_status[reply.answer_id] = reply.status.value


class FakeCases:
    """The CaseStore in dictionaries."""

    def __init__(self) -> None:
        self.cases: dict[uuid.UUID, Case] = {}
        self.conversations: dict[tuple[str, str], uuid.UUID] = {}
        self.routed: dict[uuid.UUID, RoutedRow] = {}  # mention_id → its first routing
        self.events: dict[uuid.UUID, CaseEvent] = {}
        self.answers: dict[uuid.UUID, CaseAnswer] = {}
        self.published: set[uuid.UUID] = set()
        self.timers: dict[tuple[uuid.UUID, Timer], DueTimer] = {}
        self.answer_status: dict[uuid.UUID, str] = {}
        self.known: dict[str, CustomerVersion] = {}  # identity → newest tier and owner
        self.alerts: list[Alert] = []

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[FakeUnit]:
        unit = FakeUnit(self)
        yield unit
        unit.commit()

    async def customers(self, identities: Sequence[str]) -> dict[str, KnownCustomer]:
        return {i: KnownCustomer(self.known[i].tier, self.known[i].owner, self.known[i].follow_up)
                for i in identities if i in self.known}

    async def apply_customer_updates(self, updates: Sequence[CustomerUpdate]) -> None:
        for u in updates:
            for identity in u.identities:
                known = self.known.get(identity)
                if known is None or known.version <= u.version:
                    self.known[identity] = CustomerVersion(u.tier, u.owner, u.version, u.consent.get("follow_up"))

    async def mark_published(self, event_ids: Sequence[uuid.UUID], answer_ids: Sequence[uuid.UUID]) -> None:
        self.published.update(event_ids, answer_ids)

    async def unpublished(self, older_than: datetime, limit: int) -> tuple[list[CaseEvent], list[CaseAnswer]]:
        events = [e for i, e in self.events.items() if i not in self.published and e.occurred_at < older_than]
        answers = [a for i, a in self.answers.items() if i not in self.published and a.occurred_at < older_than]
        return events[:limit], answers[:limit]

    async def record_alerts(self, alerts: Sequence[Alert]) -> None:
        self.alerts.extend(alerts)

    def case_of(self, channel: str, thread_root: str) -> Case:
        return self.cases[self.conversations[(channel, thread_root)]]


class FakeNotifier:
    """The AlertNotifier as a list of the alerts it was handed."""

    def __init__(self) -> None:
        self.notified: list[Alert | CaseEvent] = []
        self.closed = False

    def notify(self, alert: Alert | CaseEvent) -> None:
        self.notified.append(alert)

    async def aclose(self) -> None:
        self.closed = True
