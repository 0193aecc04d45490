"""A reply in the outbox and the statuses it moves through.

Every routed mention gets one automatic outbox reply, and every CaseAnswer (an agent's answer, a
follow-up) one reply of its own, written before anything is sent: `pending` until the
channel sends it (`sent`) or refuses it (`failed`); spam is `ignored` and never sent. A status
changes only along TRANSITIONS, so a redelivered mention can never send or fail a reply twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    IGNORED = "ignored"


# status → the statuses it may move to; the PostgreSQL outbox's updates hold the same rule
TRANSITIONS: dict[OutboxStatus, frozenset[OutboxStatus]] = {
    OutboxStatus.PENDING: frozenset({OutboxStatus.SENT, OutboxStatus.FAILED}),
    OutboxStatus.SENT: frozenset(),
    OutboxStatus.FAILED: frozenset(),
    OutboxStatus.IGNORED: frozenset(),
}


@dataclass(frozen=True)
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
