"""WeChat adapter against the WeChat stand-in: token caching and refresh, the 48-hour window."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from heed_responder.adapters.platforms.wechat import WeChatClient
from heed_responder.domain.outbox import OutboxRow
from heed_responder.domain.sending import Outcome
from tests.integration.platforms.conftest import platform_settings, reply_row
from tests.standins import StandIns

ACCOUNT, APPID, SECRET = "gh_brand", "wx-app", "app-secret"


@pytest.fixture
async def wechat(stand_ins: StandIns) -> AsyncIterator[WeChatClient]:
    stand_ins.wechat.register(APPID, SECRET, ACCOUNT)
    client = WeChatClient(platform_settings(stand_ins, wechat_accounts={ACCOUNT: {"appid": APPID, "secret": SECRET}}))
    yield client
    await client.aclose()


def message(recipient: str, text: str = "您好，我們正在處理。",
            received_ago: timedelta = timedelta(minutes=5)) -> OutboxRow:
    return reply_row("wechat", visibility="private", recipient=recipient, text=text, account=ACCOUNT,
                     thread_root=f"dm:{recipient}", received_ago=received_ago)


async def test_a_customer_service_message_goes_once_and_the_token_is_reused(
        wechat: WeChatClient, stand_ins: StandIns) -> None:
    first = await wechat.send(message("openid-1", "第一則"))
    second = await wechat.send(message("openid-2", "第二則"))

    [stored] = stand_ins.wechat.stored("wechat", "openid-1")
    assert stored.body == {"touser": "openid-1", "msgtype": "text", "text": {"content": "第一則"}}
    assert first.outcome is Outcome.SENT and second.outcome is Outcome.SENT
    assert stand_ins.wechat.count("wechat", "openid-1", "第一則") == 1
    assert stand_ins.wechat.requests["GET /cgi-bin/token"] == 1  # cached for the second send


async def test_an_expired_token_is_refreshed_and_the_message_sent_once(
        wechat: WeChatClient, stand_ins: StandIns) -> None:
    await wechat.send(message("openid-3", "warm-up"))
    stand_ins.wechat.expire_all_tokens()

    result = await wechat.send(message("openid-4", "after refresh"))

    assert result.outcome is Outcome.SENT
    assert stand_ins.wechat.requests["GET /cgi-bin/token"] == 2
    assert stand_ins.wechat.requests["POST /cgi-bin/message/custom/send"] == 3  # warm-up, refused, sent
    assert stand_ins.wechat.count("wechat", "openid-4", "after refresh") == 1


async def test_wrong_app_secret_fails_with_the_reason(stand_ins: StandIns) -> None:
    stand_ins.wechat.register(APPID, SECRET, ACCOUNT)
    client = WeChatClient(platform_settings(stand_ins, wechat_accounts={ACCOUNT: {"appid": APPID, "secret": "no"}}))
    try:
        result = await client.send(message("openid-5"))
    finally:
        await client.aclose()

    assert result.outcome is Outcome.FAILED and "40125" in (result.reason or "")
    assert stand_ins.wechat.messages == []


async def test_past_48_hours_is_refused_without_a_request(wechat: WeChatClient, stand_ins: StandIns) -> None:
    result = await wechat.send(message("openid-6", received_ago=timedelta(hours=49)))

    assert result.outcome is Outcome.FAILED and "messaging window closed" in (result.reason or "")
    assert sum(stand_ins.wechat.requests.values()) == 0


async def test_45015_from_wechat_is_a_closed_window(wechat: WeChatClient, stand_ins: StandIns) -> None:
    stand_ins.wechat.close_window("openid-7")

    result = await wechat.send(message("openid-7"))

    assert result.outcome is Outcome.FAILED
    assert "messaging window closed" in (result.reason or "") and "45015" in (result.reason or "")
    assert stand_ins.wechat.messages == []


async def test_daily_quota_returns_retry_with_a_wait(wechat: WeChatClient, stand_ins: StandIns) -> None:
    stand_ins.wechat.rate_limit(requests=1)

    result = await wechat.send(message("openid-8"))

    assert result.outcome is Outcome.RETRY and result.retry_after_s == 3600
    assert stand_ins.wechat.messages == []


async def test_accepted_then_hung_is_unknown_with_no_read_back(wechat: WeChatClient, stand_ins: StandIns) -> None:
    reply = message("openid-9", "收到")
    stand_ins.wechat.accept_then_hang()

    sent = await wechat.send(reply)
    found = await wechat.read_back(reply)

    assert sent.outcome is Outcome.UNKNOWN and found is None
    assert stand_ins.wechat.count("wechat", "openid-9", "收到") == 1
