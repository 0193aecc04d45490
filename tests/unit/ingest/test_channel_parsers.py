"""Each platform's real-shaped bodies round-trip to the expected mention drafts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from heed.contracts.events import Channel, MentionKind, Visibility
from heed_ingest.channels.meta import parse_instagram_lookup, parse_meta
from heed_ingest.channels.wechat import parse_wechat
from heed_ingest.channels.weibo import parse_weibo
from heed_ingest.channels.x import parse_x, parse_x_search
from heed_ingest.domain.drafts import UnparseableBody
from tests.unit.ingest import payloads as p


def test_facebook_page_comment():
    (d,) = parse_meta(p.meta_page_comment()).drafts
    assert (d.channel, d.native_id, d.kind, d.visibility) == (Channel.FACEBOOK, "111_222", MentionKind.COMMENT,
                                                              Visibility.PUBLIC)
    assert d.author.platform_id == "9876" and d.author.name == "Amy Carter" and d.account == p.PAGE_ID
    assert d.text == "My order never arrived" and d.thread_root == f"{p.PAGE_ID}_555"
    assert d.created_at == datetime.fromtimestamp(1763600000, UTC)


def test_facebook_posts_count_reactions_as_engagement_and_skip_the_pages_own_comments():
    parsed = parse_meta(p.meta_page_mixed())
    assert [d.native_id for d in parsed.drafts] == [f"{p.PAGE_ID}_777"]
    assert parsed.drafts[0].kind is MentionKind.POST and parsed.engagement == 1


def test_messenger_messages_are_private_and_receipts_ignored():
    (d,) = parse_meta(p.messenger_message()).drafts
    assert (d.channel, d.kind, d.visibility) == (Channel.MESSENGER, MentionKind.DIRECT_MESSAGE, Visibility.PRIVATE)
    assert d.thread_root == "dm:PSID77" and d.created_at.microsecond == 123000


def test_instagram_comment():
    (d,) = parse_meta(p.instagram_comment()).drafts
    assert (d.channel, d.author.handle, d.in_reply_to) == (Channel.INSTAGRAM, "nina.k", "17895695668004550")


def test_whatsapp_text_message_with_contact_name_and_reactions_counted():
    parsed = parse_meta(p.whatsapp_message())
    (d,) = parsed.drafts
    assert (d.channel, d.native_id, d.author.name, d.account) == (Channel.WHATSAPP, "wamid.HBgL", "Dev Patel", "PNID9")
    assert d.visibility is Visibility.PRIVATE and parsed.engagement == 1
    assert parse_meta(p.whatsapp_status_only()).drafts == []


def test_x_tweet_create_event_uses_the_full_text_and_reply_parent():
    (d,) = parse_x(p.x_tweet_create()).drafts
    assert d.text == "@Lumo my order is late and nobody answers the phone"
    assert (d.kind, d.in_reply_to, d.author.followers) == (MentionKind.REPLY, "1989999999999999999", 15300)
    assert d.created_at == datetime(2026, 11, 20, 8, 15, tzinfo=UTC) and d.account == "777"


def test_x_direct_message_event_and_activity_api_envelope():
    (dm,) = parse_x(p.x_direct_message()).drafts
    assert (dm.kind, dm.author.handle, dm.text) == (MentionKind.DIRECT_MESSAGE, "amyc", "Please check order LM-88412")
    (chat,) = parse_x(p.x_activity_chat()).drafts
    assert (chat.native_id, chat.visibility) == ("dm-5", Visibility.PRIVATE)
    profile = json.dumps({"data": {"event_type": "profile.update.bio", "payload": {}}}).encode()
    parsed = parse_x(profile)
    assert parsed.drafts == [] and parsed.engagement == 1


def test_x_own_tweets_are_not_mentions():
    own = json.loads(p.x_tweet_create())
    own["tweet_create_events"][0]["user"]["id_str"] = "777"
    assert parse_x(json.dumps(own).encode()).drafts == []


def test_x_v2_search_page_with_expanded_users():
    body = dict(p.x_search_page(["1990000000000000010", "1990000000000000011"]), heed_matched=["Lumo", "Ada Chen"])
    parsed = parse_x_search(json.dumps(body).encode())
    assert [d.native_id for d in parsed.drafts] == ["1990000000000000010", "1990000000000000011"]
    assert parsed.drafts[0].author.verified and parsed.drafts[0].matched == ["Lumo"]


def test_wechat_text_message_and_subscribe_event():
    (d,) = parse_wechat(p.wechat_text()).drafts
    assert (d.channel, d.native_id, d.author.platform_id) == (Channel.WECHAT, "23456789012345678", "oUser123")
    assert d.text == "扫地机器人坏了，怎么保修？" and d.visibility is Visibility.PRIVATE
    parsed = parse_wechat(p.wechat_subscribe_event())
    assert parsed.drafts == [] and parsed.engagement == 1


def test_weibo_mentions_page_and_comments():
    (s,) = parse_weibo(json.dumps(p.weibo_page(["4950000000000001"])).encode()).drafts
    assert (s.channel, s.author.name) == (Channel.WEIBO, "小王爱生活")
    assert s.created_at == datetime(2026, 11, 20, 8, 15, tzinfo=UTC)
    (c,) = parse_weibo(p.weibo_comments()).drafts
    assert (c.kind, c.in_reply_to, c.thread_root) == (MentionKind.REPLY, "4950000000000100", "4950000000000001")


@pytest.mark.parametrize(("parser", "body", "reason"), [
    (parse_meta, b'{"object": "page", "entry": [{"changes": [{"field": "feed", "value": {"item": "comment"}}]}]}',
     "feed comment id"),
    (parse_meta, b'{"object": "calendar"}', "unknown object"),
    (parse_x, b'{"hello": 1}', "no known event list"),
    (parse_x, b'{"tweet_create_events": [{"id_str": "1", "user": {"id_str": "2"}, "created_at": "yesterday"}]}',
     "not a time"),
    (parse_wechat, b"<xml><MsgType>text</MsgType>", "not XML"),
    (parse_wechat, b'<!DOCTYPE x [<!ENTITY a "b">]><xml/>', "DOCTYPE"),
    (parse_wechat, b"<xml><Encrypt>abc</Encrypt></xml>", "encrypted .*HEED_WECHAT_ENCODING_AES_KEY is not set"),
    (parse_wechat, '<!DOCTYPE x [<!ENTITY a "b">]><xml/>'.encode("utf-16-le"), "NUL"),
    (parse_wechat, '<xml/>'.encode("utf-16"), "not UTF-8"),
    (parse_weibo, b'{"ok": true}', "neither statuses"),
])
def test_unparseable_bodies_say_why(parser, body, reason):
    with pytest.raises(UnparseableBody, match=reason):
        parser(body)


def test_instagram_mention_notifications_become_lookups_and_graph_answers_become_mentions():
    notification = json.dumps({"object": "instagram", "entry": [{"id": "17841400000", "changes": [{
        "field": "mentions", "value": {"comment_id": "179001", "media_id": "178009"}}]}]}).encode()
    parsed = parse_meta(notification)
    assert parsed.drafts == [] and [(x.ig_user_id, x.comment_id) for x in parsed.lookups] == [("17841400000", "179001")]
    answer = json.dumps({"ig_user_id": "17841400000", "response": {"mentioned_media": {
        "id": "178009", "caption": "Unboxing my @lumo.official lamp", "timestamp": "2026-11-20T08:15:00+0000",
        "username": "nina.k"}}}).encode()
    (d,) = parse_instagram_lookup(answer).drafts
    assert (d.channel, d.native_id, d.kind) == (Channel.INSTAGRAM, "178009", MentionKind.POST)
    assert d.author.handle == "nina.k"
    assert d.text == "Unboxing my @lumo.official lamp" and d.matched == ["@mention"]


def test_facebook_reply_to_a_comment_is_a_reply_in_the_posts_conversation():
    body = json.loads(p.meta_page_comment("555_9"))
    body["entry"][0]["changes"][0]["value"]["parent_id"] = "111_222"
    (d,) = parse_meta(json.dumps(body).encode()).drafts
    assert (d.kind, d.in_reply_to, d.thread_root) == (MentionKind.REPLY, "111_222", f"{p.PAGE_ID}_555")


def test_instagram_comment_takes_its_time_from_the_entry():
    (d,) = parse_meta(p.instagram_comment()).drafts
    assert d.created_at == datetime.fromtimestamp(1763600000, UTC)


def test_messenger_reply_keeps_the_message_it_answers():
    body = json.loads(p.messenger_message("m_2"))
    body["entry"][0]["messaging"][0]["message"]["reply_to"] = {"mid": "m_1"}
    body["entry"][0]["messaging"].append({"sender": {"id": "PSID77"}, "recipient": {"id": p.PAGE_ID},
                                          "timestamp": 1763600001000, "postback": {"title": "Track order",
                                                                                   "payload": "TRACK"}})
    parsed = parse_meta(json.dumps(body).encode())
    (d,) = parsed.drafts
    assert d.in_reply_to == "m_1" and parsed.engagement == 1


def test_whatsapp_button_replies_keep_the_chosen_title():
    body = json.loads(p.whatsapp_message())
    body["entry"][0]["changes"][0]["value"]["messages"] = [{
        "from": "16505551234", "id": "wamid.I1", "timestamp": "1763600009", "type": "interactive",
        "context": {"from": "15550000000", "id": "wamid.OUT1"},
        "interactive": {"type": "button_reply", "button_reply": {"id": "refund", "title": "Ask for a refund"}}}]
    (d,) = parse_meta(json.dumps(body).encode()).drafts
    assert (d.text, d.in_reply_to) == ("Ask for a refund", "wamid.OUT1")


def _activity(event_type: str, payload: Mapping[str, object], flt: dict[str, str]) -> bytes:
    return json.dumps({"data": {"event_uuid": "2080761390344937796", "filter": flt, "event_type": event_type,
                                "tag": "heed", "payload": payload,
                                "includes": {"users": [{"id": "2244", "username": "amyc", "name": "Amy",
                                                        "public_metrics": {"followers_count": 15300}}]}}}).encode()


def test_x_activity_post_create_by_keyword_and_own_posts_skipped():
    post = {"id": "2080761390344937796", "author_id": "2244", "text": "lumo kettle broke after a week",
            "created_at": "2026-11-20T08:15:00.000Z", "lang": "en", "conversation_id": "2080761390344937700",
            "referenced_tweets": [{"type": "replied_to", "id": "2080761390344937700"}]}
    (d,) = parse_x(_activity("post.create", post, {"keyword": "lumo"})).drafts
    assert (d.native_id, d.kind, d.author.handle, d.author.followers) == (
        "2080761390344937796", MentionKind.REPLY, "amyc", 15300)
    assert d.matched == ["lumo"] and d.thread_root == "2080761390344937700" and d.lang_hint == "en"
    assert parse_x(_activity("post.create", post, {"user_id": "2244"})).drafts == []
    liked = parse_x(_activity("like.create", {"id": "1"}, {"user_id": "777"}))
    assert liked.drafts == [] and liked.engagement == 1


def test_x_activity_encrypted_chat_is_dead_lettered_with_the_reason():
    encrypted = _activity("chat.received", {"sender_id": "2244", "encoded_event": "AAECAw=="}, {"user_id": "777"})
    with pytest.raises(UnparseableBody, match="encrypted"):
        parse_x(encrypted)


def test_weibo_push_messages_mentions_events_and_unknown_types():
    (dm,) = parse_weibo(p.weibo_push()).drafts
    assert (dm.kind, dm.visibility, dm.account, dm.text) == (MentionKind.DIRECT_MESSAGE, Visibility.PRIVATE,
                                                            "1902538057", "电饭煲不加热了")
    # Weibo's retry key (sender, created_at) and the content: the same push again is the same id
    assert dm.native_id.startswith("2489518277:Thu Nov 20 16:15:00 +0800 2026:text:")
    assert [d.native_id for d in parse_weibo(p.weibo_push()).drafts] == [dm.native_id]
    (voice,) = parse_weibo(p.weibo_push("voice", "", vfid="821804", tovfid="984081")).drafts
    assert voice.text == "[voice]"
    at_push = p.weibo_push("mention", "@Lumo官方 快递三天没动", subtype="status", id="4950000000000001")
    (at,) = parse_weibo(at_push).drafts
    assert (at.kind, at.visibility, at.native_id) == (MentionKind.POST, Visibility.PUBLIC, "4950000000000001")
    followed = parse_weibo(p.weibo_push("event", "关注事件消息", subtype="follow"))
    assert followed.drafts == [] and followed.engagement == 1
    with pytest.raises(UnparseableBody, match="unknown message type 'hologram'"):
        parse_weibo(p.weibo_push("hologram"))


def test_two_weibo_pushes_without_ids_in_the_same_second_are_two_messages():
    first, second = p.weibo_push(text="电饭煲不加热了"), p.weibo_push(text="还有，门把手也松了")
    image = p.weibo_push("image", "", tovfid="984081")
    other_image = p.weibo_push("image", "", tovfid="984082")
    mention = p.weibo_push("mention", "@Lumo官方 快递三天没动", subtype="status")
    ids = [d.native_id for body in (first, second, image, other_image, mention) for d in parse_weibo(body).drafts]
    assert len(ids) == len(set(ids)) == 5
    assert all(i.startswith("2489518277:Thu Nov 20 16:15:00 +0800 2026:") for i in ids)


def test_weibo_push_in_wechat_compatible_xml_is_a_weibo_message():
    (d,) = parse_weibo(p.wechat_text("5002")).drafts
    assert (d.channel, d.native_id, d.kind) == (Channel.WEIBO, "5002", MentionKind.DIRECT_MESSAGE)


def test_weibo_poll_pages_keep_only_the_terms_each_post_contains():
    page = dict(p.weibo_page(["4950000000000001"]), heed_matched=["订单", "Ada Chen"])
    (s,) = parse_weibo(json.dumps(page, ensure_ascii=False).encode()).drafts
    assert s.matched == ["订单"]


def test_one_post_by_every_path_has_one_identity():
    """The ledger dedupes on (channel, native id): each path must name a post the same way."""
    tweet_id = "1990000000000000010"
    by_webhook = parse_x(p.x_tweet_create(tweet_id))
    post = p.x_search_page([tweet_id])["data"][0]  # type: ignore[index]
    by_activity = parse_x(_activity("post.create", post, {"keyword": "Lumo"}))
    by_search = parse_x_search(json.dumps(p.x_search_page([tweet_id])).encode())
    drafts = [*by_webhook.drafts, *by_activity.drafts, *by_search.drafts]
    assert {(d.channel, d.native_id) for d in drafts} == {(Channel.X, tweet_id)}
    status_id = "4950000000000001"
    by_poll = parse_weibo(json.dumps(p.weibo_page([status_id])).encode())
    by_push = parse_weibo(p.weibo_push("mention", "@Lumo官方", subtype="status", id=status_id))
    assert {(d.channel, d.native_id) for d in [*by_poll.drafts, *by_push.drafts]} == {(Channel.WEIBO, status_id)}
