"""What Facebook, Messenger, Instagram and WhatsApp share: the Graph API's errors, usage headers,
the Send API's messaging windows and the Conversations API read-back.

Endpoint facts (developers.facebook.com), in short:
- Errors are `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id", "is_transient"}}`.
  190 is an expired or revoked token; 4, 17, 32, 613 and the 8000x business-use-case codes are rate
  limits; 10 and 200-299 missing permissions (10 with subcode 2018278: sent outside the allowed
  window); 551 the person is not available; 2 (or `is_transient`) a temporary outage; 368 a policy
  block. WhatsApp adds 131047 (more than 24 hours since the customer wrote: re-engagement needs a
  template), 130429 and 131056 (throughput and pair rate limits), 131026 (undeliverable).
- `X-App-Usage` is `{"call_count", "total_cputime", "total_time"}` in percent of the app's limit;
  `X-Business-Use-Case-Usage` is `{business_id: [{"type", "call_count", ..., "estimated_time_to_regain_access"}]}`
  with the wait in minutes (`X-Page-Usage` the same for a page).
- Send API: `POST /{page-or-ig-user-id}/messages` with `recipient` (`id`, or `comment_id`/`post_id`
  for a private reply to a comment or post), `messaging_type` (`RESPONSE` within 24 hours of the
  person's message; `MESSAGE_TAG` with `tag: HUMAN_AGENT` for a human agent's answer within 7 days)
  and `message: {"text"}`; answers `{"recipient_id", "message_id"}`. No idempotency key.
- Conversations API: `GET /{page-id}/conversations?platform=…&user_id=…&fields=messages{…}` lists
  a person's conversation with the page, which is how a direct message is read back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from heed_responder.adapters.platforms.http import Call, HoldFor, PlatformHttp, ReadFailed, json_body, retry_after
from heed_responder.adapters.platforms.rules import (
    HUMAN_AGENT_WINDOW,
    STANDARD_WINDOW,
    WINDOW_CLOSED,
    account_for,
    same_text,
    since_received,
    utcnow,
)
from heed_responder.adapters.platforms.settings import MetaAccount, PlatformSettings, WhatsAppNumber
from heed_responder.domain.outbox import OutboxRow
from heed_responder.domain.sending import SendResult

RATE_LIMIT_CODES = {4, 17, 32, 613, 80001, 80002, 80004, 80005, 80006, 80007, 80008, 130429, 131056, 131048}
MESSAGES_ENDPOINT = "POST /{id}/messages"


def usage_hold(app_usage_hold_s: float) -> HoldFor:
    """How long to rest from Meta's usage headers: the business-use-case estimate (minutes), or the
    configured hold when the app's usage reaches 100% (that header gives no time)."""

    def hold(response: httpx.Response) -> float | None:
        waits: list[float] = []
        for name in ("x-business-use-case-usage", "x-page-usage", "x-ad-account-usage"):
            for usage in _usages(response.headers.get(name)):
                minutes = usage.get("estimated_time_to_regain_access")
                if isinstance(minutes, int | float) and minutes > 0:
                    waits.append(float(minutes) * 60)
        for usage in _usages(response.headers.get("x-app-usage")):
            if any(isinstance(v, int | float) and v >= 100 for v in usage.values()):
                waits.append(app_usage_hold_s)
        if response.status_code == 429 and not waits:
            waits.append(retry_after(response) or 60.0)
        return max(waits) if waits else None

    return hold


def _usages(header: str | None) -> list[dict[str, Any]]:
    if not header:
        return []
    try:
        value = json.loads(header)
    except ValueError:
        return []
    if isinstance(value, dict) and all(isinstance(v, list) for v in value.values()) and value:
        return [u for entries in value.values() for u in entries if isinstance(u, dict)]
    return [value] if isinstance(value, dict) else []


def graph_error(response: httpx.Response, hold: HoldFor, product: str) -> SendResult | None:
    """The SendResult for a Graph error answer, or None when the answer is not an error."""
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    status = response.status_code
    if not isinstance(error, dict):
        if status < 400:
            return None
        if status == 429:
            return SendResult.retry(f"{product} rate limit (429)", retry_after_s=hold(response))
        if status in (502, 503):
            return SendResult.retry(f"{product} unavailable ({status})")
        if status >= 500:
            return SendResult.unknown(f"{product} failed with {status}; read back before sending again")
        return SendResult.failed(f"{product} refused the request ({status})")
    code, sub = error.get("code"), error.get("error_subcode")
    said = f"{str(error.get('message') or '')[:160]} (code {code}{f'/{sub}' if sub else ''})"
    if code == 190:
        return SendResult.failed(f"{product} access token expired or revoked: reconnect the account; {said}")
    if code in RATE_LIMIT_CODES or status == 429:
        return SendResult.retry(f"{product} rate limit: {said}", retry_after_s=hold(response))
    if code == 131047 or (code == 10 and sub == 2018278):
        return SendResult.failed(f"{WINDOW_CLOSED}: {said}")
    if code == 551:
        return SendResult.failed(f"the person is not available on {product} (blocked or left): {said}")
    if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
        return SendResult.failed(f"{product} permission missing: {said}")
    if code == 2 or error.get("is_transient") is True:
        return SendResult.retry(f"{product} temporarily unavailable: {said}")
    if code == 1 or status >= 500:
        return SendResult.unknown(f"{product} failed without saying whether it sent: {said}")
    return SendResult.failed(f"{product} refused the reply: {said}")


