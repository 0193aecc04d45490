"""What the responder's handlers need from the outside world, as Protocols.

`adapters/` implements them (the outbox over PostgreSQL, the sandbox channel); the in-memory fakes
are in `tests/unit/responder/fakes.py`. The shared ports (EventPublisher, Clock) are in
`heed.runtime.ports`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from heed_responder.domain.outbox import OutboxRow
from heed_responder.domain.sending import SendResult


class Outbox(Protocol):
    """Every reply, written before it is sent; its status moves only along `domain.outbox.TRANSITIONS`."""

    async def enqueue(self, replies: Sequence[OutboxRow]) -> None:
        """Write replies to send; a mention already in the outbox keeps its first automatic reply, an
        answer already in it its first reply."""
        ...

    async def for_mentions(self, mention_ids: Sequence[uuid.UUID]) -> list[OutboxRow]:
        """The automatic replies of these mentions, as they stand now."""
        ...

    async def for_answers(self, answer_ids: Sequence[uuid.UUID]) -> list[OutboxRow]:
        """The replies sending these answers (agents' answers, follow-ups), as they stand now."""
        ...

    async def mark_sent(self, sent: Mapping[uuid.UUID, datetime]) -> None:
        """Pending replies (by reply id) become sent at the time given; any other is left as it is."""
        ...

    async def mark_failed(self, failed: Mapping[uuid.UUID, str]) -> None:
        """Pending replies (by reply id) become failed with the reason given; any other is left as it is."""
        ...


@dataclass(frozen=True)
class Delivery:
    """What a channel did with the replies it was given: sent (when) or failed (why)."""

    sent: dict[uuid.UUID, datetime] = field(default_factory=dict)
    failed: dict[uuid.UUID, str] = field(default_factory=dict)


class Channel(Protocol):
    """Sends replies to customers on their channel (a platform's API, or the sandbox).

    Chosen by HEED_RESPONDER_CHANNEL_ADAPTER in `bootstrap.py`. An adapter sends each reply at
    most once per reply id (the platform's idempotency key, or the sandbox's primary key).
    """

    async def send(self, replies: Sequence[OutboxRow]) -> Delivery:
        """Send each reply on its channel to its recipient, in reply to its mention."""
        ...


class PlatformClient(Protocol):
    """One platform's send API (`adapters/platforms/`), for one channel.

    `send` makes at most one accepted request per call (it may wait out the platform's rate
    limit and retry what the platform refused without accepting, with backoff); it never raises
    for what the platform answered, only returns a SendResult.
    """

    channel: str

    async def send(self, reply: OutboxRow) -> SendResult:
        """Send one reply: a public reply under `in_reply_to`, or a private message to `recipient`."""
        ...

    async def read_back(self, reply: OutboxRow) -> SendResult | None:
        """After a crash or an `unknown`: find the reply on the platform if it was accepted
        (`sent` with its id), say `failed`/`retry` if the platform shows it never arrived, or None
        where the platform offers no way to tell (the outbox then marks it `unknown` for an agent)."""
        ...
