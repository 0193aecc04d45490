"""In-memory fakes of crm-sync's ports, for handler tests without a broker or a database.

FakeCustomerRecords keeps what the PostgreSQL tables keep, with the same keys: a customer per
channel identity, an interaction per mention, routing and a reply per mention held apart and
joined only when read, so arrival order never matters.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from heed.contracts.events import (
    CaseEvent,
    CustomerTier,
    CustomerUpdate,
    CustomerVerified,
    Mention,
    Reply,
    ReplyKind,
    ReplyStatus,
    RoutedCase,
)
from heed.secure_link import LinkClaims
from heed_crm_sync.data_keys import DataKeys, Sealed
from heed_crm_sync.domain import announcement, customer_id_for
from heed_crm_sync.ports import IdentityOnRecord, RecordOnFile
from heed_crm_sync.verification import LinkUse, contact_context, normalise_order_number, verified_event

# the publisher port is shared; so is its fake (the classifier's tests wrote it first)
from tests.unit.classifier.fakes import FakePublisher

__all__ = ["FakeCustomerRecords", "FakePublisher", "FakeVerifications"]


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



class FakeLinkAttempt:
    """LinkAttempt whose writes reach the FakeVerifications only when the attempt ends without an error,
    as a transaction's do."""

    def __init__(self, store: FakeVerifications, link_id: uuid.UUID) -> None:
        self.store = store
        self.link_id = link_id
        self.failures = store.failures.get(link_id, 0)
        self.spent = store.used.get(link_id)
        self.writes: list[Callable[[], None]] = []

    async def identity_on_record(self, customer_id: uuid.UUID, order_hashes: Sequence[bytes]) -> IdentityOnRecord:
        holders = sorted((c for c, orders in self.store.orders.items() if any(h in orders for h in order_hashes)),
                         key=lambda c: c != customer_id)
        return IdentityOnRecord(customer_id, [RecordOnFile(c, [(c, sealed) for sealed in self.store.phones.get(c, [])])
                                              for c in holders])

    async def refuse(self, now: datetime) -> int:
        self.failures += 1
        failures = self.failures
        self.writes.append(lambda: self.store.failures.__setitem__(self.link_id, failures))
        return failures

    async def lock(self, claims: LinkClaims, now: datetime) -> None:
        self.spent = LinkUse.LOCKED
        self.writes.append(lambda: self.store.used.__setitem__(claims.link_id, LinkUse.LOCKED))

    async def verify(self, claims: LinkClaims, details: Sealed | None, now: datetime,
                     merge_with: uuid.UUID | None = None) -> None:
        if claims.link_id in self.store.used:
            raise AssertionError("used_links: duplicate key")  # the primary key refuses a second use
        self.spent = LinkUse.VERIFIED

        def write() -> None:
            self.store.used[claims.link_id] = LinkUse.VERIFIED
            if details is not None:
                self.store.details[claims.link_id] = (claims.customer_id, claims.case_id, details)
            self.store.verifications[claims.link_id] = verified_event(claims, now, details is not None)
            self.store.customers_verified[claims.customer_id] = now
            if merge_with is not None:
                self.store.merged[claims.customer_id] = merge_with
        self.writes.append(write)


class FakeVerifications:
    """Verifications in dictionaries keyed as the tables are (link id for use, attempts, details)."""

    def __init__(self) -> None:
        self.failures: dict[uuid.UUID, int] = {}
        self.used: dict[uuid.UUID, LinkUse] = {}
        self.details: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID, Sealed]] = {}
        self.verifications: dict[uuid.UUID, CustomerVerified] = {}
        self.customers_verified: dict[uuid.UUID, datetime] = {}
        self.published: set[uuid.UUID] = set()
        self.orders: dict[uuid.UUID, set[bytes]] = {}
        self.phones: dict[uuid.UUID, list[Sealed]] = {}
        self.merged: dict[uuid.UUID, uuid.UUID] = {}  # link customer → the record it proved to be

    def add_phone(self, keys: DataKeys, customer_id: uuid.UUID, phone: str) -> None:
        self.phones.setdefault(customer_id, []).append(keys.seal(phone.encode(), contact_context(customer_id, "phone")))

    def add_order(self, keys: DataKeys, customer_id: uuid.UUID, order_number: str) -> None:
        self.orders.setdefault(customer_id, set()).add(
            keys.lookup_hashes("order", normalise_order_number(order_number))[0])

    @asynccontextmanager
    async def attempt(self, link_id: uuid.UUID) -> AsyncIterator[FakeLinkAttempt]:
        attempt = FakeLinkAttempt(self, link_id)
        yield attempt
        for write in attempt.writes:
            write()

    async def spent(self, link_id: uuid.UUID) -> LinkUse | None:
        return self.used.get(link_id)

    async def unpublished(self, *, link_id: uuid.UUID | None = None,
                          verified_before: datetime | None = None) -> list[CustomerVerified]:
        return [v for link, v in self.verifications.items() if link not in self.published
                and link_id in (None, link) and (verified_before is None or v.verified_at < verified_before)]

    async def mark_published(self, events: Sequence[CustomerVerified]) -> None:
        self.published.update(e.link_id for e in events)