def judge_id(response: httpx.Response, hold: HoldFor, product: str, id_field: str) -> SendResult:
    refused = graph_error(response, hold, product)
    if refused is not None:
        return refused
    body = json_body(response)
    if isinstance(body, dict) and body.get(id_field):
        return SendResult.sent(str(body[id_field]))
    if isinstance(body, dict) and isinstance(body.get("messages"), list) and body["messages"]:
        return SendResult.sent(str(body["messages"][0].get("id")))  # WhatsApp's answer
    return SendResult.unknown(f"{product} answered {response.status_code} without an id; read back first")


def dm_window(reply: OutboxRow, now: datetime) -> dict[str, str] | SendResult:
    """The Send API's messaging type for a direct message, or `failed` when no window is open.

    Within 24 hours any reply is a RESPONSE. Up to 7 days only a human agent's answer may go, with
    the HUMAN_AGENT tag (Meta's policy forbids it for automated messages); later nothing may.
    """
    age = since_received(reply, now)
    if age <= STANDARD_WINDOW:
        return {"messaging_type": "RESPONSE"}
    if age <= HUMAN_AGENT_WINDOW and reply.kind == "agent":
        return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    hours = int(age.total_seconds() // 3600)
    allowed = "7 days for an agent's answer" if reply.kind == "agent" else "24 hours for an automatic reply"
    return SendResult.failed(f"{WINDOW_CLOSED}: the customer wrote {hours} h ago; Meta allows {allowed}")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def send_message(http: PlatformHttp, hold: HoldFor, product: str, sender_id: str, token: str,
                       recipient: dict[str, str], messaging: dict[str, str], reply: OutboxRow) -> SendResult:
    """One Send API message from a page or Instagram account."""
    call = Call("POST", f"/{sender_id}/messages", sender_id, MESSAGES_ENDPOINT, headers=bearer(token),
                json={"recipient": recipient, **messaging, "message": {"text": reply.text}})
    return await http.send(call, lambda r: judge_id(r, hold, product, "message_id"), reply_ref=str(reply.reply_id))


async def find_in_conversation(http: PlatformHttp, product: str, platform: str, sender_id: str, token: str,
                               reply: OutboxRow) -> SendResult:
    """Read a direct message back from the Conversations API: the page's message with our text."""
    response = await http.read(Call(
        "GET", f"/{sender_id}/conversations", sender_id, "GET /{id}/conversations", headers=bearer(token),
        params={"platform": platform, "user_id": reply.recipient, "fields": "messages{id,message,from}"}))
    for conversation in _data(response, product):
        messages = conversation.get("messages")
        for message in _data_of(messages):
            sender = message.get("from")
            if isinstance(sender, dict) and str(sender.get("id")) == sender_id \
                    and same_text(reply.text, message.get("message")):
                return SendResult.sent(str(message["id"]))
    return SendResult.retry(f"not in the {product} conversation: the message was not sent")


async def find_comment_reply(http: PlatformHttp, product: str, path: str, author_id: str, token: str,
                             reply: OutboxRow, *, text_field: str, endpoint: str) -> SendResult:
    """Read a public comment reply back: the account's own reply with our text under the comment."""
    response = await http.read(Call("GET", path, author_id, endpoint, headers=bearer(token),
                                    params={"fields": f"id,{text_field},from"}))
    for comment in _data(response, product):
        sender = comment.get("from")
        if isinstance(sender, dict) and str(sender.get("id")) == author_id \
                and same_text(reply.text, comment.get(text_field)):
            return SendResult.sent(str(comment["id"]))
    return SendResult.retry(f"no reply from the account under the {product} comment: it was not posted")


def _data(response: httpx.Response, product: str) -> list[dict[str, Any]]:
    if response.status_code != 200:
        raise ReadFailed(f"{product} answered {response.status_code} to the read-back")
    return _data_of(json_body(response))


def _data_of(page: Any) -> list[dict[str, Any]]:
    data = page.get("data") if isinstance(page, dict) else None
    return [item for item in data or [] if isinstance(item, dict) and item.get("id")]


Now = Callable[[], datetime]


class GraphClient:
    """What every Graph API client holds: its accounts, its HTTP client with Meta's usage holds, a clock."""

    channel = "graph"
    setting = "HEED_FACEBOOK_PAGES"

    def __init__(self, settings: PlatformSettings, accounts: Mapping[str, MetaAccount | WhatsAppNumber],
                 *, now: Now = utcnow) -> None:
        self.accounts = accounts
        self.hold = usage_hold(settings.meta_usage_hold_s)
        self.http = PlatformHttp(self.channel, settings.graph_base_url, settings.http_policy(), hold_for=self.hold)
        self._now = now

    async def aclose(self) -> None:
        await self.http.aclose()

    def sender(self, reply: OutboxRow) -> tuple[str, str] | SendResult:
        """The sending account's id and token, or why the reply cannot go (no credentials, no text)."""
        found = account_for(self.accounts, reply, self.setting)
        if isinstance(found, SendResult):
            return found
        if not reply.text:
            return SendResult.failed("the reply has no text")
        return found[0], found[1].access_token.get_secret_value()
