"""In-memory fakes of the responder's ports, for handler tests without a broker or a database."""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from heed.contracts.events import Event
from heed.runtime.ports import Clock
from heed_responder.adapters.replies_file import load_catalog, load_knowledge, shipped_path, shipped_replies_path
from heed_responder.domain.catalog import Catalog
from heed_responder.domain.customers import CustomerProfile, Erasure, ProfileVersion, applied, identity
from heed_responder.domain.knowledge import Knowledge
from heed_responder.domain.outbox import TRANSITIONS, OutboxRow, OutboxStatus, forget
from heed_responder.domain.planning import ReplyContext
from heed_responder.ports import Delivery
from tests.unit.fakes import FakePublisher, FixedClock  # noqa: F401 - shared by this service's tests

E = TypeVar("E", bound=Event)


class FakeOutbox:
    """The Outbox in a dictionary, with the real status transitions."""

    def __init__(self) -> None:
        self.replies: dict[uuid.UUID, OutboxRow] = {}  # reply_id → the reply as it stands
        self.sending_at: dict[uuid.UUID, datetime] = {}
        self.unreported_ids: set[uuid.UUID] = set()

    async def enqueue(self, replies: Sequence[OutboxRow]) -> None:
        queued = {(r.kind, r.mention_id) for r in self.replies.values() if r.kind in ("auto", "handoff")}
        answered: set[uuid.UUID | None] = {r.answer_id for r in self.replies.values() if r.answer_id is not None}
        for r in replies:
            if r.reply_id in self.replies:
                continue
            if r.kind in ("auto", "handoff"):
                if (r.kind, r.mention_id) not in queued:
                    self.replies[r.reply_id] = r
                    queued.add((r.kind, r.mention_id))
            elif r.answer_id not in answered:
                self.replies[r.reply_id] = r
                answered.add(r.answer_id)

    async def for_mentions(self, mention_ids: Sequence[uuid.UUID]) -> list[OutboxRow]:
        return [r for r in self.replies.values() if r.mention_id in set(mention_ids) and r.kind in ("auto", "handoff")]

    async def for_answers(self, answer_ids: Sequence[uuid.UUID]) -> list[OutboxRow]:
        return [r for r in self.replies.values() if r.answer_id in set(answer_ids)]

    async def claim(self, reply_ids: Sequence[uuid.UUID], now: datetime) -> set[uuid.UUID]:
        moved = set()
        for reply_id in reply_ids:
            row = self.replies.get(reply_id)
            if row is not None and row.status is OutboxStatus.PENDING:
                self.replies[reply_id] = replace(row, status=OutboxStatus.SENDING, attempts=row.attempts + 1)
                self.sending_at[reply_id] = now
                moved.add(reply_id)
        return moved

    async def record(self, delivery: Delivery, now: datetime, *, reported: bool = True) -> None:
        for reply_id, at in delivery.sent.items():
            self._move(reply_id, OutboxStatus.SENT, reported, sent_at=at, error=None,
                       platform_message_id=delivery.platform_ids.get(reply_id))
        for reply_id, error in delivery.failed.items():
            self._move(reply_id, OutboxStatus.FAILED, reported, error=error)
        for reply_id, error in delivery.unknown.items():
            self._move(reply_id, OutboxStatus.UNKNOWN, reported, error=error)
        for reply_id, (error, at) in delivery.retry.items():
            row = self.replies.get(reply_id)
            if row is not None and row.status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
                self.replies[reply_id] = replace(row, status=OutboxStatus.PENDING, error=error, next_attempt_at=at)

    async def stuck(self, sending_before: datetime, limit: int) -> list[OutboxRow]:
        return [r for r in self.replies.values()
                if r.status is OutboxStatus.SENDING and self.sending_at[r.reply_id] < sending_before][:limit]

    async def due(self, now: datetime, limit: int) -> list[OutboxRow]:
        return [r for r in self.replies.values() if r.status is OutboxStatus.PENDING
                and r.next_attempt_at is not None and r.next_attempt_at <= now][:limit]

    async def unreported(self, limit: int) -> list[OutboxRow]:
        return [self.replies[i] for i in sorted(self.unreported_ids, key=str)][:limit]

    async def mark_reported(self, reply_ids: Sequence[uuid.UUID]) -> None:
        self.unreported_ids.difference_update(reply_ids)

    async def forget(self, erasures: Sequence[Erasure]) -> None:
        for reply_id, row in list(self.replies.items()):
            if any((row.channel, row.recipient) == (e.channel, e.platform_id) and row.received_at <= e.before
                   for e in erasures):
                self.replies[reply_id] = forget(row)
                self.unreported_ids.discard(reply_id)

    def _move(self, reply_id: uuid.UUID, status: OutboxStatus, reported: bool, **changes: object) -> None:
        row = self.replies.get(reply_id)
        if row is None or status not in TRANSITIONS[row.status]:
            return
        self.replies[reply_id] = replace(row, status=status, **changes)  # type: ignore[arg-type]
        if not reported:
            self.unreported_ids.add(reply_id)


