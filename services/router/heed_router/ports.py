"""What the router's handlers need from the outside world, as Protocols.

`adapters/postgres.py` implements them over PostgreSQL; `tests/unit/router/fakes.py` in memory.
The shared ports (EventPublisher, Clock) are in `heed.runtime.ports`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from heed.contracts.events import Alert, CustomerUpdate
from heed_router.domain.cases import Assignment, KnownCustomer


class CaseStore(Protocol):
    """The router's own records: cases, each mention's routing, and the customer tiers it learnt."""

    async def customers(self, identities: Sequence[str]) -> dict[str, KnownCustomer]:
        """The known tier and owner of each identity (`channel:platform_id`); unknown identities are left out."""
        ...

    async def record_routing(self, assignments: Sequence[Assignment]) -> dict[uuid.UUID, uuid.UUID]:
        """Open the cases not yet open and record each mention's routing, all or nothing.

        Returns each case's first mention: the first assignment ever recorded for the case (in the
        order given), however often its mentions are delivered. A mention already recorded keeps
        its first routing.
        """
        ...

    async def apply_customer_updates(self, updates: Sequence[CustomerUpdate]) -> None:
        """Keep the newest version of each identity's tier and owner; an older version changes nothing."""
        ...


class AlertNotifier(Protocol):
    """Tells people outside Heed about crisis alerts, best effort: it never blocks or fails routing."""

    def notify(self, alert: Alert) -> None:
        """Queue the alert for delivery and return at once."""
        ...

    async def aclose(self) -> None:
        """Stop delivering; what is still queued is not sent (every alert is on heed.alerts)."""
        ...
