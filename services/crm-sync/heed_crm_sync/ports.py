"""What crm-sync's handlers need from the outside world, as Protocols.

`adapters/postgres.py` implements them over PostgreSQL; `tests/unit/crm_sync/fakes.py` in
memory. The shared ports (EventPublisher, Clock) are in `heed.runtime.ports`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from heed.contracts.events import CaseEvent, CustomerUpdate, CustomerVerified, Mention, Reply, RoutedCase
from heed.secure_link import LinkClaims
from heed_crm_sync.data_keys import Sealed
from heed_crm_sync.verification import LinkUse


class CustomerRecords(Protocol):
    """The customer 360: customers, their identity on each channel, and one interaction per mention
    with what routing and the responder did about it, kept apart so arrival order never matters."""

    async def record_mentions(self, mentions: Sequence[Mention]) -> None:
        """Each author as a customer with this identity, and one interaction per mention; a customer,
        identity or interaction already recorded is left as it is."""
        ...

    async def unpublished_customers(self) -> list[CustomerUpdate]:
        """The customers (with at least one identity) whose current version was not yet announced,
        at most 1000."""
        ...

    async def mark_customers_published(self, updates: Sequence[CustomerUpdate]) -> None:
        """Remember that these versions were announced; an older version never undoes a newer one."""
        ...

    async def record_routing(self, routed: Sequence[RoutedCase]) -> None:
        """Each mention's routing, once: the first recorded stays."""
        ...

    async def record_replies(self, replies: Sequence[Reply]) -> None:
        """Each reply on its mention's interaction (automatic, an agent's answer, a follow-up): a
        reply not sent yet takes the newer status, a sent one stays sent."""
        ...

    async def record_case_events(self, events: Sequence[CaseEvent]) -> None:
        """Case events on the customer's timeline, each once (by event id)."""
        ...


@dataclass(frozen=True)
class IdentityOnRecord:
    """What a customer's identity is checked against: whether the order is theirs, and their phones
    (sealed; only the handler that compares them opens them)."""

    order_known: bool
    phones: list[Sealed]


class LinkAttempt(Protocol):
    """One submission of a verification link, judged alone: no other submission of the same link is
    judged until this one is done, and what it records is kept together or not at all."""

    @property
    def failures(self) -> int:
        """Wrong identity checks recorded for the link so far."""
        ...

    @property
    def spent(self) -> LinkUse | None:
        """How the link was spent, if it was."""
        ...

    async def identity_on_record(self, customer_id: uuid.UUID, order_hashes: Sequence[bytes]) -> IdentityOnRecord:
        """The customer's phones, and whether one of `order_hashes` (one per data key) is their order."""
        ...

    async def refuse(self, now: datetime) -> int:
        """Count a wrong identity check; the failures so far."""
        ...

    async def lock(self, claims: LinkClaims, now: datetime) -> None:
        """Spend the link without verifying anyone."""
        ...

    async def verify(self, claims: LinkClaims, details: Sealed | None, now: datetime) -> None:
        """Spend the link, keep the sealed details, and mark the customer and the case verified."""
        ...


class Verifications(Protocol):
    """Secure verification links' use, the details customers typed, and the verifications to announce."""

    def attempt(self, link_id: uuid.UUID) -> AbstractAsyncContextManager[LinkAttempt]:
        """Judge one submission of the link; leaving the block keeps what it recorded, an error drops it."""
        ...

    async def spent(self, link_id: uuid.UUID) -> LinkUse | None:
        """How the link was spent, if it was."""
        ...

    async def unpublished(self) -> list[CustomerVerified]:
        """Verifications not yet announced on heed.crm.verifications, oldest first, at most 500."""
        ...

    async def mark_published(self, events: Sequence[CustomerVerified]) -> None:
        """Remember that these verifications were announced."""
        ...
