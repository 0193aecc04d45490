"""X: Account Activity webhooks (tweet_create_events, direct_message_events), the X Activity API
envelope ({"data": {"event_uuid", "filter", "event_type", "payload", "includes"}}: post.create and
received messages are mentions, the rest engagement), and v2 search results from the poller."""

from __future__ import annotations

from typing import Any

from heed.contracts.events import Author, Channel, MentionKind, Visibility
from heed_ingest.channels.fields import (
    from_epoch,
    from_text_time,
    int_field,
    items,
    obj,
    sub,
    terms_in_text,
    text_field,
)
from heed_ingest.domain.bodies import load_json
from heed_ingest.domain.drafts import MentionDraft, ParseResult, UnparseableBody


def _v1_author(user: dict[str, Any]) -> Author:
    return Author(platform_id=text_field(user.get("id_str") or user.get("id"), "user.id_str"),
                  handle=user.get("screen_name"), name=user.get("name"),
                  followers=int_field(user.get("followers_count")), verified=bool(user.get("verified")))


def _v1_tweet(tweet: dict[str, Any], account: str | None) -> MentionDraft:
    user = obj(tweet.get("user"), "tweet.user")
    extended = sub(tweet, "extended_tweet")
    text = extended.get("full_text") or tweet.get("full_text") or tweet.get("text")
    parent = tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id")
    native = text_field(tweet.get("id_str") or tweet.get("id"), "tweet.id_str")
    author = _v1_author(user)
    return MentionDraft(
        channel=Channel.X, native_id=native, account=account,
        kind=MentionKind.REPLY if parent else MentionKind.POST, visibility=Visibility.PUBLIC, author=author,
        text=text_field(text, "tweet.text", required=False), lang_hint=tweet.get("lang"),
        created_at=from_text_time(tweet.get("created_at"), "tweet.created_at"),
        in_reply_to=str(parent) if parent else None,
        url=f"https://x.com/{author.handle}/status/{native}" if author.handle else None,
    )


def _dm(event: dict[str, Any], users: dict[str, Any], account: str | None) -> MentionDraft | None:
    if event.get("type") != "message_create":
        return None
    create = obj(event.get("message_create"), "direct_message_events.message_create")
    sender = text_field(create.get("sender_id"), "message_create.sender_id")
    if account and sender == account:
        return None  # our own outbound message
    data = obj(create.get("message_data") or {}, "message_create.message_data")
    user = sub(users, sender)
    return MentionDraft(
        channel=Channel.X, native_id=text_field(event.get("id"), "direct_message_events.id"), account=account,
        kind=MentionKind.DIRECT_MESSAGE, visibility=Visibility.PRIVATE,
        author=Author(platform_id=sender, handle=user.get("screen_name"), name=user.get("name"),
                      followers=int_field(user.get("followers_count")), verified=bool(user.get("verified"))),
        text=text_field(data.get("text"), "message_data.text", required=False),
        created_at=from_epoch(event.get("created_timestamp"), "created_timestamp", millis=True),
        thread_root=f"dm:{sender}",
    )


def _v2_author(user_id: str, user: dict[str, Any]) -> Author:
    return Author(platform_id=user_id, handle=user.get("username"), name=user.get("name"),
                  followers=int_field(sub(user, "public_metrics").get("followers_count")),
                  verified=bool(user.get("verified")))


def _v2_post(post: dict[str, Any], users: dict[str, dict[str, Any]], account: str | None,
             matched: list[str] | None = None) -> MentionDraft:
    author_id = text_field(post.get("author_id"), "post.author_id")
    user = users.get(author_id, {})
    replied = [r for r in items(post.get("referenced_tweets"), "referenced_tweets")
               if isinstance(r, dict) and r.get("type") == "replied_to"]
    native = text_field(post.get("id"), "post.id")
    handle = user.get("username")
    return MentionDraft(
        channel=Channel.X, native_id=native, account=account,
        kind=MentionKind.REPLY if replied else MentionKind.POST, visibility=Visibility.PUBLIC,
        author=_v2_author(author_id, user),
        text=text_field(post.get("text"), "post.text", required=False), lang_hint=post.get("lang"),
        created_at=from_text_time(post.get("created_at"), "post.created_at"),
        in_reply_to=str(replied[0].get("id")) if replied else None,
        thread_root=str(post["conversation_id"]) if post.get("conversation_id") else None,
        url=f"https://x.com/{handle}/status/{native}" if handle else None,
        matched=terms_in_text(matched or [], post.get("text")),
    )


