"""Weibo adapter against the Weibo stand-in: comment replies, fans-service messages, read-back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from heed_responder.adapters.platforms.weibo import WeiboClient
from heed_responder.domain.sending import Outcome
from tests.integration.platforms.conftest import platform_settings, reply_row
from tests.standins import StandIns

UID, TOKEN = "5000001", "weibo-token"


@pytest.fixture
async def weibo(stand_ins: StandIns) -> AsyncIterator[WeiboClient]:
    stand_ins.weibo.grant(TOKEN, UID)
    client = WeiboClient(platform_settings(stand_ins, weibo_accounts={UID: {"access_token": TOKEN}}))
    yield client
    await client.aclose()


async def test_a_comment_reply_goes_once_with_cid_and_post_id(weibo: WeiboClient, stand_ins: StandIns) -> None:
    reply = reply_row("weibo", in_reply_to="c-100", thread_root="s-1", text="您好，已為您處理。", account=UID)

    result = await weibo.send(reply)

    [stored] = stand_ins.weibo.stored("weibo", "c-100")
    assert stored.body == {"access_token": TOKEN, "cid": "c-100", "id": "s-1", "comment": "您好，已為您處理。"}
    assert (result.outcome, result.platform_message_id) == (Outcome.SENT, stored.id)
    assert stand_ins.weibo.count("weibo", "c-100", "您好，已為您處理。") == 1


async def test_a_mention_in_a_post_gets_a_comment_on_the_post(weibo: WeiboClient, stand_ins: StandIns) -> None:
    result = await weibo.send(reply_row("weibo", in_reply_to="s-2", text="感謝提及", account=UID))

    assert result.outcome is Outcome.SENT
    assert stand_ins.weibo.requests["POST /2/comments/create.json"] == 1
    assert stand_ins.weibo.count("weibo", "s-2", "感謝提及") == 1


async def test_a_private_message_goes_through_the_fans_service(weibo: WeiboClient, stand_ins: StandIns) -> None:
    reply = reply_row("weibo", visibility="private", recipient="fan-1", thread_root="dm:fan-1", text="私信回覆",
                      account=UID)

    result = await weibo.send(reply)

    [stored] = stand_ins.weibo.stored("weibo", "fan-1")
    assert stored.body == {"access_token": TOKEN, "receiver_id": "fan-1", "type": "text",
                           "data": '{"text": "私信回覆"}'}
    assert result.outcome is Outcome.SENT and stand_ins.weibo.count("weibo", "fan-1", "私信回覆") == 1


async def test_a_private_message_past_48_hours_is_refused_unsent(weibo: WeiboClient, stand_ins: StandIns) -> None:
    reply = reply_row("weibo", visibility="private", recipient="fan-2", thread_root="dm:fan-2", account=UID,
                      received_ago=timedelta(hours=50))

    result = await weibo.send(reply)

    assert result.outcome is Outcome.FAILED and "messaging window closed" in (result.reason or "")
    assert sum(stand_ins.weibo.requests.values()) == 0


async def test_an_expired_token_fails_with_21327(weibo: WeiboClient, stand_ins: StandIns) -> None:
    stand_ins.weibo.expire_token(TOKEN)

    result = await weibo.send(reply_row("weibo", in_reply_to="c-101", thread_root="s-1", account=UID))

    assert result.outcome is Outcome.FAILED and "21327" in (result.reason or "") and "token" in (result.reason or "")
    assert stand_ins.weibo.messages == []


async def test_a_rate_limit_returns_retry_with_the_configured_hold(weibo: WeiboClient, stand_ins: StandIns) -> None:
    stand_ins.weibo.rate_limit(requests=1)

    first = await weibo.send(reply_row("weibo", in_reply_to="c-102", thread_root="s-1", account=UID))
    second = await weibo.send(reply_row("weibo", in_reply_to="c-103", thread_root="s-1", account=UID))

    assert first.outcome is Outcome.RETRY and first.retry_after_s == 600 and "10023" in (first.reason or "")
    assert second.outcome is Outcome.RETRY  # the endpoint is held: no second request
    assert stand_ins.weibo.requests["POST /2/comments/reply.json"] == 1


async def test_accepted_then_hung_is_found_by_comments_by_me(weibo: WeiboClient, stand_ins: StandIns) -> None:
    reply = reply_row("weibo", in_reply_to="c-104", thread_root="s-1", text="已經修好了", account=UID)
    stand_ins.weibo.accept_then_hang()

    sent = await weibo.send(reply)
    found = await weibo.read_back(reply)

    assert sent.outcome is Outcome.UNKNOWN
    [stored] = stand_ins.weibo.stored("weibo", "c-104")
    assert found is not None and (found.outcome, found.platform_message_id) == (Outcome.SENT, stored.id)
    assert stand_ins.weibo.count("weibo", "c-104", "已經修好了") == 1
