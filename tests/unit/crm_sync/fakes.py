"""In-memory fakes of crm-sync's ports, for handler tests without a broker or a database.

FakeCustomerRecords keeps what the PostgreSQL tables keep, with the same keys: a customer per
channel identity, an interaction per mention, routing and a reply per mention held apart and
joined only when read, so arrival order never matters.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from heed.contracts.events import (
    CaseEvent,
    CustomerTier,
    CustomerUpdate,
    Mention,
    Reply,
    ReplyKind,
    ReplyStatus,
    RoutedCase,
)
from heed_crm_sync.domain import announcement, customer_id_for

# the publisher port is shared; so is its fake (the classifier's tests wrote it first)
from tests.unit.classifier.fakes import FakePublisher

__all__ = ["FakeCustomerRecords", "FakePublisher"]


@dataclass
class Customer:
    customer_id: uuid.UUID
    display_name: str | None
    tier: CustomerTier = CustomerTier.STANDARD
    owner: str | None = None
    version: int = 1
    published_version: int = 0


@dataclass(frozen=True)
class Identity:
    customer_id: uuid.UUID
    handle: str | None
    followers: int


@dataclass(frozen=True)
class Interaction:
    """One mention in a customer's record, with what routing and the responder did about it."""

    mention: Mention
    routing: RoutedCase | None
    reply: Reply | None


class FakeCustomerRecords:
    """CustomerRecords in dictionaries, keyed as the tables are."""

    def __init__(self) -> None:
        self.customers: dict[uuid.UUID, Customer] = {}
        self.identities: dict[str, Identity] = {}  # "channel:platform_id", in first-seen order
        self.mentions: dict[uuid.UUID, tuple[uuid.UUID, Mention]] = {}  # mention_id → (customer_id, mention)
        self.routing: dict[uuid.UUID, RoutedCase] = {}  # mention_id → its first routing
        self.replies: dict[uuid.UUID, Reply] = {}  # mention_id → its automatic reply, with the latest status
        self.answers: dict[uuid.UUID, Reply] = {}  # reply_id → an agent's answer or a follow-up
        self.timeline: dict[uuid.UUID, CaseEvent] = {}
        self.timeline_calls = 0

    async def record_mentions(self, mentions: Sequence[Mention]) -> None:
        for m in mentions:
            cid = customer_id_for(m.channel, m.author.platform_id)
            self.customers.setdefault(cid, Customer(cid, m.author.name))
            self.identities.setdefault(f"{m.channel.value}:{m.author.platform_id}",
                                       Identity(cid, m.author.handle, m.author.followers))
            self.mentions.setdefault(m.mention_id, (cid, m))

    async def unpublished_customers(self) -> list[CustomerUpdate]:
        identities: dict[uuid.UUID, list[str]] = {}
        for name, identity in self.identities.items():
            identities.setdefault(identity.customer_id, []).append(name)
        return [announcement(c.customer_id, identities[c.customer_id], c.tier, c.owner, c.version)
                for c in self.customers.values()
                if c.published_version < c.version and c.customer_id in identities][:1000]

    async def mark_customers_published(self, updates: Sequence[CustomerUpdate]) -> None:
        for u in updates:
            customer = self.customers.get(u.customer_id)
            if customer is not None and customer.published_version < u.version:
                customer.published_version = u.version

    async def record_routing(self, routed: Sequence[RoutedCase]) -> None:
        for r in routed:
            self.routing.setdefault(r.mention_id, r)

    async def record_case_events(self, events: Sequence[CaseEvent]) -> None:
        self.timeline_calls += 1
        for e in events:
            self.timeline.setdefault(e.event_id, e)

    async def record_replies(self, replies: Sequence[Reply]) -> None:
        for r in replies:
            if r.kind is not ReplyKind.AUTO:
                self.answers.setdefault(r.reply_id, r)
                continue
            kept = self.replies.get(r.mention_id)
            if kept is None:
                self.replies[r.mention_id] = r
            elif kept.status is not ReplyStatus.SENT:
                self.replies[r.mention_id] = kept.model_copy(update={"status": r.status, "sent_at": r.sent_at})

    # reading the record, as an agent's customer view would

    def customer_of(self, identity: str) -> Customer:
        return self.customers[self.identities[identity].customer_id]

    def identities_of(self, customer_id: uuid.UUID) -> list[str]:
        return [name for name, i in self.identities.items() if i.customer_id == customer_id]

    def interactions_of(self, customer_id: uuid.UUID) -> list[Interaction]:
        return [Interaction(m, self.routing.get(mention_id), self.replies.get(mention_id))
                for mention_id, (cid, m) in self.mentions.items() if cid == customer_id]

