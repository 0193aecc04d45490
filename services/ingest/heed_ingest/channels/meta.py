"""Meta webhooks: Facebook Page feed (posts, comments), Messenger and Instagram messages,
Instagram comments and mentions, WhatsApp Cloud API messages.

Only posts, comments and messages become mentions. Reactions, likes, shares, edits and
removals are engagement: counted, never answered. Instagram `mentions` notifications carry only
ids: they come back as lookups, which ingest resolves through the Graph API (`parse_instagram_lookup`
reads the answer). Delivery receipts (WhatsApp statuses, Messenger delivery/read) are ignored.
"""

from __future__ import annotations

from typing import Any

from heed.contracts.events import Author, Channel, MentionKind, Visibility
from heed_ingest.channels.fields import from_epoch, from_text_time, items, obj, sub, text_field
from heed_ingest.domain.bodies import load_json
from heed_ingest.domain.drafts import InstagramLookup, MentionDraft, ParseResult, UnparseableBody


def _feed_change(page_id: str, value: dict[str, Any], parsed: ParseResult) -> None:
    item, verb = value.get("item"), value.get("verb", "add")
    if item not in ("comment", "post", "status", "photo", "video") or verb != "add":
        parsed.engagement += 1
        return
    sender = obj(value.get("from") or {}, "feed.value.from")
    if page_id and str(sender.get("id", "")) == page_id:
        return  # the page's own replies are not mentions
    native = text_field(value.get("comment_id") if item == "comment" else value.get("post_id"),
                        f"feed {item} id")
    parent = value.get("parent_id") if item == "comment" else None
    post_id = value.get("post_id")
    if item != "comment":
        kind = MentionKind.POST
    else:  # a top-level comment's parent is the post itself; a reply's parent is another comment
        kind = MentionKind.REPLY if parent and str(parent) != str(post_id) else MentionKind.COMMENT
    parsed.drafts.append(MentionDraft(
        channel=Channel.FACEBOOK, native_id=native, account=page_id, kind=kind, visibility=Visibility.PUBLIC,
        author=Author(platform_id=text_field(sender.get("id"), "feed.value.from.id"), name=sender.get("name")),
        text=text_field(value.get("message"), "feed.value.message", required=False),
        created_at=from_epoch(value.get("created_time"), "feed.value.created_time"),
        in_reply_to=str(parent) if parent else (str(post_id) if item == "comment" and post_id else None),
        thread_root=str(post_id) if post_id and item == "comment" else None,
        url=f"https://www.facebook.com/{native}" if item != "comment" else None,
    ))


def _messaging(channel: Channel, account: str, event: dict[str, Any], parsed: ParseResult) -> None:
    message = event.get("message")
    if not isinstance(message, dict):
        # reactions and button postbacks are engagement; delivery and read receipts are neither
        parsed.engagement += ("reaction" in event) + ("postback" in event)
        return
    if message.get("is_echo"):
        return  # our own outbound message
    sender = obj(event.get("sender"), "messaging.sender")
    text = message.get("text")
    if text is None and message.get("attachments"):
        text = "[attachment]"
    parsed.drafts.append(MentionDraft(
        channel=channel, native_id=text_field(message.get("mid"), "messaging.message.mid"), account=account,
        kind=MentionKind.DIRECT_MESSAGE, visibility=Visibility.PRIVATE,
        author=Author(platform_id=text_field(sender.get("id"), "messaging.sender.id")),
        text=text_field(text, "messaging.message.text", required=False),
        created_at=from_epoch(event.get("timestamp"), "messaging.timestamp", millis=True),
        in_reply_to=str(sub(message, "reply_to").get("mid") or "") or None,
        thread_root=f"dm:{sender.get('id')}",
    ))


def _instagram_change(account: str, change: dict[str, Any], entry_time: Any, parsed: ParseResult) -> None:
    field, value = change.get("field"), obj(change.get("value"), "instagram change value")
    if field == "comments" or field == "live_comments":
        sender = obj(value.get("from") or {}, "comments.from")
        media = sub(value, "media")
        parent = value.get("parent_id")
        parsed.drafts.append(MentionDraft(
            channel=Channel.INSTAGRAM, native_id=text_field(value.get("id"), "comments.id"), account=account,
            kind=MentionKind.REPLY if parent else MentionKind.COMMENT, visibility=Visibility.PUBLIC,
            author=Author(platform_id=text_field(sender.get("id"), "comments.from.id"),
                          handle=sender.get("username")),
            text=text_field(value.get("text"), "comments.text", required=False),
            # the comments payload has no time of its own: the entry's is when Meta sent it
            created_at=from_epoch(change.get("time") or value.get("timestamp") or entry_time, "entry.time"),
            in_reply_to=str(parent) if parent else (str(media["id"]) if media.get("id") else None),
            thread_root=str(media["id"]) if media.get("id") else None,
        ))
    elif field == "mentions":
        comment_id, media_id = value.get("comment_id"), value.get("media_id")
        if not (comment_id or media_id):
            raise UnparseableBody("instagram mentions change names neither comment_id nor media_id")
        parsed.lookups.append(InstagramLookup(account, str(comment_id) if comment_id else None,
                                              str(media_id) if media_id else None))
    else:
        parsed.engagement += 1