class FakeChannel:
    """A platform stand-in: records every reply it is asked to send, sends it or refuses it.

    It does not deduplicate: its count of sends is what proves a reply was sent once.
    """

    idempotent = True

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.sent: list[OutboxRow] = []
        self.refused: list[OutboxRow] = []
        self.refusal: str | None = None

    def refuse(self, reason: str) -> None:
        """Refuse every send from now on, saying why (a token expired, the user blocked the brand)."""
        self.refusal = reason

    async def send(self, replies: Sequence[OutboxRow]) -> Delivery:
        if self.refusal is not None:
            self.refused.extend(replies)
            return Delivery(failed={r.reply_id: self.refusal for r in replies})
        self.sent.extend(replies)
        return Delivery(sent={r.reply_id: self.clock.now() for r in replies})

    async def recover(self, replies: Sequence[OutboxRow]) -> Delivery:
        return await self.send(replies)

    async def forget(self, erasures: Sequence[Erasure]) -> None:
        """As the sandbox: its copies of messages to the erased identities go."""
        self.sent = [r for r in self.sent if not any(
            (r.channel, r.recipient) == (e.channel, e.platform_id) and r.received_at <= e.before for e in erasures)]


class CrashingPlatform:
    """A platform that cannot recognise a resent request (not idempotent), with a read-back or not.

    `accept_then_crash` makes the next send reach the platform and then raise, as a responder
    killed after the platform accepted and before it recorded anything. `requests` counts every
    send that reached it: the proof of "sent once".
    """

    idempotent = False

    def __init__(self, clock: Clock, *, readable: bool) -> None:
        self.clock = clock
        self.readable = readable
        self.requests: Counter[uuid.UUID] = Counter()
        self.accepted: dict[uuid.UUID, str] = {}
        self.crash_next = False
        self.busy_until: datetime | None = None

    def accept_then_crash(self) -> None:
        self.crash_next = True

    async def send(self, replies: Sequence[OutboxRow]) -> Delivery:
        now = self.clock.now()
        if self.busy_until is not None and now < self.busy_until:
            return Delivery(retry={r.reply_id: ("rate limited", self.busy_until) for r in replies})
        for r in replies:
            self.requests[r.reply_id] += 1
            self.accepted[r.reply_id] = f"msg-{len(self.accepted) + 1}"
        if self.crash_next:
            self.crash_next = False
            raise ConnectionResetError("the responder stopped here")
        return Delivery(sent={r.reply_id: now for r in replies},
                        platform_ids={r.reply_id: self.accepted[r.reply_id] for r in replies})

    async def recover(self, replies: Sequence[OutboxRow]) -> Delivery:
        if not self.readable:
            return Delivery(unknown={r.reply_id: "the platform offers no read-back: an agent checks" for r in replies})
        now = self.clock.now()
        found = {r.reply_id: self.accepted[r.reply_id] for r in replies if r.reply_id in self.accepted}
        return Delivery(sent={i: now for i in found}, platform_ids=found,
                        retry={r.reply_id: ("never arrived", now) for r in replies if r.reply_id not in found})

    async def forget(self, erasures: Sequence[Erasure]) -> None:
        """A platform's adapter keeps nothing here to forget."""


class FakeCustomers:
    """The CustomerProfiles in a dictionary, with the real rule (`domain.customers.applied`)."""

    def __init__(self) -> None:
        self.versions: dict[str, ProfileVersion] = {}

    def know(self, channel: str, platform_id: str, *, name: str | None = None, language: str | None = None,
             version: int = 1) -> None:
        """A profile as if announced: the name on record and the preferred language of an identity."""
        ident = identity(channel, platform_id)
        self.versions[ident] = applied(self.versions.get(ident), ProfileVersion(
            identity=ident, version=version, display_name=name, language=language, erased=False,
            forgotten_before=None))

    async def learn(self, versions: Sequence[ProfileVersion]) -> None:
        for v in versions:
            self.versions[v.identity] = applied(self.versions.get(v.identity), v)

    async def profiles(self, identities: Sequence[str]) -> dict[str, CustomerProfile]:
        return {i: CustomerProfile(v.display_name, v.language, v.forgotten_before)
                for i in identities if (v := self.versions.get(i)) is not None}


@functools.cache
def _shipped() -> tuple[Catalog, Knowledge]:
    return load_catalog(shipped_replies_path()), load_knowledge(shipped_path("knowledge.yaml"))


def shipped_context(**fields: Any) -> ReplyContext:
    """The replies and knowledge base as shipped (deploy/config/), with any ReplyContext field given."""
    catalog, knowledge = _shipped()
    return ReplyContext(catalogs=lambda: catalog, knowledge=lambda: knowledge, **fields)