def _v2_users(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    includes = sub(data, "includes")
    return {str(u.get("id")): u for u in items(includes.get("users"), "includes.users") if isinstance(u, dict)}


def _activity_event(event: dict[str, Any], parsed: ParseResult) -> None:
    """One X Activity API event: {"event_uuid", "filter", "event_type", "tag", "payload", "includes"}."""
    kind = str(event["event_type"])
    payload, flt = sub(event, "payload"), sub(event, "filter")
    watched = str(flt["user_id"]) if flt.get("user_id") else None
    if kind == "post.create":
        if watched and str(payload.get("author_id")) == watched:
            return  # the subscribed account's own post
        draft = _v2_post(payload, _v2_users(event), watched)
        keyword = flt.get("keyword")
        parsed.drafts.append(draft.model_copy(update={"matched": [str(keyword)]}) if keyword else draft)
    elif kind.startswith(("dm.", "chat.")) and kind.endswith("received"):
        sender = text_field(payload.get("sender_id"), "payload.sender_id")
        if payload.get("text") is None:
            # X Chat end-to-end encrypts messages: without the user's keys there is nothing to read
            raise UnparseableBody(f"X {kind} payload has no plain text (encrypted X Chat message); "
                                  "it needs the Chat XDK and the account's keys to decrypt")
        parsed.drafts.append(MentionDraft(
            channel=Channel.X, native_id=text_field(payload.get("id") or event.get("event_uuid"), "payload.id"),
            account=watched, kind=MentionKind.DIRECT_MESSAGE, visibility=Visibility.PRIVATE,
            author=_v2_author(sender, _v2_users(event).get(sender, {})),
            text=text_field(payload.get("text"), "payload.text", required=False),
            created_at=from_text_time(payload.get("created_at"), "payload.created_at"),
            thread_root=f"dm:{sender}",
        ))
    else:
        parsed.engagement += 1  # likes, follows, profile, spaces and news events; sent and deleted items


def parse_x(body: bytes) -> ParseResult:
    """Mentions in an X webhook body, either envelope."""
    data = obj(load_json(body, "X"), "X body")
    parsed = ParseResult()
    if "data" in data and isinstance(data["data"], dict) and "event_type" in data["data"]:
        _activity_event(data["data"], parsed)
        return parsed
    account = str(data["for_user_id"]) if data.get("for_user_id") else None
    known = {"tweet_create_events", "direct_message_events", "favorite_events", "follow_events",
             "tweet_delete_events", "direct_message_indicate_typing_events", "direct_message_mark_read_events"}
    if not known & set(data):
        raise UnparseableBody(f"X body: no known event list; keys: {', '.join(sorted(data)[:8])}")
    for tweet in items(data.get("tweet_create_events"), "tweet_create_events"):
        tweet = obj(tweet, "tweet_create_events[]")
        if account and str(obj(tweet.get("user"), "tweet.user").get("id_str")) == account:
            continue  # our own tweet
        parsed.drafts.append(_v1_tweet(tweet, account))
    users = sub(data, "users")
    for event in items(data.get("direct_message_events"), "direct_message_events"):
        dm = _dm(obj(event, "direct_message_events[]"), users, account)
        if dm is not None:
            parsed.drafts.append(dm)
    parsed.engagement += len(items(data.get("favorite_events"), "favorite_events"))
    return parsed


def parse_x_search(body: bytes) -> ParseResult:
    """Posts from a v2 search page (the poller publishes each page as it came, plus `matched`)."""
    data = obj(load_json(body, "X search"), "X search body")
    users = _v2_users(data)
    matched = [str(m) for m in items(data.get("heed_matched"), "heed_matched")]
    account = str(data["heed_account"]) if data.get("heed_account") else None
    parsed = ParseResult()
    for post in items(data.get("data"), "data"):
        parsed.drafts.append(_v2_post(obj(post, "data[]"), users, account, matched))
    return parsed
