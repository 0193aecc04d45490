"""What the router's handlers need from the outside world, as Protocols.

`adapters/postgres.py` implements them over PostgreSQL; `tests/unit/router/fakes.py` in memory.
The shared ports (EventPublisher, Clock) are in `heed.runtime.ports`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from heed.contracts.events import Alert, CustomerUpdate, Visibility
from heed_router.domain.cases import Assignment, KnownCustomer
from heed_router.domain.desk import CaseDetail, CaseFilter, CasePage, CaseSummary, NoteView, QueueChange


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


class CaseDesk(Protocol):
    """The commands and reads of the cases API, for agents and internal systems.

    `actor` is who acts, as case events name it: `agent:<name>` or `system:<name>` (from the API
    token). Commands raise `domain.desk.DeskError` subclasses: CaseNotFound, CaseConflict (the
    case's state does not allow it), CapacityReached. Each change is recorded with its case
    events in one transaction and published on heed.cases.events after it commits; an answer
    goes to the responder as a CaseAnswer on heed.cases.answers, never into its tables.
    """

    async def list_cases(self, filters: CaseFilter, *, limit: int, cursor: str | None) -> CasePage:
        """Cases matching the filters in queue order (urgency, then oldest in the queue), a page at a time."""
        ...

    async def get_case(self, case_id: uuid.UUID) -> CaseDetail:
        ...

    async def claim_next(self, department: str, actor: str) -> CaseSummary | None:
        """The department's next case by the fair rule (docs/QUEUES.md), claimed for `actor`; None if none waits."""
        ...

    async def claim(self, case_id: uuid.UUID, actor: str) -> CaseSummary:
        ...

    async def release(self, case_id: uuid.UUID, actor: str) -> CaseSummary:
        ...

    async def answer(self, case_id: uuid.UUID, actor: str, text: str, visibility: Visibility | None) -> CaseDetail:
        """Hand the answer to the responder (public or private; None: as the customer wrote)."""
        ...

    async def add_note(self, case_id: uuid.UUID, actor: str, text: str) -> NoteView:
        ...

    async def transfer(self, case_id: uuid.UUID, actor: str, department: str, reason: str) -> CaseSummary:
        ...

    async def resolve(self, case_id: uuid.UUID, actor: str, reason: str) -> CaseSummary:
        ...

    async def changes_after(self, seq: int, department: str | None, limit: int) -> list[QueueChange]:
        """Case events after `seq` (all departments when None), oldest first: the SSE stream's source."""
        ...
