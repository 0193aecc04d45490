"""Real-shaped webhook and API bodies, written from the platforms' documented formats."""

from __future__ import annotations

import json

PAGE_ID = "1029384756"


def meta_page_comment(comment_id: str = "111_222", message: str = "My order never arrived") -> bytes:
    return json.dumps({"object": "page", "entry": [{"id": PAGE_ID, "time": 1763600000, "changes": [{
        "field": "feed", "value": {
            "item": "comment", "verb": "add", "comment_id": comment_id, "post_id": f"{PAGE_ID}_555",
            "parent_id": f"{PAGE_ID}_555", "from": {"id": "9876", "name": "Amy Carter"}, "message": message,
            "created_time": 1763600000}}]}]}).encode()


def meta_page_mixed() -> bytes:
    return json.dumps({"object": "page", "entry": [{"id": PAGE_ID, "time": 1763600000, "changes": [
        {"field": "feed", "value": {"item": "status", "verb": "add", "post_id": f"{PAGE_ID}_777",
                                    "from": {"id": "4242", "name": "Ben"}, "message": "Is the store open today?",
                                    "created_time": 1763600100}},
        {"field": "feed", "value": {"item": "reaction", "verb": "add", "reaction_type": "like",
                                    "post_id": f"{PAGE_ID}_777", "from": {"id": "5", "name": "C"},
                                    "created_time": 1763600101}},
        {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "777_1",
                                    "post_id": f"{PAGE_ID}_777", "from": {"id": PAGE_ID, "name": "Lumo"},
                                    "message": "Yes, until 9pm!", "created_time": 1763600200}},
    ]}]}).encode()


def messenger_message(mid: str = "m_abc") -> bytes:
    return json.dumps({"object": "page", "entry": [{"id": PAGE_ID, "time": 1763600000, "messaging": [
        {"sender": {"id": "PSID77"}, "recipient": {"id": PAGE_ID}, "timestamp": 1763600000123,
         "message": {"mid": mid, "text": "Can I change my delivery address?"}},
        {"sender": {"id": "PSID77"}, "recipient": {"id": PAGE_ID}, "timestamp": 1763600000999,
         "delivery": {"mids": [mid], "watermark": 1763600000999}},
    ]}]}).encode()


def instagram_comment() -> bytes:
    return json.dumps({"object": "instagram", "entry": [{"id": "17841400000", "time": 1763600000, "changes": [{
        "field": "comments", "value": {"id": "17865799348089039", "text": "Where can I buy this?",
                                       "from": {"id": "232323", "username": "nina.k"},
                                       "media": {"id": "17895695668004550", "media_product_type": "FEED"}},
    }]}]}).encode()


def whatsapp_message() -> bytes:
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550000000", "phone_number_id": "PNID9"},
            "contacts": [{"profile": {"name": "Dev Patel"}, "wa_id": "16505551234"}],
            "messages": [{"from": "16505551234", "id": "wamid.HBgL", "timestamp": "1763600000", "type": "text",
                          "text": {"body": "My kettle stopped heating"}},
                         {"from": "16505551234", "id": "wamid.R1", "timestamp": "1763600005", "type": "reaction",
                          "reaction": {"message_id": "wamid.X", "emoji": "👍"}}]}}]}]}).encode()


def whatsapp_status_only() -> bytes:
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA1", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "PNID9"},
                                       "statuses": [{"id": "wamid.X", "status": "delivered",
                                                     "timestamp": "1763600000", "recipient_id": "1"}]}}]}]}).encode()


X_USER = {"id_str": "2244", "screen_name": "amyc", "name": "Amy", "followers_count": 15300, "verified": False}


def x_tweet_create(tweet_id: str = "1990000000000000001") -> bytes:
    return json.dumps({"for_user_id": "777", "tweet_create_events": [{
        "id_str": tweet_id, "created_at": "Thu Nov 20 08:15:00 +0000 2026", "text": "@Lumo my order is late",
        "in_reply_to_status_id_str": "1989999999999999999", "user": X_USER, "lang": "en",
        "extended_tweet": {"full_text": "@Lumo my order is late and nobody answers the phone"}}]}).encode()


