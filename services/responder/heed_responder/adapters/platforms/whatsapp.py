"""WhatsApp Cloud API messages.

Endpoint facts (developers.facebook.com, WhatsApp Cloud API), in short:
- `POST /{phone-number-id}/messages` with `messaging_product: "whatsapp"`, `to` (the customer's
  WhatsApp id) and `type: "text"`, `text: {"body"}`: free text only within the 24-hour
  customer-service window that the customer's last message opened.
- Outside it only an approved template goes: `type: "template"`, `template: {"name", "language":
  {"code"}, "components": [...]}`; name and language come from configuration.
- Answers `{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid…"}]}`;
  errors are Graph errors (131047 window passed, 130429/131056 rate limits; see `meta.py`).
- No endpoint lists sent messages (delivery comes only as webhooks), so there is no read-back:
  `read_back` is None and the outbox leaves an unknown send to an agent.
"""

from __future__ import annotations

from typing import Any

from heed_responder.adapters.platforms.http import Call
from heed_responder.adapters.platforms.meta import GraphClient, Now, bearer, judge_id
from heed_responder.adapters.platforms.rules import STANDARD_WINDOW, WINDOW_CLOSED, since_received, utcnow
from heed_responder.adapters.platforms.settings import PlatformSettings, WhatsAppNumber
from heed_responder.domain.outbox import OutboxRow
from heed_responder.domain.sending import SendResult


class WhatsAppClient(GraphClient):
    """PlatformClient for WhatsApp: free text inside the 24-hour window, a template outside it."""

    channel = "whatsapp"
    setting = "HEED_WHATSAPP_NUMBERS"

    def __init__(self, settings: PlatformSettings, *, now: Now = utcnow) -> None:
        super().__init__(settings, settings.whatsapp_numbers, now=now)
        self.numbers = settings.whatsapp_numbers
        self.template_name = settings.whatsapp_template_name
        self.template_language = settings.whatsapp_template_language
        self.text_parameter = settings.whatsapp_template_text_parameter

    async def send(self, reply: OutboxRow) -> SendResult:
        sender = self.sender(reply)
        if isinstance(sender, SendResult):
            return sender
        number_id, token = sender
        content = self._content(reply, self.numbers[number_id])
        if isinstance(content, SendResult):
            return content
        call = Call("POST", f"/{number_id}/messages", number_id, "POST /{phone-number-id}/messages",
                    headers=bearer(token),
                    json={"messaging_product": "whatsapp", "recipient_type": "individual", "to": reply.recipient,
                          **content})
        return await self.http.send(call, lambda r: judge_id(r, self.hold, "WhatsApp", "id"),
                                    reply_ref=str(reply.reply_id))

    def _content(self, reply: OutboxRow, number: WhatsAppNumber) -> dict[str, Any] | SendResult:
        if since_received(reply, self._now()) <= STANDARD_WINDOW:
            return {"type": "text", "text": {"preview_url": False, "body": reply.text}}
        name = number.template_name or self.template_name
        if not name:
            return SendResult.failed(f"{WINDOW_CLOSED}: more than 24 hours since the customer wrote and no "
                                     "approved template is configured (HEED_WHATSAPP_TEMPLATE_NAME)")
        template: dict[str, Any] = {"name": name,
                                    "language": {"code": number.template_language or self.template_language}}
        if self.text_parameter:
            template["components"] = [{"type": "body", "parameters": [{"type": "text", "text": reply.text}]}]
        return {"type": "template", "template": template}

    async def read_back(self, reply: OutboxRow) -> SendResult | None:
        return None  # WhatsApp lists no sent messages: an unknown send is an agent's decision
