"""What crm-sync's handlers need from the outside world, as Protocols.

`adapters/postgres.py` implements them over PostgreSQL; `tests/unit/crm_sync/fakes.py` in
memory. The shared ports (EventPublisher, Clock) are in `heed.runtime.ports`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from heed.contracts.events import CaseEvent, CustomerUpdate, Mention, Reply, RoutedCase


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
