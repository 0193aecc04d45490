"""What the router's handlers need from the outside world, as Protocols.

`adapters/postgres.py` implements them over PostgreSQL; `tests/unit/router/fakes.py` in memory.
The shared ports (EventPublisher, Clock) are in `heed.runtime.ports`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from heed.contracts.events import Alert, CaseAnswer, CaseEvent, ClassifierLabels, Reply, Visibility
from heed_router.domain.accounts import Agent, LoginOutcome, Session
from heed_router.domain.cases import KnownCustomer, RoutedRow
from heed_router.domain.customers import CustomerLearning, Forgetting, HeldCustomers
from heed_router.domain.desk import CaseDetail, CaseFilter, CasePage, CaseSummary, NoteView, QueueChange
from heed_router.domain.lifecycle import Case, Change, DueTimer, ReplyTarget


class CaseUnit(Protocol):
    """One transaction on the router's records: what it reads is locked until it ends; `save` writes
    changes with their events and answers (unpublished until `CaseStore.mark_published`)."""

    async def routed(self, mention_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, RoutedRow]:
        """The recorded routing of those mentions already routed."""
        ...

    async def conversations(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Case]:
        """The current case of each (channel, thread root) that has one, locked."""
        ...

    async def cases(self, case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Case]:
        """Those cases, locked."""
        ...

    async def targets(self, case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ReplyTarget]:
        """Each case's latest customer mention: what an answer replies to."""
        ...

    async def take_due_timers(self, now: datetime, limit: int) -> list[DueTimer]:
        """Timers due by `now` and not fired, locked (another replica skips them), oldest first."""
        ...

    async def save(self, changes: Sequence[Change], routed: Sequence[RoutedRow] = (),
                   fired: Sequence[DueTimer] = (), published: bool = False) -> None:
        """Write the cases, their events and answers, their timers, new routings, fired timers.

        Events and answers are unpublished unless `published`: a consumer's handler publishes them
        before its transaction commits (a failed publish rolls the change back and the broker
        redelivers the batch), so they need no second write.
        """
        ...

    async def answer_outcomes(self, replies: Sequence[Reply]) -> None:
        """Record on each answer what became of it (sent or failed)."""
        ...

    async def held_customers(self, identities: Sequence[str], customer_ids: Sequence[uuid.UUID]) -> HeldCustomers:
        """What is held about those identities (rows locked) and the identities held under those
        customers; for each of `identities` that was erased, its erasure's version."""
        ...

    async def remember(self, learning: CustomerLearning) -> None:
        """Write what a batch of announcements taught: forget the erased identities (their rows go, a
        one-way key stays with the erasure's version), write the rows, carry queue turns to new keys."""
        ...

    async def customer_cases(self, identities: Sequence[str]) -> dict[uuid.UUID, Case]:
        """The cases whose customer is one of `identities`, locked."""
        ...

    async def forget(self, forgetting: Forgetting) -> None:
        """Scrub what an erasure names (see `Forgetting`); the cases' own rows are saved as changes."""
        ...


class CaseStore(Protocol):
    """The router's own records: cases and their lifecycle, each mention's routing, the customer
    tiers it learnt, the alerts it raised."""

    def unit(self) -> AbstractAsyncContextManager[CaseUnit]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        ...

    async def customers(self, identities: Sequence[str]) -> dict[str, KnownCustomer]:
        """The known tier, owner and follow-up consent of each identity (`channel:platform_id`);
        unknown identities are left out."""
        ...

    async def mark_published(self, event_ids: Sequence[uuid.UUID], answer_ids: Sequence[uuid.UUID]) -> None:
        ...

    async def unpublished(self, older_than: datetime, limit: int) -> tuple[list[CaseEvent], list[CaseAnswer]]:
        """Events and answers saved before `older_than` and still not published (a publish failed after commit)."""
        ...

    async def record_alerts(self, alerts: Sequence[Alert]) -> None:
        ...


