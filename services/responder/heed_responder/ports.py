"""What the responder's handlers need from the outside world, as Protocols.

`adapters/` implements them (the outbox and the customer profiles over PostgreSQL, the sandbox
channel); the in-memory fakes
are in `tests/unit/responder/fakes.py`. The shared ports (EventPublisher, Clock) are in
`heed.runtime.ports`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from heed_responder.domain.customers import CustomerProfile, Erasure, ProfileVersion
from heed_responder.domain.outbox import OutboxRow
from heed_responder.domain.sending import SendResult


class Outbox(Protocol):
    """Every reply, written before it is sent; its status moves only along `domain.outbox.TRANSITIONS`."""

    async def enqueue(self, replies: Sequence[OutboxRow]) -> None:
        """Write replies to send; a mention already in the outbox keeps its first automatic reply, an
        answer already in it its first reply."""
        ...

    async def for_mentions(self, mention_ids: Sequence[uuid.UUID]) -> list[OutboxRow]:
        """The automatic replies of these mentions (with their handoff messages), as they stand now."""
        ...

    async def for_answers(self, answer_ids: Sequence[uuid.UUID]) -> list[OutboxRow]:
        """The replies sending these answers (agents' answers, follow-ups), as they stand now."""
        ...

    async def claim(self, reply_ids: Sequence[uuid.UUID], now: datetime) -> set[uuid.UUID]:
        """Move pending replies to `sending` (committed before the platform is called); returns the
        ids this call moved, so two responders never both send one."""
        ...

    async def record(self, delivery: Delivery, now: datetime, *, reported: bool = True) -> None:
        """Write what the channel did: sent (with the platform's id), failed, unknown, or back to
        pending with a time to try again. A status moves only along TRANSITIONS. `reported=False`
        marks the reply's event as still to publish (the tick publishes it)."""
        ...

    async def stuck(self, sending_before: datetime, limit: int) -> list[OutboxRow]:
        """Replies left `sending` since before the time given: a responder stopped mid-send."""
        ...

    async def due(self, now: datetime, limit: int) -> list[OutboxRow]:
        """Pending replies whose time to try again has come."""
        ...

    async def unreported(self, limit: int) -> list[OutboxRow]:
        """Replies at an end (sent, failed, unknown) whose event the tick has not yet published."""
        ...

    async def mark_reported(self, reply_ids: Sequence[uuid.UUID]) -> None:
        ...

    async def forget(self, erasures: Sequence[Erasure]) -> None:
        """Replies to the erased identities about what they wrote up to their erasure keep nothing that
        identifies them (`domain.outbox.forget`): unsent ones are cancelled, none is reported again."""
        ...


class CustomerProfiles(Protocol):
    """What crm-sync's announcements say of each identity (`channel:platform_id`) that changes a reply."""

    async def learn(self, versions: Sequence[ProfileVersion]) -> None:
        """Keep each identity's newest version (`domain.customers.applied`): an older one never
        overwrites it, an erasure blanks it and its time is kept whatever comes after."""
        ...

    async def profiles(self, identities: Sequence[str]) -> dict[str, CustomerProfile]:
        """The profiles known of these identities; an identity never announced is absent."""
        ...


@dataclass(frozen=True)
class Delivery:
    """What a channel did with the replies it was given."""

    sent: dict[uuid.UUID, datetime] = field(default_factory=dict)
    failed: dict[uuid.UUID, str] = field(default_factory=dict)
    unknown: dict[uuid.UUID, str] = field(default_factory=dict)
    # not sent, try again: the reason and the time not to try before
    retry: dict[uuid.UUID, tuple[str, datetime]] = field(default_factory=dict)
    platform_ids: dict[uuid.UUID, str] = field(default_factory=dict)


class Channel(Protocol):
    """Sends replies to customers on their channel (the platforms' APIs, or the sandbox).

    Chosen by HEED_RESPONDER_CHANNEL_ADAPTER in `bootstrap.py`. An `idempotent` channel may be
    given the same reply again without sending it twice (the sandbox's primary key); any other is
    given only replies the outbox has moved to `sending`, and after a crash `recover` reads the
    platform back instead of sending again.
    """

    idempotent: bool

    async def send(self, replies: Sequence[OutboxRow]) -> Delivery:
        """Send each reply on its channel to its recipient, in reply to its mention."""
        ...

    async def recover(self, replies: Sequence[OutboxRow]) -> Delivery:
        """Replies a stopped responder left `sending`: what the platform shows of each."""
        ...

    async def forget(self, erasures: Sequence[Erasure]) -> None:
        """Delete what the channel keeps here of messages to the erased identities, sent up to their
        erasure (the sandbox's copies; the platforms' adapters keep nothing)."""
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
