"""What the responder decides for a routed mention, with no I/O: the reply to queue, where the
customer sees it, and the events that report what became of it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from heed.contracts.events import (
    AnswerKind,
    CaseAnswer,
    Channel,
    HandlingMode,
    Reply,
    ReplyKind,
    ReplyStatus,
    RoutedCase,
    Visibility,
    derive_id,
)
from heed_responder.domain.outbox import REPORTED, OutboxRow, OutboxStatus
from heed_responder.domain.templates import in_script, limit_for, render_follow_up, render_reply


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
    None of today's templates answers the customer's question (they thank, acknowledge, promise
    an answer or move to private messages), so no automatic reply is `substantive`: the case's
    first response is still owed by the department.
    """
    m = routed.mention
    ignored = OutboxRow(
        reply_id=derive_id("reply", routed.mention_id), mention_id=routed.mention_id, case_id=routed.case_id,
        channel=m.channel.value, visibility=reply_visibility(routed).value, mode=routed.handling_mode.value,
        in_reply_to=m.native_id, recipient=m.author.platform_id, received_at=m.received_at,
        sla_due_at=routed.sla_due_at, text=None, language=None, script=None, template_id=None,
        status=OutboxStatus.IGNORED, account=m.account, thread_root=m.thread_root)
    if routed.handling_mode is HandlingMode.IGNORE:
        return ignored
    rendered = render_reply(m, routed.classification, routed.handling_mode, routed.department,
                            case_ref=str(routed.case_id)[:8].upper(),
                            due=routed.sla_due_at.strftime("%Y-%m-%d %H:%M UTC"), brand=context.brand,
                            hotline=context.hotline)
    return replace(ignored, text=rendered.text, language=rendered.language, script=rendered.script,
                   template_id=rendered.template_id, status=OutboxStatus.PENDING)


def plan_answer(answer: CaseAnswer, context: ReplyContext) -> OutboxRow:
    """The outbox row sending a CaseAnswer: an agent's text in the customer's script, or the follow-up.

    A public answer longer than the channel allows is refused (failed, with the reason) rather
    than cut: an agent's answer is theirs to shorten, and the case goes back to the queue.
    """
    private = answer.visibility is Visibility.PRIVATE
    if answer.kind is AnswerKind.FOLLOW_UP:
        rendered = render_follow_up(answer.language, answer.script, context.brand)
        text, language, script, template_id = rendered.text, rendered.language, rendered.script, rendered.template_id
    else:
        text = in_script(answer.text or "", answer.script if answer.language == "zh" else None)
        language, script, template_id = answer.language, answer.script, "agent"
    limit = limit_for(answer.channel, private)
    status, error = OutboxStatus.PENDING, None
    if not text.strip():
        status, error = OutboxStatus.FAILED, "the answer is empty"
    elif len(text) > limit:
        status = OutboxStatus.FAILED
        error = (f"answer is {len(text)} characters; {answer.channel.value} allows {limit} in a "
                 f"{'private message' if private else 'public reply'}")
    return OutboxRow(
        reply_id=derive_id("reply", "answer", answer.answer_id), mention_id=answer.mention_id,
        case_id=answer.case_id, channel=answer.channel.value, visibility=answer.visibility.value,
        mode=(HandlingMode.ACKNOWLEDGE if answer.kind is AnswerKind.FOLLOW_UP else HandlingMode.ANSWER).value,
        in_reply_to=answer.in_reply_to, recipient=answer.recipient_platform_id, received_at=answer.received_at,
        sla_due_at=None, text=text, language=language, script=script, template_id=template_id, status=status,
        error=error, kind=answer.kind.value, author=answer.author, answer_id=answer.answer_id,
        substantive=answer.kind is AnswerKind.AGENT, thread_root=answer.thread_root)


def reply_event(row: OutboxRow, now: datetime) -> Reply:
    """The `heed.replies` event of a sent or failed reply."""
    return Reply(
        event_id=derive_id("reply-event", row.reply_id, row.status), occurred_at=now, reply_id=row.reply_id,
        mention_id=row.mention_id, case_id=row.case_id, channel=Channel(row.channel),
        visibility=Visibility(row.visibility), handling_mode=HandlingMode(row.mode), in_reply_to=row.in_reply_to,
        recipient_platform_id=row.recipient, text=row.text or "", language=row.language or "und",
        script="Hant" if row.script == "Hant" else "Hans" if row.script == "Hans" else None,
        template_id=row.template_id or "", status=ReplyStatus(row.status), error=row.error,
        received_at=row.received_at, sent_at=row.sent_at, kind=ReplyKind(row.kind), answer_id=row.answer_id,
        author=row.author, substantive=row.substantive)


def outcome(row: OutboxRow, now: datetime) -> Reply | None:
    """The reply event once the reply is sent, failed or unknown (None while pending, sending or ignored).

    Its id derives from the reply and its status, so a redelivery reports the same event. What the
    reply did to the case (acknowledged, answered, first response) is the router's to announce.
    """
    if row.status not in REPORTED:
        return None
    return reply_event(row, now)
