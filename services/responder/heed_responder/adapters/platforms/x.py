"""X (API v2) replies and direct messages.

Endpoint facts (docs.x.com, X API v2), in short:
- A public reply is a new post: `POST /2/tweets` with JSON `{"text", "reply": {"in_reply_to_tweet_id"}}`;
  201 answers `{"data": {"id", "text"}}`.
- A direct message: `POST /2/dm_conversations/with/{participant_id}/messages` with `{"text"}`;
  201 answers `{"data": {"dm_conversation_id", "dm_event_id"}}`.
- Both need a user-context token (`Authorization: Bearer`). Errors are problem documents
  (`{"title", "detail", "type", "status"}`, sometimes `{"errors": [...]}`): 401 bad or expired token,
  403 not permitted (duplicate text, replies restricted, the user blocks the account), 429 rate limit.
- Every answer carries `x-rate-limit-limit`, `x-rate-limit-remaining` and `x-rate-limit-reset`
  (epoch seconds when the window resets; most windows are 15 minutes).
- Neither send takes an idempotency key. Read-back: the brand's recent posts
  (`GET /2/users/{id}/tweets` with `tweet.fields=referenced_tweets`) matched on the replied-to id
  and the text; for a DM, the conversation's events (`GET /2/dm_conversations/with/{id}/dm_events`)
  matched on sender and text.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from heed_responder.adapters.platforms.http import Call, PlatformHttp, ReadFailed, json_body, retry_after
from heed_responder.adapters.platforms.rules import account_for, same_text
from heed_responder.adapters.platforms.settings import PlatformSettings, XAccount
from heed_responder.domain.outbox import OutboxRow
from heed_responder.domain.sending import SendResult

POST_ENDPOINT = "POST /2/tweets"
DM_ENDPOINT = "POST /2/dm_conversations/with/:participant_id/messages"


def rate_limit_hold(response: httpx.Response) -> float | None:
    """Seconds until the window resets when it is spent (remaining 0) or the answer is 429."""
    remaining = response.headers.get("x-rate-limit-remaining")
    reset = response.headers.get("x-rate-limit-reset")
    if response.status_code != 429 and remaining != "0":
        return None
    if reset and reset.isdigit():
        return max(1.0, int(reset) - time.time())
    return retry_after(response) or 60.0  # spent, with no reset given: a conservative minute


def _problem(body: Any) -> str:
    if isinstance(body, dict):
        if body.get("detail") or body.get("title"):
            return str(body.get("detail") or body.get("title"))[:200]
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("message") or errors[0].get("detail") or "")[:200]
    return "no detail"


def judge(response: httpx.Response, id_field: str) -> SendResult:
    body = json_body(response)
    status = response.status_code
    if status in (200, 201):
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, dict) and data.get(id_field):
            return SendResult.sent(str(data[id_field]))
        return SendResult.unknown(f"X answered {status} without {id_field}; read back before sending again")
    if status == 429:
        return SendResult.retry("X rate limit reached", retry_after_s=rate_limit_hold(response))
    if status == 401:
        return SendResult.failed("X rejected the token (401): reconnect the brand's X account")
    if status == 403:
        return SendResult.failed(f"X refused the reply (403): {_problem(body)}")
    if status in (502, 503):  # X documents these as down or overloaded: nothing was created
        return SendResult.retry(f"X unavailable ({status})")
    if status >= 500:
        return SendResult.unknown(f"X failed with {status}; the post may exist: read back before sending again")
    return SendResult.failed(f"X refused the request ({status}): {_problem(body)}")


class XClient:
    """PlatformClient for X: public replies as posts, private replies as direct messages."""

    channel = "x"

    def __init__(self, settings: PlatformSettings) -> None:
        self.accounts = settings.x_accounts
        self.read_back_posts = settings.x_read_back_posts
        self.http = PlatformHttp(self.channel, settings.x_base_url, settings.http_policy(), hold_for=rate_limit_hold)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def send(self, reply: OutboxRow) -> SendResult:
        found = account_for(self.accounts, reply, "HEED_X_ACCOUNTS")
        if isinstance(found, SendResult):
            return found
        key, account = found
        if not reply.text:
            return SendResult.failed("the reply has no text")
        if reply.visibility == "private":
            call = Call("POST", f"/2/dm_conversations/with/{reply.recipient}/messages", key, DM_ENDPOINT,
                        json={"text": reply.text}, headers=_auth(account))
            return await self.http.send(call, lambda r: judge(r, "dm_event_id"), reply_ref=str(reply.reply_id))
        call = Call("POST", "/2/tweets", key, POST_ENDPOINT, headers=_auth(account),
                    json={"text": reply.text, "reply": {"in_reply_to_tweet_id": reply.in_reply_to}})
        return await self.http.send(call, lambda r: judge(r, "id"), reply_ref=str(reply.reply_id))

    async def read_back(self, reply: OutboxRow) -> SendResult | None:
        found = account_for(self.accounts, reply, "HEED_X_ACCOUNTS")
        if isinstance(found, SendResult):
            return None
        key, account = found
        user_id = account.user_id or key
        try:
            if reply.visibility == "private":
                return await self._find_dm(reply, key, account, user_id)
            return await self._find_post(reply, key, account, user_id)
        except ReadFailed as error:
            return SendResult.unknown(f"read-back failed: {error}")

    async def _find_post(self, reply: OutboxRow, key: str, account: XAccount, user_id: str) -> SendResult:
        response = await self.http.read(Call(
            "GET", f"/2/users/{user_id}/tweets", key, "GET /2/users/:id/tweets", headers=_auth(account),
            params={"max_results": self.read_back_posts, "tweet.fields": "referenced_tweets,created_at"}))
        for post in _listed(response):
            replied = {str(r.get("id")) for r in post.get("referenced_tweets") or []
                       if isinstance(r, dict) and r.get("type") == "replied_to"}
            if reply.in_reply_to in replied and same_text(reply.text, post.get("text")):
                return SendResult.sent(str(post["id"]))
        return SendResult.retry("not among the brand's recent X posts: it was not posted")

    async def _find_dm(self, reply: OutboxRow, key: str, account: XAccount, user_id: str) -> SendResult:
        response = await self.http.read(Call(
            "GET", f"/2/dm_conversations/with/{reply.recipient}/dm_events", key,
            "GET /2/dm_conversations/with/:participant_id/dm_events", headers=_auth(account),
            params={"event_types": "MessageCreate", "dm_event.fields": "sender_id,text,created_at"}))
        for event in _listed(response):
            if str(event.get("sender_id")) == user_id and same_text(reply.text, event.get("text")):
                return SendResult.sent(str(event["id"]))
        return SendResult.retry("not in the X conversation: the message was not sent")


def _auth(account: XAccount) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.bearer_token.get_secret_value()}"}


def _listed(response: httpx.Response) -> list[dict[str, Any]]:
    if response.status_code != 200:
        raise ReadFailed(f"X answered {response.status_code} to the read-back")
    body = json_body(response)
    data = body.get("data") if isinstance(body, dict) else None
    return [item for item in data or [] if isinstance(item, dict) and item.get("id")]
