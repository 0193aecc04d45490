"""In-memory fakes of the router's ports, for handler tests without a broker or a database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from heed.contracts.events import Alert, CaseAnswer, CaseEvent, Channel, Event, Reply
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
from heed_router.domain.lifecycle import Case, Change, DueTimer, ReplyTarget, Timer
from tests.unit.fakes import FakePublisher, FixedClock  # noqa: F401 - shared by this service's tests

E = TypeVar("E", bound=Event)
HASHES = IdentityHashes([b"router test key " * 2])  # HEED_ERASURE_KEY's, as the fake remembers erased identities


def identity_key(identity: str) -> bytes:
    """What the fake's `erased` remembers an identity by: its keyed hash, as the real store."""
    return HASHES.identity(identity)


class FakeUnit:
    """A CaseUnit on the fake's dictionaries. Writes go to a copy applied when the unit ends without
    an error, as a transaction would."""

    def __init__(self, store: FakeCases) -> None:
        self.store = store
        self.published: set[uuid.UUID] = set()
        self.staged: list[Callable[[], None]] = []  # the writes, applied in order at commit

    async def routed(self, mention_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, RoutedRow]:
        return {i: self.store.routed[i] for i in mention_ids if i in self.store.routed}

    async def conversations(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Case]:
        found = {}
        for channel, root in keys:  # an erased case's conversation is kept under its forgotten root
            cases = [self.store.cases[self.store.conversations[k]] for k in
                     ((channel, root), (channel, forgotten_thread(channel, root))) if k in self.store.conversations]
            if cases:
                found[(channel, root)] = max(cases, key=lambda c: c.generation)
        return found

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
        changes, routed, fired = list(changes), list(routed), list(fired)
        self.staged.append(lambda: self.store.write(changes, routed, fired))
        if published:
            self.published.update(e.event_id for c in changes for e in c.events)
            self.published.update(a.answer_id for c in changes for a in c.answers)

    async def answer_outcomes(self, replies: Sequence[Reply]) -> None:
        outcomes = {r.answer_id: r.status.value for r in replies if r.answer_id is not None}
        self.staged.append(lambda: self.store.answer_status.update(outcomes))

    async def held_customers(self, identities: Sequence[str], customer_ids: Sequence[uuid.UUID]) -> HeldCustomers:
        s = self.store
        return HeldCustomers(
            rows={i: r for i, r in s.known.items() if i in identities or r.customer_id in customer_ids},
            erased={i: s.erased[identity_key(i)] for i in identities if identity_key(i) in s.erased})

    async def remember(self, learning: CustomerLearning) -> None:
        self.staged.append(lambda: self.store.remember(learning))

    async def customer_cases(self, identities: Sequence[str]) -> dict[uuid.UUID, Case]:
        return {i: c for i, c in self.store.cases.items() if c.customer in identities}

    async def forget(self, forgetting: Forgetting) -> None:
        self.staged.append(lambda: self.store.forget(forgetting))

    def commit(self) -> None:
        self.store.published.update(self.published)
        for write in self.staged:
            write()


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
        self.known: dict[str, CustomerRow] = {}  # customer_tiers: identity → its newest announcement
        self.erased: dict[bytes, int] = {}  # erased_identities: the identity's keyed hash → the erasure's version
        self.turns: dict[tuple[str, str], datetime] = {}  # queue_turns: (department, turn key) → last served
        self.alerts: list[Alert] = []

    def write(self, changes: Sequence[Change], routed: Sequence[RoutedRow], fired: Sequence[DueTimer]) -> None:
        for t in fired:
            if self.timers.get((t.case_id, t.timer)) == t:
                del self.timers[(t.case_id, t.timer)]
        for change in changes:
            case = change.case
            self.cases[case.case_id] = case
            if change.created:
                key = (case.channel, case.thread_root)
                current = self.conversations.get(key)
                if current is None or self.cases[current].generation < case.generation:
                    self.conversations[key] = case.case_id
            for event in change.events:
                self.events.setdefault(event.event_id, event)
            for answer in change.answers:
                self.answers.setdefault(answer.answer_id, answer)
            for timer, due in change.timers.items():
                if due is None:
                    self.timers.pop((case.case_id, timer), None)
                else:
                    self.timers[(case.case_id, timer)] = DueTimer(case.case_id, timer, due)
        for row in routed:
            self.routed.setdefault(row.mention_id, row)

    def remember(self, learning: CustomerLearning) -> None:
        for identity, version in learning.forgotten.items():
            if identity in self.known and self.known[identity].version <= version:
                del self.known[identity]
            key = identity_key(identity)
            self.erased[key] = max(self.erased.get(key, 0), version)
        for identity, row in learning.rows.items():
            if identity not in self.known or self.known[identity].version <= row.version:
                self.known[identity] = row
        for before, after in learning.regrouped:
            for (department, turn), at in list(self.turns.items()):
                if turn == before:
                    self.turns[(department, after)] = max(self.turns.get((department, after), at), at)

    def forget(self, forgetting: Forgetting) -> None:
        for key, case_id in list(self.conversations.items()):
            if case_id in forgetting.cases:
                del self.conversations[key]
                self.conversations[(key[0], forgetting.cases[case_id])] = case_id
        scrubbed = {r.mention_id for r in self.routed.values() if r.case_id in forgetting.cases}
        for identity, before in forgetting.identities.items():
            channel, platform_id = split_identity(identity)
            scrubbed |= {r.mention_id for r in self.routed.values() if r.author_id == platform_id
                         and self.cases[r.case_id].channel == channel and r.received_at <= before}
        for mention_id in scrubbed:
            self.routed[mention_id] = replace(self.routed[mention_id], native_id="", author_id="")
        for event_id, event in self.events.items():
            if event.case_id in forgetting.cases:
                self.events[event_id] = event.model_copy(update={"detail": ""})
        for answer_id, answer in self.answers.items():
            if answer.case_id in forgetting.cases or answer.mention_id in scrubbed:
                self.answers[answer_id] = answer.model_copy(update={
                    "text": None, "recipient_platform_id": "erased", "in_reply_to": "erased", "thread_root": None})
                self.published.add(answer_id)
        self.turns = {k: at for k, at in self.turns.items() if k[1] not in forgetting.turns}

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[FakeUnit]:
        unit = FakeUnit(self)
        yield unit
        unit.commit()

    async def customers(self, identities: Sequence[str]) -> dict[str, KnownCustomer]:
        return {i: KnownCustomer(self.known[i].tier, self.known[i].owner, self.known[i].follow_up_consent)
                for i in identities if i in self.known}

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
