"""What the console shows, decided without I/O: a case's SLA state for its countdown colour, and
the case's thread in order from the customer record's timeline and the router's own answers and notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from heed_router.domain.desk import CaseDetail

WARN_AT_LEAST = timedelta(minutes=1)
WARN_SHARE = 0.25  # the last quarter of the time a case was given


class SlaState(StrEnum):
    NONE = "none"  # no SLA runs (answered, resolved, or none set)
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"


def sla_state(*, due: datetime | None, breached: bool, started: datetime, now: datetime) -> tuple[SlaState, int]:
    """The countdown's state and the seconds left (negative once past due): warning in the last quarter
    of the time given (at least the last minute), breached once due or the router said so."""
    if due is None:
        return (SlaState.BREACHED, 0) if breached else (SlaState.NONE, 0)
    left = int((due - now).total_seconds())
    if breached or left <= 0:
        return SlaState.BREACHED, left
    warning = warns_at(due=due, started=started)
    if warning is not None and now >= warning:
        return SlaState.WARNING, left
    return SlaState.OK, left


def warns_at(*, due: datetime | None, started: datetime) -> datetime | None:
    """When the countdown turns amber (the page's clock takes it from there)."""
    return None if due is None else due - max(WARN_AT_LEAST, (due - started) * WARN_SHARE)


class Direction(StrEnum):
    INBOUND = "inbound"  # the customer wrote
    OUTBOUND = "outbound"  # the brand replied (automatic or an agent)
    INTERNAL = "internal"  # an internal note: never shown to the customer


@dataclass(frozen=True)
class ThreadItem:
    at: datetime
    direction: Direction
    visibility: str  # public, private, internal
    author: str  # "customer", "heed" (automatic) or agent:<name>
    text: str | None
    status: str | None = None  # a reply's: sent, failed, unknown; None while pending
    error: str | None = None


def thread(case: CaseDetail, timeline: list[dict[str, Any]]) -> list[ThreadItem]:
    """The case's whole thread, oldest first: the customer's mentions and the automatic replies and
    follow-ups as the customer record has them (with their words), the agents' answers as the router
    handed them to the responder (with their delivery), and internal notes."""
    case_id = str(case.case_id)
    items: list[ThreadItem] = []
    for entry in timeline:
        kind = str(entry.get("type") or "")
        if str(entry.get("case_id")) != case_id or kind == "reply:agent":
            continue  # an agent's answer is shown from the router's own row below, once
        at = datetime.fromisoformat(str(entry["at"]))
        if kind == "mention":
            items.append(ThreadItem(at, Direction.INBOUND, entry.get("visibility") or "public", "customer",
                                    entry.get("text")))
        elif kind.startswith("reply:"):
            items.append(ThreadItem(at, Direction.OUTBOUND, entry.get("visibility") or "public", "heed",
                                    entry.get("text"), status=entry.get("status")))
    for answer in case.answers:
        if answer.kind == "agent":
            items.append(ThreadItem(answer.created_at, Direction.OUTBOUND, answer.visibility.value, answer.author,
                                    answer.text, status=answer.reply_status, error=answer.reply_error))
    for note in case.notes:
        items.append(ThreadItem(note.created_at, Direction.INTERNAL, "internal", note.author, note.text))
    return sorted(items, key=lambda i: i.at)


def delivery(case: CaseDetail) -> list[dict[str, Any]]:
    """Each agent answer's delivery as the responder reported it: sent, failed with its reason, or
    unknown (not reported yet: queued, sending, or its platform could not confirm)."""
    return [{"answer_id": str(a.answer_id), "author": a.author, "visibility": a.visibility.value,
             "status": a.reply_status or "unknown", "error": a.reply_error,
             "sent_at": a.sent_at.isoformat() if a.sent_at else None} for a in case.answers]
