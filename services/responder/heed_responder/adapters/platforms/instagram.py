"""Instagram comments (public replies, private replies) and Instagram direct messages.

Endpoint facts (developers.facebook.com, Instagram Platform), in short:
- Reply to a comment: `POST /{ig-comment-id}/replies` with `message`; answers `{"id"}`. A mention in
  a post's caption is answered with a comment on the media: `POST /{ig-media-id}/comments`.
  Read back with `GET /{ig-comment-id}/replies?fields=id,text,from` (the account's own reply).
- Private reply to a commenter: `POST /{ig-user-id}/messages` with `recipient: {"comment_id"}`,
  once, within 7 days of the comment; no read-back here (the conversation's id is unknown).
- Direct message: `POST /{ig-user-id}/messages` with `recipient: {"id": IGSID}`, the same windows
  as Messenger (24 hours; HUMAN_AGENT for 7 days); read back through the Conversations API
  (`platform=instagram`).
See `meta.py` for errors, usage headers and windows.
"""

from __future__ import annotations

from heed_responder.adapters.platforms.facebook import private_reply_recipient
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
from heed_responder.adapters.platforms.rules import is_direct_message, utcnow
from heed_responder.adapters.platforms.settings import PlatformSettings
from heed_responder.domain.outbox import OutboxRow
from heed_responder.domain.sending import SendResult


def _on_media(reply: OutboxRow) -> bool:
    """The customer's mention is the media itself (a caption), not a comment on it."""
    return reply.thread_root is None or reply.thread_root == reply.in_reply_to


class InstagramClient(GraphClient):
    """PlatformClient for Instagram: comment replies, private replies and direct messages."""

    channel = "instagram"
    setting = "HEED_INSTAGRAM_ACCOUNTS"

    def __init__(self, settings: PlatformSettings, *, now: Now = utcnow) -> None:
        super().__init__(settings, settings.instagram_accounts, now=now)

    async def send(self, reply: OutboxRow) -> SendResult:
        sender = self.sender(reply)
        if isinstance(sender, SendResult):
            return sender
        ig_user_id, token = sender
        if is_direct_message(reply):
            messaging = dm_window(reply, self._now())
            if isinstance(messaging, SendResult):
                return messaging
            return await send_message(self.http, self.hold, "Instagram", ig_user_id, token,
                                      {"id": reply.recipient}, messaging, reply)
        if reply.visibility == "private":
            recipient = private_reply_recipient(reply, self._now)
            if isinstance(recipient, SendResult):
                return recipient
            return await send_message(self.http, self.hold, "Instagram", ig_user_id, token,
                                      {"comment_id": reply.in_reply_to}, {"messaging_type": "RESPONSE"}, reply)
        edge = "comments" if _on_media(reply) else "replies"
        call = Call("POST", f"/{reply.in_reply_to}/{edge}", ig_user_id, f"POST /{{ig-object-id}}/{edge}",
                    headers=bearer(token), json={"message": reply.text})
        return await self.http.send(call, lambda r: judge_id(r, self.hold, "Instagram", "id"),
                                    reply_ref=str(reply.reply_id))

    async def read_back(self, reply: OutboxRow) -> SendResult | None:
        sender = self.sender(reply)
        if isinstance(sender, SendResult):
            return None
        ig_user_id, token = sender
        try:
            if is_direct_message(reply):
                return await find_in_conversation(self.http, "Instagram", "instagram", ig_user_id, token, reply)
            if reply.visibility == "private":
                return None
            edge = "comments" if _on_media(reply) else "replies"
            return await find_comment_reply(self.http, "Instagram", f"/{reply.in_reply_to}/{edge}", ig_user_id,
                                            token, reply, text_field="text", endpoint=f"GET /{{ig-object-id}}/{edge}")
        except ReadFailed as error:
            return SendResult.unknown(f"read-back failed: {error}")
