"""Weibo: statuses that mention the brand and comments addressed to it (both from the poller's
pages of the open API: statuses/mentions, comments/to_me), and what the fans-service (粉丝服务)
platform pushes: private messages, @-mentions of the account (被@消息) and events."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from heed.contracts.events import Author, Channel, MentionKind, Visibility
from heed_ingest.channels.fields import from_text_time, int_field, items, obj, sub, terms_in_text, text_field
from heed_ingest.channels.wechat import parse_wechat
from heed_ingest.domain.bodies import load_json
from heed_ingest.domain.drafts import MentionDraft, ParseResult, UnparseableBody


def _author(user: dict[str, Any]) -> Author:
    return Author(platform_id=text_field(user.get("idstr") or user.get("id"), "user.idstr"),
                  handle=user.get("screen_name"), name=user.get("name") or user.get("screen_name"),
                  followers=int_field(user.get("followers_count")), verified=bool(user.get("verified")))


def _status(status: dict[str, Any], matched: list[str]) -> MentionDraft:
    native = text_field(status.get("idstr") or status.get("id"), "status.idstr")
    author = _author(obj(status.get("user"), "status.user"))
    return MentionDraft(
        channel=Channel.WEIBO, native_id=native, kind=MentionKind.POST, visibility=Visibility.PUBLIC,
        author=author, text=text_field(status.get("text"), "status.text", required=False),
        created_at=from_text_time(status.get("created_at"), "status.created_at"),
        url=f"https://weibo.com/{author.platform_id}/{status.get('mid') or native}", matched=matched,
    )


def _comment(comment: dict[str, Any], matched: list[str]) -> MentionDraft:
    status = sub(comment, "status")
    reply = sub(comment, "reply_comment")
    root = status.get("idstr") or status.get("id")
    parent = reply.get("idstr") or reply.get("id") or root
    return MentionDraft(
        channel=Channel.WEIBO, native_id=text_field(comment.get("idstr") or comment.get("id"), "comment.idstr"),
        kind=MentionKind.REPLY if reply else MentionKind.COMMENT, visibility=Visibility.PUBLIC,
        author=_author(obj(comment.get("user"), "comment.user")),
        text=text_field(comment.get("text"), "comment.text", required=False),
        created_at=from_text_time(comment.get("created_at"), "comment.created_at"),
        in_reply_to=str(parent) if parent else None, thread_root=str(root) if root else None, matched=matched,
    )


# private messages and 留言 the fans service pushes; `mention` is a status or comment that @-mentions
# the account; `event` is follow, subscribe, menu and QR-code activity
PUSH_MESSAGE_TYPES = {"text", "position", "voice", "image"}


def _push(data: dict[str, Any], parsed: ParseResult) -> None:
    kind = str(data["type"])
    if kind == "event":
        parsed.engagement += 1
        return
    sender = text_field(data.get("sender_id"), "sender_id")
    receiver = str(data["receiver_id"]) if data.get("receiver_id") else None
    created_at = from_text_time(data.get("created_at"), "created_at")
    detail = sub(data, "data")
    # Weibo's advice for retried pushes is sender_id + created_at, but created_at has one-second
    # resolution: two messages in one second would be one. The type and a hash of the content tell
    # them apart and stay the same on a retry (ASCII JSON: lone surrogates hash too).
    content = json.dumps([kind, data.get("text"), detail], sort_keys=True, default=str)
    fallback = f"{sender}:{data.get('created_at')}:{kind}:{hashlib.sha256(content.encode()).hexdigest()[:16]}"
    if kind == "mention":
        native = detail.get("id") or detail.get("key") or detail.get("mid") or fallback
        parsed.drafts.append(MentionDraft(
            channel=Channel.WEIBO, native_id=text_field(native, "mention id"), account=receiver,
            kind=MentionKind.COMMENT if detail.get("subtype") == "comment" else MentionKind.POST,
            visibility=Visibility.PUBLIC, author=Author(platform_id=sender),
            text=text_field(data.get("text"), "text", required=False), created_at=created_at,
            matched=["@mention"],
        ))
    elif kind in PUSH_MESSAGE_TYPES:
        text = data.get("text") if kind == "text" else (data.get("text") or f"[{kind}]")
        parsed.drafts.append(MentionDraft(
            channel=Channel.WEIBO, native_id=text_field(data.get("id") or fallback, "message id"), account=receiver,
            kind=MentionKind.DIRECT_MESSAGE, visibility=Visibility.PRIVATE, author=Author(platform_id=sender),
            text=text_field(text, "text", required=False), created_at=created_at, thread_root=f"dm:{sender}",
        ))
    else:
        raise UnparseableBody(f"Weibo push: unknown message type {kind[:40]!r}; kept here until Heed reads it")


def parse_weibo(body: bytes) -> ParseResult:
    """A poller page ({"statuses": [...]} or {"comments": [...]}) or a fans-service push message
    (JSON, or the WeChat-compatible XML the fans service can be set to send)."""
    if body.lstrip()[:1] == b"<":
        xml = parse_wechat(body)
        return ParseResult([d.model_copy(update={"channel": Channel.WEIBO}) for d in xml.drafts], xml.engagement)
    data = obj(load_json(body, "Weibo"), "Weibo body")
    terms = [str(m) for m in items(data.get("heed_matched"), "heed_matched")]
    parsed = ParseResult()
    if "statuses" in data or "comments" in data:
        account = {"account": str(data["heed_account"])} if data.get("heed_account") else {}
        for s in items(data.get("statuses"), "statuses"):
            s = obj(s, "statuses[]")
            parsed.drafts.append(_status(s, terms_in_text(terms, s.get("text"))).model_copy(update=account))
        for c in items(data.get("comments"), "comments"):
            c = obj(c, "comments[]")
            parsed.drafts.append(_comment(c, terms_in_text(terms, c.get("text"))).model_copy(update=account))
        return parsed
    if "sender_id" in data and "type" in data:
        _push(data, parsed)
        return parsed
    raise UnparseableBody(f"Weibo body: neither statuses, comments nor a push message; keys: "
                          f"{', '.join(sorted(data)[:8])}")
