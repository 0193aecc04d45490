"""What the responder decides for a routed mention, with no I/O: the reply to queue, where the
customer sees it, and the events that report what became of it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from heed.contracts.events import (
    CaseEvent,
    CaseEventKind,
    Channel,
    HandlingMode,
    Reply,
    ReplyStatus,
    RoutedCase,
    Visibility,
    derive_id,
)
from heed_responder.domain.outbox import OutboxRow, OutboxStatus
from heed_responder.domain.templates import render_reply


@dataclass(frozen=True)
class ReplyContext:
    """What replies say about the brand (from the responder's settings)."""

    brand: str
    hotline: str


def reply_visibility(routed: RoutedCase) -> Visibility:
    """Private handling and private conversations are answered in private messages."""
    if routed.handling_mode is HandlingMode.PRIVATE or routed.mention.visibility is Visibility.PRIVATE:
        return Visibility.PRIVATE
    return Visibility.PUBLIC


def plan(routed: RoutedCase, context: ReplyContext) -> OutboxRow:
    """The outbox row for a routed mention: a rendered reply, or `ignored` for spam.

    Its reply id derives from the mention, so however often a mention is planned it is one reply.
    """
    m = routed.mention
    ignored = OutboxRow(
        reply_id=derive_id("reply", routed.mention_id), mention_id=routed.mention_id, case_id=routed.case_id,
        channel=m.channel.value, visibility=reply_visibility(routed).value, mode=routed.handling_mode.value,
        in_reply_to=m.native_id, recipient=m.author.platform_id, received_at=m.received_at,
        sla_due_at=routed.sla_due_at, text=None, language=None, script=None, template_id=None,
        status=OutboxStatus.IGNORED)
    if routed.handling_mode is HandlingMode.IGNORE:
        return ignored
    rendered = render_reply(m, routed.classification, routed.handling_mode, routed.department,
                            case_ref=str(routed.case_id)[:8].upper(),
                            due=routed.sla_due_at.strftime("%Y-%m-%d %H:%M UTC"), brand=context.brand,
                            hotline=context.hotline)
    return replace(ignored, text=rendered.text, language=rendered.language, script=rendered.script,
                   template_id=rendered.template_id, status=OutboxStatus.PENDING)


def reply_event(row: OutboxRow, now: datetime) -> Reply:
    """The `heed.replies` event of a sent or failed reply."""
    return Reply(
        event_id=derive_id("reply-event", row.reply_id, row.status), occurred_at=now, reply_id=row.reply_id,
        mention_id=row.mention_id, case_id=row.case_id, channel=Channel(row.channel),
        visibility=Visibility(row.visibility), handling_mode=HandlingMode(row.mode), in_reply_to=row.in_reply_to,
        recipient_platform_id=row.recipient, text=row.text or "", language=row.language or "und",
        script="Hant" if row.script == "Hant" else "Hans" if row.script == "Hans" else None,
        template_id=row.template_id or "", status=ReplyStatus(row.status), error=row.error,
        received_at=row.received_at, sent_at=row.sent_at)


def outcome(routed: RoutedCase, row: OutboxRow, now: datetime) -> tuple[Reply | None, CaseEvent | None]:
    """What to report about a routed mention's reply: its reply event once it is sent or failed, and
    the case's FIRST_RESPONSE when the reply that opened the case was sent.

    Event ids derive from the reply and the case, so a redelivered mention reports the same events.
    """
    if row.status not in (OutboxStatus.SENT, OutboxStatus.FAILED):
        return None, None
    first_response = None
    if row.status is OutboxStatus.SENT and routed.new_case:
        first_response = CaseEvent(
            event_id=derive_id("case-event", "first_response", routed.case_id), occurred_at=now,
            case_id=routed.case_id, mention_id=routed.mention_id, kind=CaseEventKind.FIRST_RESPONSE,
            department=routed.department)
    return reply_event(row, now), first_response