class AlertNotifier(Protocol):
    """Tells people outside Heed about crisis alerts, best effort: it never blocks or fails routing."""

    def notify(self, alert: Alert | CaseEvent) -> None:
        """Queue the alert (or an SLA breach's escalation) for delivery and return at once."""
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

    async def release(self, case_id: uuid.UUID, actor: str, *, force: bool = False) -> CaseSummary:
        """Give the claim back; `force` (supervisors) releases another agent's claim."""
        ...

    async def answer(self, case_id: uuid.UUID, actor: str, text: str, visibility: Visibility | None) -> CaseDetail:
        """Hand the answer to the responder (public or private; None: as the customer wrote)."""
        ...

    async def add_note(self, case_id: uuid.UUID, actor: str, text: str) -> NoteView:
        ...

    async def transfer(self, case_id: uuid.UUID, actor: str, department: str, reason: str) -> CaseSummary:
        ...

    async def correct(self, case_id: uuid.UUID, actor: str, labels: ClassifierLabels,
                      mention_id: uuid.UUID | None) -> CaseDetail:
        """Correct the classifier's labels of one of the case's mentions (None: the case's first), keep the
        correction on the case (a `corrected` event) and send it with the mention's text to the classifier
        on heed.classifier.corrections. CaseNotFound if the mention is not the case's; CaseConflict if its
        text is no longer held (erased on request)."""
        ...

    async def resolve(self, case_id: uuid.UUID, actor: str, reason: str) -> CaseSummary:
        ...

    async def latest_change(self) -> int:
        """The seq of the newest queue change (0 before any): a view rendered now is current up to it."""
        ...

    async def changes_after(self, seq: int, department: str | None, limit: int) -> list[QueueChange]:
        """Case events after `seq` (all departments when None), oldest first: the SSE stream's source."""
        ...


class Accounts(Protocol):
    """The console's agents, sessions, login failures and audit trail (`adapters/accounts.py`)."""

    async def login(self, name: str, password: str, address: str, now: datetime, *, allow_demo: bool = True
                    ) -> tuple[LoginOutcome, Agent | None]: ...

    async def open_session(self, agent: Agent, now: datetime) -> tuple[str, Session]: ...

    async def session(self, token: str, now: datetime) -> Session | None: ...

    async def close_session(self, token: str) -> None: ...

    async def set_language(self, agent_id: uuid.UUID, language: str) -> None: ...

    async def audit(self, agent: Agent | None, action: str, now: datetime, *, case_id: uuid.UUID | None = None,
                    detail: str = "") -> None: ...


class CustomerRecords(Protocol):
    """crm-sync's customers API, read over HTTP (never its tables): the customer 360 panel."""

    async def profile(self, identity: str) -> dict[str, Any] | None:
        """The record of the customer with this identity (channel:platform_id); None when crm-sync has none."""
        ...

    async def timeline(self, customer_id: str, limit: int = 200) -> list[dict[str, Any]]:
        """The customer's interactions, newest first (mentions, replies, case transitions) with their text."""
        ...


class ReplyDesk(Protocol):
    """The responder's answering API, over HTTP: templates, previews, secure links."""

    async def snippets(self, *, language: str, script: str | None, account: str | None, department: str,
                       customer: str) -> dict[str, Any]: ...

    async def preview(self, *, text: str, channel: str, visibility: str, language: str, script: str | None,
                      account: str | None, customer: str) -> dict[str, Any]: ...

    async def secure_link(self, *, case_id: uuid.UUID, customer: str, department: str, language: str,
                          script: str | None, account: str | None) -> dict[str, Any]: ...


class Supervision(Protocol):
    """What the console's supervisor views read from the router's own records (adapters/report.py)."""

    async def figures(self, since: datetime, by: str | None) -> dict[str, Any]:
        """The router's report figures, as `heed report --json` keys them (domain/report.py defines them)."""
        ...

    async def open_alerts(self) -> list[dict[str, Any]]:
        """Each crisis incident whose newest version is not resolved, with its example mentions' cases."""
        ...

    async def sla_board(self, now: datetime) -> dict[str, dict[str, Any]]:
        """Per department, the open cases breached or in warning."""
        ...

    async def agent_load(self, now: datetime) -> list[dict[str, Any]]:
        """Each active agent's claimed cases against the capacity."""
        ...
