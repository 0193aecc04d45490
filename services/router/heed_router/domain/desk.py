"""What the cases API shows and accepts: the desk's views of cases, pure data (pydantic, so the
OpenAPI document describes them), and the errors its commands raise.

The commands themselves are the `CaseDesk` port (`ports.py`), implemented over PostgreSQL by
`adapters/desk.py` and in memory by the unit tests' fake.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from heed.contracts.events import (
    CaseEventKind,
    CaseStatus,
    Channel,
    CorrectableField,
    HandlingMode,
    Urgency,
    Visibility,
)


class DeskError(Exception):
    """A command the desk refuses; `status` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CaseNotFound(DeskError):
    status = 404


class CaseConflict(DeskError):
    """The case is not in a state that allows the command (already resolved, claimed by another agent…)."""

    status = 409


class CapacityReached(DeskError):
    """The agent already holds as many claimed cases as their capacity allows."""

    status = 429


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class CaseSummary(_View):
    """A case as a queue lists it."""

    case_id: uuid.UUID
    status: CaseStatus
    department: str
    channel: Channel
    customer: str = Field(description="The customer's identity, channel:platform_id")
    mode: HandlingMode
    rule_id: str
    priority: int
    urgency: Urgency
    language: str | None
    script: Literal["Hans", "Hant"] | None
    opened_at: datetime
    queued_at: datetime | None
    sla_due_at: datetime | None
    sla_breached: bool
    claimed_by: str | None
    claim_expires_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    rating: int | None
    mentions: int = Field(description="Mentions on the case so far")
    owner: str | None = Field(default=None, description="The customer's owner in the CRM (agent:<name>), whom "
                                                        "the case was reserved for when it opened")
    reserved_until: datetime | None = Field(
        default=None, description="Until then only the owner's next case is this one (docs/QUEUES.md)")


class CaseMention(_View):
    """One of the customer's mentions on the case, with what the router decided for it."""

    mention_id: uuid.UUID
    native_id: str
    visibility: Visibility
    urgency: Urgency | None
    rule_id: str
    routed_at: datetime
    category: str | None = Field(default=None, description="The classifier's, as the router received it")
    issue_type: str | None = None
    sentiment: float | None = None
    explanation: str | None = Field(default=None, description="The evidence the classifier named")
    model_version: str | None = None
    language: str | None = None
    script: str | None = None
    account: str | None = Field(default=None, description="The brand account the customer wrote to")


class CaseTransition(_View):
    seq: int
    event_id: uuid.UUID
    kind: CaseEventKind
    status: CaseStatus | None
    previous_status: CaseStatus | None
    actor: str | None
    department: str | None
    detail: str
    occurred_at: datetime


class NoteView(_View):
    note_id: uuid.UUID
    author: str
    text: str
    created_at: datetime


class AnswerView(_View):
    answer_id: uuid.UUID
    kind: Literal["agent", "follow_up"]
    author: str
    visibility: Visibility
    text: str | None
    created_at: datetime
    reply_status: Literal["sent", "failed"] | None = Field(description="None while the responder has not sent it")
    reply_error: str | None
    sent_at: datetime | None


class CorrectionView(_View):
    """An agent's correction of one field the classifier gave one of the case's mentions (the latest per field)."""

    mention_id: uuid.UUID
    field: CorrectableField
    original: str | None = Field(description="What the classifier said; none if it said nothing (no issue type)")
    corrected: str = Field(description="What the agent says it is")
    actor: str
    corrected_at: datetime


class CaseDetail(CaseSummary):
    """A case with its history: mentions, every transition, answers and internal notes."""

    thread_root: str
    first_mention_id: uuid.UUID
    first_due_at: datetime | None
    sla_policy: str | None
    acknowledged_at: datetime | None
    closed_at: datetime | None
    reopened: int
    follow_up_sent_at: datetime | None
    case_mentions: list[CaseMention]
    transitions: list[CaseTransition]
    answers: list[AnswerView]
    notes: list[NoteView]
    corrections: list[CorrectionView] = Field(
        default_factory=list, description="Agents' corrections of the classifier's labels, the latest per mention "
                                          "and field, oldest first")


class CasePage(_View):
    items: list[CaseSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; none on the last page")


class QueueChange(_View):
    """One case event as the server-sent-events stream carries it: enough to update a queue view."""

    seq: int = Field(description="Increasing; resume the stream after it with Last-Event-ID")
    case_id: uuid.UUID
    kind: CaseEventKind
    status: CaseStatus | None
    department: str | None
    previous_department: str | None
    priority: int | None
    urgency: Urgency | None
    actor: str | None
    occurred_at: datetime


class CaseFilter(_View):
    """The list endpoint's filters; each given one must hold, a list means any of its values."""

    department: str | None = None
    status: list[CaseStatus] | None = None
    urgency: list[Urgency] | None = None
    channel: list[Channel] | None = None
    claimed_by: str | None = None
    customer: str | None = None
    breached: bool | None = None
