"""Facebook Page comments (public replies and private replies) and Messenger direct messages.

Endpoint facts (developers.facebook.com, Graph API and Messenger Platform), in short:
- A public reply is a comment on the customer's comment or post: `POST /{object-id}/comments`
  with `message`; answers `{"id"}`. Read back with `GET /{object-id}/comments?fields=id,message,from`
  and keep the page's own (`from.id` is the page).
- A private reply to a comment or a visitor post goes through the Send API:
  `POST /{page-id}/messages` with `recipient: {"comment_id"}` (or `{"post_id"}`); one per comment,
  within 7 days of it. Its conversation is keyed by a Page-scoped id Heed does not have yet, so it
  has no read-back here.
- Messenger: `POST /{page-id}/messages` with `recipient: {"id": PSID}` and the window rules in
  `meta.dm_window`; read back through the Conversations API (`platform=messenger`).
See `meta.py` for errors, usage headers and windows.
"""

from __future__ import annotations

from heed_responder.adapters.platforms.http import Call, ReadFailed
from heed_responder.adapters.platforms.meta import (
    GraphClient,
    Now,
    bearer,
    dm_window,
    find_comment_reply,
    find_in_conversation,
    judge_id,
    send_message,
)
from heed_responder.adapters.platforms.rules import (
    PRIVATE_REPLY_WINDOW,
    WINDOW_CLOSED,
    since_received,
    utcnow,
)
from heed_responder.adapters.platforms.settings import PlatformSettings
from heed_responder.domain.outbox import OutboxRow
from heed_responder.domain.sending import SendResult


def private_reply_recipient(reply: OutboxRow, now: Now) -> dict[str, str] | SendResult:
    """`comment_id` (or `post_id` for a post) of a private reply, or `failed` past the 7 days."""
    if since_received(reply, now()) > PRIVATE_REPLY_WINDOW:
        return SendResult.failed(f"{WINDOW_CLOSED}: a private reply to a comment is allowed within 7 days of it")
    is_post = reply.thread_root is None or reply.thread_root == reply.in_reply_to
    return {"post_id" if is_post else "comment_id": reply.in_reply_to}


class FacebookClient(GraphClient):
    """PlatformClient for Facebook Page comments: public comment replies and private replies."""

    channel = "facebook"

    def __init__(self, settings: PlatformSettings, *, now: Now = utcnow) -> None:
        super().__init__(settings, settings.facebook_pages, now=now)

    async def send(self, reply: OutboxRow) -> SendResult:
        sender = self.sender(reply)
        if isinstance(sender, SendResult):
            return sender
        page_id, token = sender
        if reply.visibility == "private":
            recipient = private_reply_recipient(reply, self._now)
            if isinstance(recipient, SendResult):
                return recipient
            return await send_message(self.http, self.hold, "Facebook", page_id, token, recipient,
                                      {"messaging_type": "RESPONSE"}, reply)
        call = Call("POST", f"/{reply.in_reply_to}/comments", page_id, "POST /{object-id}/comments",
                    headers=bearer(token), json={"message": reply.text})
        return await self.http.send(call, lambda r: judge_id(r, self.hold, "Facebook", "id"),
                                    reply_ref=str(reply.reply_id))

    async def read_back(self, reply: OutboxRow) -> SendResult | None:
        sender = self.sender(reply)
        if isinstance(sender, SendResult) or reply.visibility == "private":
            return None
        page_id, token = sender
        try:
            return await find_comment_reply(self.http, "Facebook", f"/{reply.in_reply_to}/comments", page_id, token,
                                            reply, text_field="message", endpoint="GET /{object-id}/comments")
        except ReadFailed as error:
            return SendResult.unknown(f"read-back failed: {error}")


class MessengerClient(GraphClient):
    """PlatformClient for Messenger: direct messages from the Page, inside Meta's windows."""

    channel = "messenger"

    def __init__(self, settings: PlatformSettings, *, now: Now = utcnow) -> None:
        super().__init__(settings, settings.facebook_pages, now=now)

    async def send(self, reply: OutboxRow) -> SendResult:
        sender = self.sender(reply)
        if isinstance(sender, SendResult):
            return sender
        page_id, token = sender
        messaging = dm_window(reply, self._now())
        if isinstance(messaging, SendResult):
            return messaging
        return await send_message(self.http, self.hold, "Messenger", page_id, token, {"id": reply.recipient},
                                  messaging, reply)

    async def read_back(self, reply: OutboxRow) -> SendResult | None:
        sender = self.sender(reply)
        if isinstance(sender, SendResult):
            return None
        page_id, token = sender
        try:
            return await find_in_conversation(self.http, "Messenger", "messenger", page_id, token, reply)
        except ReadFailed as error:
            return SendResult.unknown(f"read-back failed: {error}")