def x_direct_message() -> bytes:
    return json.dumps({"for_user_id": "777", "direct_message_events": [{
        "type": "message_create", "id": "1990000000000000777", "created_timestamp": "1763626500000",
        "message_create": {"target": {"recipient_id": "777"}, "sender_id": "2244",
                           "message_data": {"text": "Please check order LM-88412"}}}],
        "users": {"2244": X_USER, "777": {"id": "777", "screen_name": "Lumo"}}}).encode()


def x_activity_chat() -> bytes:
    return json.dumps({"data": {"event_type": "chat.received", "filter": {"user_id": "777"},
                                "payload": {"id": "dm-5", "sender_id": "2244", "text": "hello?",
                                            "created_at": "2026-11-20T08:15:00.000Z"}}}).encode()


def x_search_page(ids: list[str]) -> dict[str, object]:
    return {"data": [{"id": i, "text": f"Lumo AirFryer question {i}", "author_id": "2244",
                      "created_at": "2026-11-20T08:15:00.000Z", "conversation_id": i} for i in ids],
            "includes": {"users": [{"id": "2244", "username": "amyc", "name": "Amy",
                                    "public_metrics": {"followers_count": 15300}, "verified": True}]},
            "meta": {"result_count": len(ids), "newest_id": max(ids) if ids else None,
                     "oldest_id": min(ids) if ids else None}}


def wechat_text(msg_id: str = "23456789012345678") -> bytes:
    return (
        "<xml><ToUserName><![CDATA[gh_lumo]]></ToUserName><FromUserName><![CDATA[oUser123]]></FromUserName>"
        "<CreateTime>1763600000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[扫地机器人坏了，怎么保修？]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()


def wechat_subscribe_event() -> bytes:
    return (b"<xml><ToUserName><![CDATA[gh_lumo]]></ToUserName><FromUserName><![CDATA[oUser9]]></FromUserName>"
            b"<CreateTime>1763600000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            b"<Event><![CDATA[subscribe]]></Event></xml>")


WEIBO_USER = {"idstr": "5566778899", "screen_name": "小王爱生活", "name": "小王爱生活", "followers_count": 2300,
              "verified": False}


def weibo_page(ids: list[str]) -> dict[str, object]:
    return {"statuses": [{"idstr": i, "mid": i, "created_at": "Thu Nov 20 16:15:00 +0800 2026",
                          "text": f"@Lumo官方 订单还没到 {i}", "user": WEIBO_USER} for i in ids],
            "since_id": int(max(ids)) if ids else 0}


def weibo_comments() -> bytes:
    return json.dumps({"comments": [{"idstr": "4950000000000123", "created_at": "Thu Nov 20 16:20:00 +0800 2026",
                                     "text": "回复@小王: 同样的问题", "user": WEIBO_USER,
                                     "status": {"idstr": "4950000000000001"},
                                     "reply_comment": {"idstr": "4950000000000100"}}]}).encode()


def weibo_push(kind: str = "text", text: str = "电饭煲不加热了", **data: object) -> bytes:
    return json.dumps({"type": kind, "receiver_id": 1902538057, "sender_id": 2489518277,
                       "created_at": "Thu Nov 20 16:15:00 +0800 2026", "text": text, "data": data},
                      ensure_ascii=False).encode()


def x_activity_post(keyword: str = "lumo") -> bytes:
    post = dict(x_search_page(["2080761390344937796"])["data"][0])  # type: ignore[index]
    return json.dumps({"data": {"event_uuid": "2080761390344937796", "filter": {"keyword": keyword},
                                "event_type": "post.create", "tag": "heed", "payload": post,
                                "includes": x_search_page([])["includes"]}}).encode()
