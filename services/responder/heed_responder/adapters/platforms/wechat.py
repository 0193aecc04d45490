"""WeChat Official Account customer-service messages (客服消息).

Endpoint facts (developers.weixin.qq.com, Official Accounts), in short:
- `POST /cgi-bin/message/custom/send?access_token=…` with `{"touser": openid, "msgtype": "text",
  "text": {"content"}}`; allowed for 48 hours after the follower last wrote to the account.
  Success is `{"errcode": 0, "errmsg": "ok"}` with no message id; every answer is HTTP 200 and the
  errcode says what happened: 40001/42001/40014 a bad or expired access token, 45015 "response out
  of time limit or subscription is canceled", 45047 too many messages before the follower writes
  again, 43004 the follower unsubscribed, 40003 an invalid openid, 45009/45011 API quota, -1 busy.
- The access token comes from `GET /cgi-bin/token?grant_type=client_credential&appid=…&secret=…`
  (`{"access_token", "expires_in": 7200}`); it is cached per account until `expires_in` minus a
  margin, and fetched again when a send says it is invalid (the send was refused, so it is resent once).
- There is no way to list sent customer-service messages: `read_back` is None.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime

import httpx

from heed_responder.adapters.platforms.http import Call, PlatformHttp, ReadFailed, json_body
from heed_responder.adapters.platforms.rules import WECHAT_WINDOW, WINDOW_CLOSED, account_for, since_received, utcnow
from heed_responder.adapters.platforms.settings import PlatformSettings, WeChatAccount
from heed_responder.domain.outbox import OutboxRow
from heed_responder.domain.sending import SendResult

TOKEN_ERRORS = {40001, 42001, 40014}
SEND_ENDPOINT = "POST /cgi-bin/message/custom/send"


def judge(response: httpx.Response, reply: OutboxRow) -> SendResult:
    body = json_body(response)
    if response.status_code != 200 or not isinstance(body, dict):
        if response.status_code in (502, 503):
            return SendResult.retry(f"WeChat unavailable ({response.status_code})")
        return SendResult.unknown(f"WeChat answered {response.status_code} without an errcode; it may have sent")
    code, said = body.get("errcode", 0), f"{str(body.get('errmsg') or '')[:120]} (errcode {body.get('errcode')})"
    if code == 0:
        # the API returns no message id: the reply id stands for it
        return SendResult.sent(f"custom:{reply.reply_id}")
    if code in TOKEN_ERRORS:
        return SendResult.failed(f"WeChat rejected the access token: {said}")
    if code == 45015:
        return SendResult.failed(f"{WINDOW_CLOSED}: {said}")
    if code == 45047:
        return SendResult.failed(f"WeChat allows no more messages until the follower writes again: {said}")
    if code == 43004:
        return SendResult.failed(f"the follower has unsubscribed: {said}")
    if code == 45009:
        return SendResult.retry(f"WeChat daily API quota reached: {said}", retry_after_s=3600)
    if code == 45011:
        return SendResult.retry(f"WeChat API rate limit: {said}", retry_after_s=60)
    if code == -1:
        return SendResult.retry(f"WeChat busy: {said}")
    return SendResult.failed(f"WeChat refused the message: {said}")


class WeChatClient:
    """PlatformClient for WeChat Official Accounts: customer-service text messages."""

    channel = "wechat"

    def __init__(self, settings: PlatformSettings, *, now: Callable[[], datetime] = utcnow,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.accounts = settings.wechat_accounts
        self.margin_s = settings.wechat_token_margin_s
        self.http = PlatformHttp(self.channel, settings.wechat_base_url, settings.http_policy())
        self._now = now
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}  # account → (access token, good until)
        self._lock = asyncio.Lock()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def send(self, reply: OutboxRow) -> SendResult:
        found = account_for(self.accounts, reply, "HEED_WECHAT_ACCOUNTS")
        if isinstance(found, SendResult):
            return found
        key, account = found
        if not reply.text:
            return SendResult.failed("the reply has no text")
        if since_received(reply, self._now()) > WECHAT_WINDOW:
            return SendResult.failed(f"{WINDOW_CLOSED}: WeChat allows customer-service messages for 48 hours "
                                     "after the follower last wrote")
        codes: list[object] = []  # the errcode of each answer, to tell a refused token from the rest

        def judged(response: httpx.Response) -> SendResult:
            body = json_body(response)
            codes.append(body.get("errcode") if isinstance(body, dict) else None)
            return judge(response, reply)

        result = SendResult.failed("not sent")
        for fresh in (False, True):
            try:
                token = await self._token(key, account, fresh=fresh)
            except ReadFailed as error:
                return SendResult.retry(f"no WeChat access token: {error}")
            except TokenRefused as error:
                return SendResult.failed(str(error))
            call = Call("POST", "/cgi-bin/message/custom/send", key, SEND_ENDPOINT, params={"access_token": token},
                        json={"touser": reply.recipient, "msgtype": "text", "text": {"content": reply.text}})
            result = await self.http.send(call, judged, reply_ref=str(reply.reply_id))
            if not (codes and codes[-1] in TOKEN_ERRORS):
                return result
            self._tokens.pop(key, None)  # refused with this token: nothing went out, fetch another
        return result

    async def read_back(self, reply: OutboxRow) -> SendResult | None:
        return None  # WeChat lists no sent customer-service messages: an agent decides

    async def _token(self, key: str, account: WeChatAccount, *, fresh: bool) -> str:
        async with self._lock:
            cached = self._tokens.get(key)
            if cached and not fresh and cached[1] > self._clock():
                return cached[0]
            response = await self.http.read(Call(
                "GET", "/cgi-bin/token", key, "GET /cgi-bin/token",
                params={"grant_type": "client_credential", "appid": account.appid,
                        "secret": account.secret.get_secret_value()}))
            body = json_body(response)
            if not isinstance(body, dict) or not body.get("access_token"):
                code = body.get("errcode") if isinstance(body, dict) else None
                if code in (-1, 45009):
                    raise ReadFailed(f"WeChat token endpoint busy (errcode {code})")
                said = str(body.get("errmsg") or "")[:120] if isinstance(body, dict) else "not JSON"
                raise TokenRefused(f"WeChat refused the app's credentials: {said} (errcode {code})")
            expires_in = float(body.get("expires_in") or 7200)
            self._tokens[key] = (str(body["access_token"]), self._clock() + max(0.0, expires_in - self.margin_s))
            return str(body["access_token"])


class TokenRefused(Exception):
    """WeChat will not issue an access token for these credentials (wrong secret, IP not allowed)."""