def parse_instagram_lookup(body: bytes) -> ParseResult:
    """A Graph API answer for an Instagram @mention, as ingest wrapped it:
    {"ig_user_id", "response": {"mentioned_comment": {...}} or {"mentioned_media": {...}}}."""
    data = obj(load_json(body, "Instagram lookup"), "Instagram lookup")
    response = obj(data.get("response"), "Instagram lookup response")
    account = str(data.get("ig_user_id") or "") or None
    parsed = ParseResult()
    comment, media = sub(response, "mentioned_comment"), sub(response, "mentioned_media")
    found = comment or media
    if not found:
        raise UnparseableBody("Instagram lookup response has neither mentioned_comment nor mentioned_media")
    username = text_field(found.get("username"), "mentioned.username")
    parsed.drafts.append(MentionDraft(
        channel=Channel.INSTAGRAM, native_id=text_field(found.get("id"), "mentioned.id"), account=account,
        kind=MentionKind.COMMENT if comment else MentionKind.POST, visibility=Visibility.PUBLIC,
        author=Author(platform_id=f"ig:{username}", handle=username),
        text=text_field(comment.get("text") if comment else media.get("caption"), "mentioned.text", required=False),
        created_at=from_text_time(found.get("timestamp"), "mentioned.timestamp"),
        thread_root=str(sub(comment, "media").get("id") or "") or None, matched=["@mention"],
    ))
    return parsed


def _whatsapp_change(change: dict[str, Any], parsed: ParseResult) -> None:
    value = obj(change.get("value"), "whatsapp change value")
    metadata = sub(value, "metadata")
    names = {str(c.get("wa_id")): (c.get("profile") or {}).get("name")
             for c in items(value.get("contacts"), "contacts") if isinstance(c, dict)}
    for message in items(value.get("messages"), "messages"):
        message = obj(message, "messages[]")
        sender = text_field(message.get("from"), "messages.from")
        kind = message.get("type")
        if kind == "text":
            text = text_field(obj(message.get("text"), "messages.text").get("body"), "messages.text.body",
                              required=False)
        elif kind == "reaction":
            parsed.engagement += 1
            continue
        elif kind == "interactive":  # a tapped reply button or list row: its title is what was said
            chosen = sub(message, "interactive")
            text = (sub(chosen, "button_reply") or sub(chosen, "list_reply")).get("title") or "[interactive]"
        elif kind == "button":
            text = sub(message, "button").get("text") or "[button]"
        else:
            caption = sub(message, str(kind)).get("caption")
            text = caption or f"[{kind}]"
        context = sub(message, "context")
        parsed.drafts.append(MentionDraft(
            channel=Channel.WHATSAPP, native_id=text_field(message.get("id"), "messages.id"),
            account=metadata.get("phone_number_id"), kind=MentionKind.DIRECT_MESSAGE,
            visibility=Visibility.PRIVATE, author=Author(platform_id=sender, name=names.get(sender)),
            text=text_field(text, "messages text", required=False),
            created_at=from_epoch(message.get("timestamp"), "messages.timestamp"),
            in_reply_to=context.get("id"), thread_root=f"dm:{sender}",
        ))


def parse_meta(body: bytes) -> ParseResult:
    """Mentions in a Meta webhook body (`object` page, instagram or whatsapp_business_account)."""
    data = obj(load_json(body, "Meta"), "Meta body")
    kind = data.get("object")
    if kind not in ("page", "instagram", "whatsapp_business_account"):
        raise UnparseableBody(f"Meta body: unknown object {str(kind)[:40]!r}")
    parsed = ParseResult()
    for entry in items(data.get("entry"), "entry"):
        entry = obj(entry, "entry[]")
        account = str(entry.get("id", ""))
        if kind == "page":
            for change in items(entry.get("changes"), "entry.changes"):
                change = obj(change, "changes[]")
                if change.get("field") == "feed":
                    _feed_change(account, obj(change.get("value"), "feed value"), parsed)
                else:
                    parsed.engagement += 1
            for event in items(entry.get("messaging"), "entry.messaging"):
                _messaging(Channel.MESSENGER, account, obj(event, "messaging[]"), parsed)
        elif kind == "instagram":
            for change in items(entry.get("changes"), "entry.changes"):
                _instagram_change(account, obj(change, "changes[]"), entry.get("time"), parsed)
            for event in items(entry.get("messaging"), "entry.messaging"):
                _messaging(Channel.INSTAGRAM, account, obj(event, "messaging[]"), parsed)
        elif kind == "whatsapp_business_account":
            for change in items(entry.get("changes"), "entry.changes"):
                change = obj(change, "changes[]")
                if change.get("field") == "messages":
                    _whatsapp_change(change, parsed)
    return parsed


