"""LinkedIn comments by an organization on a post (or under a member's comment).

Endpoint facts (learn.microsoft.com/linkedin, Community Management API, versioned REST), in short:
- `POST https://api.linkedin.com/rest/socialActions/{url-encoded post or comment URN}/comments`
  with `{"actor": "urn:li:organization:…", "object": <post URN>, "message": {"text"}}` and, under a
  comment, `"parentComment": <comment URN>`. Headers: `Authorization: Bearer`, `LinkedIn-Version:
  YYYYMM`, `X-Restli-Protocol-Version: 2.0.0`. 201 answers the comment (`id`, `commentUrn`) and its
  id in `x-restli-id`. Needs w_organization_social.
- Errors: `{"status", "serviceErrorCode", "code", "message"}`; 401 `EXPIRED_ACCESS_TOKEN` or
  `REVOKED_ACCESS_TOKEN`, 403 missing permission, 429 throttled (daily limits reset at midnight UTC).
- Read-back: `GET /rest/socialActions/{urn}/comments` lists the comments; the organization's
  (`actor`) with our text is the reply.
- Organizations cannot message members through the API: a private reply is refused unsent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from heed_responder.adapters.platforms.http import Call, PlatformHttp, ReadFailed, json_body, retry_after
from heed_responder.adapters.platforms.rules import account_for, same_text
from heed_responder.adapters.platforms.settings import LinkedInAccount, PlatformSettings
from heed_responder.domain.outbox import OutboxRow
from heed_responder.domain.sending import SendResult

SETTING = "HEED_LINKEDIN_ACCOUNTS"


def until_midnight_utc(now: datetime | None = None) -> float:
    now = now or datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now).total_seconds()


def throttle_hold(response: httpx.Response) -> float | None:
    if response.status_code != 429:
        return None
    return retry_after(response) or until_midnight_utc()


def judge(response: httpx.Response) -> SendResult:
    body = json_body(response)
    status = response.status_code
    if status in (200, 201):
        found = (body.get("commentUrn") or body.get("id")) if isinstance(body, dict) else None
        found = found or response.headers.get("x-restli-id")
        if found:
            return SendResult.sent(str(found))
        return SendResult.unknown(f"LinkedIn answered {status} without the comment's id; read back first")
    said = ""
    if isinstance(body, dict):
        said = f"{str(body.get('message') or '')[:160]} ({body.get('code') or body.get('serviceErrorCode') or status})"
    if status == 429:
        return SendResult.retry(f"LinkedIn throttled the organization: {said}", retry_after_s=throttle_hold(response))
    if status == 401:
        return SendResult.failed(f"LinkedIn access token expired or revoked: reconnect the organization; {said}")
    if status == 403:
        return SendResult.failed(f"LinkedIn permission missing (w_organization_social): {said}")
    if status in (502, 503):
        return SendResult.retry(f"LinkedIn unavailable ({status})")
    if status >= 500:
        return SendResult.unknown(f"LinkedIn failed with {status}; the comment may exist: read back first")
    return SendResult.failed(f"LinkedIn refused the comment ({status}): {said}")


class LinkedInClient:
    """PlatformClient for LinkedIn: the organization comments on the post or under the comment."""

    channel = "linkedin"

    def __init__(self, settings: PlatformSettings) -> None:
        self.accounts = settings.linkedin_accounts
        self.version = settings.linkedin_version
        self.http = PlatformHttp(self.channel, settings.linkedin_base_url, settings.http_policy(),
                                 hold_for=throttle_hold)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def send(self, reply: OutboxRow) -> SendResult:
        found = account_for(self.accounts, reply, SETTING)
        if isinstance(found, SendResult):
            return found
        key, account = found
        if reply.visibility == "private":
            return SendResult.failed("LinkedIn offers organizations no private messages to members: "
                                     "answer in public or by another channel")
        if not reply.text:
            return SendResult.failed("the reply has no text")
        target, body = self._comment(reply, account, key)
        call = Call("POST", f"/rest/socialActions/{quote(target, safe='')}/comments", key,
                    "POST /rest/socialActions/{urn}/comments", json=body, headers=self._headers(account))
        return await self.http.send(call, judge, reply_ref=str(reply.reply_id))

    async def read_back(self, reply: OutboxRow) -> SendResult | None:
        found = account_for(self.accounts, reply, SETTING)
        if isinstance(found, SendResult) or reply.visibility == "private":
            return None
        key, account = found
        target, body = self._comment(reply, account, key)
        try:
            response = await self.http.read(Call(
                "GET", f"/rest/socialActions/{quote(target, safe='')}/comments", key,
                "GET /rest/socialActions/{urn}/comments", headers=self._headers(account)))
        except ReadFailed as error:
            return SendResult.unknown(f"read-back failed: {error}")
        page = json_body(response)
        if response.status_code != 200 or not isinstance(page, dict):
            return SendResult.unknown(f"read-back failed: LinkedIn answered {response.status_code}")
        for comment in page.get("elements") or []:
            if isinstance(comment, dict) and comment.get("actor") == body["actor"] \
                    and same_text(reply.text, _text(comment)):
                return SendResult.sent(str(comment.get("commentUrn") or comment.get("id")))
        return SendResult.retry("the organization has no such comment on LinkedIn: it was not posted")

    def _comment(self, reply: OutboxRow, account: LinkedInAccount, key: str) -> tuple[str, dict[str, Any]]:
        """Where the comment goes (the post, or the member's comment) and its body."""
        organization = account.organization or key
        post = reply.thread_root or reply.in_reply_to
        body: dict[str, Any] = {"actor": organization, "object": post, "message": {"text": reply.text}}
        if reply.in_reply_to.startswith("urn:li:comment:"):
            body["parentComment"] = reply.in_reply_to
            return reply.in_reply_to, body
        return post, body

    def _headers(self, account: LinkedInAccount) -> dict[str, str]:
        return {"Authorization": f"Bearer {account.access_token.get_secret_value()}",
                "LinkedIn-Version": self.version, "X-Restli-Protocol-Version": "2.0.0"}


def _text(comment: dict[str, Any]) -> str | None:
    message = comment.get("message")
    return str(message.get("text")) if isinstance(message, dict) and message.get("text") else None
