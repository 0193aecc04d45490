"""In-memory fakes of the responder's ports, for handler tests without a broker or a database."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from heed.contracts.events import Event
from heed.runtime.ports import Clock
from heed_responder.domain.outbox import TRANSITIONS, OutboxRow, OutboxStatus
from heed_responder.ports import Delivery
from tests.unit.fakes import FakePublisher, FixedClock  # noqa: F401 - shared by this service's tests

E = TypeVar("E", bound=Event)


class FakeOutbox:
    """The Outbox in a dictionary, with the real status transitions."""

    def __init__(self) -> None:
        self.replies: dict[uuid.UUID, OutboxRow] = {}  # reply_id → the reply as it stands

    async def enqueue(self, replies: Sequence[OutboxRow]) -> None:
        queued = {r.mention_id for r in self.replies.values() if r.kind == "auto"}
        answered: set[uuid.UUID | None] = {r.answer_id for r in self.replies.values() if r.answer_id is not None}
        for r in replies:
            if r.reply_id in self.replies:
                continue
            if r.kind == "auto" and r.mention_id not in queued:
                self.replies[r.reply_id] = r
                queued.add(r.mention_id)
            elif r.kind != "auto" and r.answer_id not in answered:
                self.replies[r.reply_id] = r
                answered.add(r.answer_id)

    async def for_mentions(self, mention_ids: Sequence[uuid.UUID]) -> list[OutboxRow]:
        return [r for r in self.replies.values() if r.mention_id in set(mention_ids) and r.kind == "auto"]

    async def for_answers(self, answer_ids: Sequence[uuid.UUID]) -> list[OutboxRow]:
        return [r for r in self.replies.values() if r.answer_id in set(answer_ids)]

    async def mark_sent(self, sent: Mapping[uuid.UUID, datetime]) -> None:
        for reply_id, at in sent.items():
            if self._may_become(reply_id, OutboxStatus.SENT):
                self.replies[reply_id] = replace(self.replies[reply_id], status=OutboxStatus.SENT, sent_at=at,
                                                 error=None)

    async def mark_failed(self, failed: Mapping[uuid.UUID, str]) -> None:
        for reply_id, error in failed.items():
            if self._may_become(reply_id, OutboxStatus.FAILED):
                self.replies[reply_id] = replace(self.replies[reply_id], status=OutboxStatus.FAILED, error=error)

    def _may_become(self, reply_id: uuid.UUID, status: OutboxStatus) -> bool:
        row = self.replies.get(reply_id)
        return row is not None and status in TRANSITIONS[row.status]


class FakeChannel:
    """A platform stand-in: records every reply it is asked to send, sends it or refuses it.

    It does not deduplicate: its count of sends is what proves a reply was sent once.
    """

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


