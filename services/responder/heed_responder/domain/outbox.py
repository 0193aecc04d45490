"""A reply in the outbox and the statuses it moves through.

Every routed mention gets one automatic outbox reply, and every CaseAnswer (an agent's answer, a
follow-up) one reply of its own, written before anything is sent: `pending` until the channel
sends it (`sent`) or refuses it (`failed`); spam is `ignored` and never sent. A status changes
only along TRANSITIONS, so a redelivered mention can never send or fail a reply twice.

A platform that cannot tell a resent request from a new one is called only for a reply that has
first moved to `sending` (committed). A crash leaves it there; it is never sent again blindly: the
platform is read back, and a reply it shows becomes `sent`, one it cannot show `unknown` (an
agent decides), one it shows never arrived goes back to `pending`. A platform's "not now" (rate
limit, a 5xx before it accepted anything) also puts the reply back to `pending` with a time to
try again. The sandbox is idempotent by its primary key, so its replies go straight from
`pending` to `sent`.

When a customer's data is erased, their replies keep only ids and statuses (`forget`): a pending
one is cancelled (`failed`), one being sent becomes `unknown` (the platform may still take it), and
none is reported again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    IGNORED = "ignored"


# status → the statuses it may move to; the PostgreSQL outbox's updates hold the same rule
TRANSITIONS: dict[OutboxStatus, frozenset[OutboxStatus]] = {
    OutboxStatus.PENDING: frozenset({OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.FAILED}),
    OutboxStatus.SENDING: frozenset({OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.UNKNOWN,
                                     OutboxStatus.PENDING}),
    OutboxStatus.UNKNOWN: frozenset({OutboxStatus.SENT, OutboxStatus.FAILED}),
    OutboxStatus.SENT: frozenset(),
    OutboxStatus.FAILED: frozenset(),
    OutboxStatus.IGNORED: frozenset(),
}

# what the router and crm-sync hear of: a reply that has reached an end (or needs a person)
REPORTED = frozenset({OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.UNKNOWN})

ERASED = "cancelled: the customer's data was erased on request"


# Not frozen, but never changed in place: every change is a `replace`. A frozen dataclass's __init__
# sets each of these 27 fields through object.__setattr__: a replace cost 6.3–6.7 µs against 3.9–4.0,
# and planning a reply makes three or four (docs/benchmarks/hot_paths.py). The router's Case is kept
# the same way.
@dataclass(slots=True)
class OutboxRow:
    reply_id: uuid.UUID
    mention_id: uuid.UUID
    case_id: uuid.UUID
    channel: str
    visibility: str
    mode: str
    in_reply_to: str
    recipient: str
    text: str | None
    language: str | None
    script: str | None
    template_id: str | None
    status: OutboxStatus
    received_at: datetime
    sla_due_at: datetime | None
    sent_at: datetime | None = None
    error: str | None = None
    kind: str = "auto"  # auto, agent (a department's answer) or follow_up (the rating check-back)
    author: str = "heed:responder"
    answer_id: uuid.UUID | None = None
    substantive: bool = False
    account: str | None = None  # the brand account the mention addressed (chooses credentials and sender)
    thread_root: str | None = None  # native id of the conversation's first post (LinkedIn comments on it)
    platform_message_id: str | None = None  # the platform's id for the reply once sent
    attempts: int = 0  # platform calls made for it
    next_attempt_at: datetime | None = None  # a pending reply the platform asked to wait: not before then
    erased: bool = False  # the customer's data was erased: nothing left names them, nothing is reported


def forget(row: OutboxRow) -> OutboxRow:
    """`row` once its customer's data is erased: text, recipient and the posts it answered blanked, a
    pending reply cancelled, one being sent `unknown`; kept so a redelivery is not answered again."""
    status = {OutboxStatus.PENDING: OutboxStatus.FAILED, OutboxStatus.SENDING: OutboxStatus.UNKNOWN}.get(
        row.status, row.status)
    return replace(row, status=status, error=ERASED if status is not row.status else row.error, text=None,
                   recipient="", in_reply_to="", thread_root=None, platform_message_id=None, next_attempt_at=None,
                   erased=True)
