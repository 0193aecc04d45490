"""Responder: renders the reply for each routed mention, writes it to the outbox, sends it
through the channel adapter once, and publishes what was sent."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from heed.contracts import topics
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
from heed.runtime.messaging import Handler, Incoming, Outgoing
from heed.runtime.service import Service
from heed_responder.adapters import outbox
from heed_responder.adapters.channels import ChannelAdapter, SandboxChannel
from heed_responder.domain.templates import render_reply
from heed_responder.settings import ResponderSettings


def reply_visibility(routed: RoutedCase) -> Visibility:
    """Private handling and private conversations are answered in private messages."""
    if routed.handling_mode is HandlingMode.PRIVATE or routed.mention.visibility is Visibility.PRIVATE:
        return Visibility.PRIVATE
    return Visibility.PUBLIC


def plan(routed: RoutedCase, brand: str, hotline: str) -> outbox.OutboxRow:
    """The outbox row for a routed mention: a rendered reply, or `ignored` for spam."""
    m = routed.mention
    ignored = outbox.OutboxRow(
        reply_id=derive_id("reply", routed.mention_id), mention_id=routed.mention_id, case_id=routed.case_id,
        channel=m.channel.value, visibility=reply_visibility(routed).value, mode=routed.handling_mode.value,
        in_reply_to=m.native_id, recipient=m.author.platform_id, received_at=m.received_at,
        sla_due_at=routed.sla_due_at, text=None, language=None, script=None, template_id=None, status="ignored")
    if routed.handling_mode is HandlingMode.IGNORE:
        return ignored
    rendered = render_reply(m, routed.classification, routed.handling_mode, routed.department,
                            case_ref=str(routed.case_id)[:8].upper(),
                            due=routed.sla_due_at.strftime("%Y-%m-%d %H:%M UTC"), brand=brand, hotline=hotline)
    return replace(ignored, text=rendered.text, language=rendered.language, script=rendered.script,
                   template_id=rendered.template_id, status="pending")


def reply_event(row: outbox.OutboxRow) -> Reply:
    return Reply(
        event_id=derive_id("reply-event", row.reply_id, row.status), reply_id=row.reply_id,
        mention_id=row.mention_id, case_id=row.case_id, channel=Channel(row.channel),
        visibility=Visibility(row.visibility), handling_mode=HandlingMode(row.mode), in_reply_to=row.in_reply_to,
        recipient_platform_id=row.recipient, text=row.text or "", language=row.language or "und",
        script="Hant" if row.script == "Hant" else "Hans" if row.script == "Hans" else None,
        template_id=row.template_id or "", status=ReplyStatus(row.status), error=row.error,
        received_at=row.received_at, sent_at=row.sent_at)


class ResponderService(Service):
    name = "responder"
    settings: ResponderSettings

    def __init__(self, settings: ResponderSettings | None = None) -> None:
        super().__init__(settings or ResponderSettings())
        self.channel: ChannelAdapter | None = None

    def handlers(self) -> dict[str, Handler[Any]]:
        if self.settings.responder_channel_adapter != "sandbox":
            raise ValueError(f"unknown channel adapter {self.settings.responder_channel_adapter!r}; "
                             "available: sandbox")
        self.channel = SandboxChannel(self.pool)
        return {topics.CASES_ROUTED: self.respond}

    async def respond(self, batch: list[Incoming[RoutedCase]]) -> None:
        assert self.channel is not None
        brand, hotline = self.settings.responder_brand, self.settings.responder_hotline
        await outbox.enqueue(self.pool, [plan(item.event, brand, hotline) for item in batch])
        rows = await outbox.for_mentions(self.pool, [item.event.mention_id for item in batch])
        pending = [r for r in rows if r.status == "pending"]
        if pending:
            sent, failed = await self.channel.send(pending)
            await outbox.mark_sent(self.pool, sent)
            await outbox.mark_failed(self.pool, failed)
            rows = await outbox.for_mentions(self.pool, [item.event.mention_id for item in batch])
        by_mention = {r.mention_id: r for r in rows}
        out = []
        for item in batch:
            row = by_mention[item.event.mention_id]
            if row.status not in ("sent", "failed"):
                continue
            key = item.event.mention.conversation_key
            out.append(Outgoing(topics.REPLIES, reply_event(row), key, item.context))
            if row.status == "sent" and item.event.new_case:
                out.append(Outgoing(topics.CASE_EVENTS, CaseEvent(
                    event_id=derive_id("case-event", "first_response", item.event.case_id),
                    case_id=item.event.case_id, mention_id=item.event.mention_id,
                    kind=CaseEventKind.FIRST_RESPONSE, department=item.event.department), str(item.event.case_id),
                    item.context))
        await self.stage.publisher.publish(out)
