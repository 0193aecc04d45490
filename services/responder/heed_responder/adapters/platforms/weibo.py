"""Weibo comment replies and fans-service (粉丝服务) private messages.

Endpoint facts (open.weibo.com), in short:
- Reply to a comment: `POST https://api.weibo.com/2/comments/reply.json`, form fields
  `access_token`, `cid` (the comment), `id` (its post), `comment` (the text, at most 140 characters);
  a mention in a post is answered with `POST /2/comments/create.json` (`id`, `comment`). Both
  answer the comment (`{"id", "idstr", "text", "status", "reply_comment", …}`).
- Private message: the fans service's `POST https://m.api.weibo.com/2/messages/reply.json`, form
  fields `access_token`, `receiver_id`, `type: text` and `data` (URL-encoded JSON `{"text"}`,
  under 300 characters); allowed for 48 hours after the follower wrote to the account.
- Errors are `{"error", "error_code", "request"}` with HTTP 400/403: 21327 an expired token
  (213xx token problems), 10022/10023/10024 IP, user and per-endpoint rate limits (hourly; no reset
  time is given), 20016 posting too fast, 20017/20019 the same text again, 10001/10009 busy.
- Read-back of a comment reply: `GET /2/comments/by_me.json` (the account's own comments), matched
  on the replied comment (or post) and the text, which Weibo may prefix with "回复@name:".
  The fans service lists no sent messages: a private message has no read-back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from heed_responder.adapters.platforms.http import Call, PlatformHttp, ReadFailed, json_body
from heed_responder.adapters.platforms.rules import (
    WEIBO_WINDOW,
    WINDOW_CLOSED,
    account_for,
    is_direct_message,
    same_text,
    since_received,
    utcnow,
)
from heed_responder.adapters.platforms.settings import PlatformSettings, WeiboAccount
from heed_responder.domain.outbox import OutboxRow
from heed_responder.domain.sending import SendResult

RATE_LIMIT_CODES = {10022, 10023, 10024}
SETTING = "HEED_WEIBO_ACCOUNTS"


def judge(response: httpx.Response, reply: OutboxRow, hold_s: float) -> SendResult:
    body = json_body(response)
    if response.status_code == 200 and isinstance(body, dict) and "error_code" not in body:
        found = body.get("idstr") or body.get("id")
        if found:
            return SendResult.sent(str(found))
        if body.get("result") in (True, "true"):  # the fans service may answer without a message id
            return SendResult.sent(f"fans:{reply.reply_id}")
        return SendResult.unknown("Weibo answered 200 without an id; read back before sending again")
    if not isinstance(body, dict) or "error_code" not in body:
        if response.status_code in (502, 503):
            return SendResult.retry(f"Weibo unavailable ({response.status_code})")
        return SendResult.unknown(f"Weibo answered {response.status_code} without an error code; it may have sent")
    code = body.get("error_code")
    said = f"{str(body.get('error') or '')[:120]} (error_code {code})"
    if code == 21327 or (isinstance(code, int) and 21300 <= code <= 21399):
        return SendResult.failed(f"Weibo access token expired or invalid: reconnect the account; {said}")
    if code in RATE_LIMIT_CODES:
        return SendResult.retry(f"Weibo rate limit: {said}", retry_after_s=hold_s)
    if code == 20016:
        return SendResult.retry(f"Weibo says the account posts too fast: {said}", retry_after_s=60)
    if code in (10001, 10009):
        return SendResult.retry(f"Weibo busy: {said}")
    if code in (20017, 20019):
        return SendResult.failed(f"Weibo refused the same text again; it may already be there, read back: {said}")
    return SendResult.failed(f"Weibo refused the reply: {said}")


class WeiboClient:
    """PlatformClient for Weibo: public comment replies and fans-service private messages."""

    channel = "weibo"

    def __init__(self, settings: PlatformSettings, *, now: Callable[[], datetime] = utcnow) -> None:
        self.accounts = settings.weibo_accounts
        self.hold_s = settings.weibo_rate_limit_hold_s
        policy = settings.http_policy()
        self.http = PlatformHttp(self.channel, settings.weibo_base_url, policy)
        self.fans = PlatformHttp(self.channel, settings.weibo_fans_base_url, policy)
        self._now = now

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.fans.aclose()

    async def send(self, reply: OutboxRow) -> SendResult:
        found = account_for(self.accounts, reply, SETTING)
        if isinstance(found, SendResult):
            return found
        key, account = found
        if not reply.text:
            return SendResult.failed("the reply has no text")
        if reply.visibility == "private":
            return await self._message(reply, key, account)
        token = account.access_token.get_secret_value()
        if reply.thread_root and reply.thread_root != reply.in_reply_to:
            call = Call("POST", "/2/comments/reply.json", key, "POST /2/comments/reply.json", data={
                "access_token": token, "cid": reply.in_reply_to, "id": reply.thread_root, "comment": reply.text})
        else:
            call = Call("POST", "/2/comments/create.json", key, "POST /2/comments/create.json",
                        data={"access_token": token, "id": reply.in_reply_to, "comment": reply.text})
        return await self.http.send(call, lambda r: judge(r, reply, self.hold_s), reply_ref=str(reply.reply_id))

    async def _message(self, reply: OutboxRow, key: str, account: WeiboAccount) -> SendResult:
        if is_direct_message(reply) and since_received(reply, self._now()) > WEIBO_WINDOW:
            return SendResult.failed(f"{WINDOW_CLOSED}: Weibo's fans service allows replies for 48 hours "
                                     "after the follower wrote")
        token = (account.fans_access_token or account.access_token).get_secret_value()
        call = Call("POST", "/2/messages/reply.json", key, "POST /2/messages/reply.json", data={
            "access_token": token, "receiver_id": reply.recipient, "type": "text",
            "data": json.dumps({"text": reply.text}, ensure_ascii=False)})
        return await self.fans.send(call, lambda r: judge(r, reply, self.hold_s), reply_ref=str(reply.reply_id))

    async def read_back(self, reply: OutboxRow) -> SendResult | None:
        found = account_for(self.accounts, reply, SETTING)
        if isinstance(found, SendResult) or reply.visibility == "private":
            return None
        key, account = found
        try:
            response = await self.http.read(Call(
                "GET", "/2/comments/by_me.json", key, "GET /2/comments/by_me.json",
                params={"access_token": account.access_token.get_secret_value(), "count": 200}))
        except ReadFailed as error:
            return SendResult.unknown(f"read-back failed: {error}")
        body = json_body(response)
        if response.status_code != 200 or not isinstance(body, dict):
            return SendResult.unknown(f"read-back failed: Weibo answered {response.status_code}")
        for comment in body.get("comments") or []:
            if isinstance(comment, dict) and _answers(comment, reply) and same_text(reply.text, comment.get("text")):
                return SendResult.sent(str(comment.get("idstr") or comment.get("id")))
        return SendResult.retry("not among the account's own Weibo comments: it was not posted")


def _answers(comment: dict[str, Any], reply: OutboxRow) -> bool:
    def ident(item: Any) -> str | None:
        return str(item.get("idstr") or item.get("id")) if isinstance(item, dict) else None

    if reply.thread_root and reply.thread_root != reply.in_reply_to:
        return ident(comment.get("reply_comment")) == reply.in_reply_to
    return ident(comment.get("status")) == reply.in_reply_to
