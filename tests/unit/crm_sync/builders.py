"""The events crm-sync consumes besides mentions: a mention's routed case and its reply."""

from __future__ import annotations

import uuid
from datetime import timedelta

from heed.contracts.events import (
    Category,
    HandlingMode,
    Mention,
    Reply,
    ReplyStatus,
    RoutedCase,
    derive_id,
)
from tests.unit.factories import classification


def routed_case(m: Mention, department: str = "logistics", category: Category = Category.COMPLAINT) -> RoutedCase:
    return RoutedCase(event_id=uuid.uuid4(), mention_id=m.mention_id, case_id=derive_id("case", m.thread_root),
                      mention=m, classification=classification(category), department=department,
                      handling_mode=HandlingMode.HOLDING, priority=50, sla_due_at=m.created_at + timedelta(hours=4),
                      rule_id="test")


def reply_to(m: Mention, status: ReplyStatus = ReplyStatus.SENT, text: str = "Sorry! Logistics will DM you.") -> Reply:
    return Reply(event_id=uuid.uuid4(), reply_id=derive_id("reply", m.mention_id), mention_id=m.mention_id,
                 case_id=derive_id("case", m.thread_root), channel=m.channel, visibility=m.visibility,
                 handling_mode=HandlingMode.HOLDING, in_reply_to=m.native_id,
                 recipient_platform_id=m.author.platform_id, text=text, language="en", template_id="holding",
                 status=status, received_at=m.received_at,
                 sent_at=m.received_at + timedelta(minutes=1) if status is ReplyStatus.SENT else None)
