"""X adapter against the X stand-in: documented shapes, exactly-once sends, limits and read-back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from heed_responder.adapters.platforms.x import XClient
from heed_responder.domain.sending import Outcome
from heed_responder.ports import PlatformClient
from tests.integration.platforms.conftest import platform_settings, reply_row
from tests.standins import StandIns

BRAND = "9001"
TOKEN = "x-user-token"


@pytest.fixture
async def x(stand_ins: StandIns) -> AsyncIterator[XClient]:
    stand_ins.x.grant(TOKEN, BRAND)
    client = XClient(platform_settings(stand_ins, x_accounts={BRAND: {"bearer_token": TOKEN}}))
    yield client
    await client.aclose()


async def test_a_public_reply_is_one_post_in_reply_to_the_mention(x: XClient, stand_ins: StandIns) -> None:
    client: PlatformClient = x
    result = await client.send(reply_row("x", in_reply_to="1500", text="Thanks, Amy!", account=BRAND))

    assert stand_ins.x.count("x", "1500", "Thanks, Amy!") == 1
    [stored] = stand_ins.x.stored("x", "1500")
    assert stored.body == {"text": "Thanks, Amy!", "reply": {"in_reply_to_tweet_id": "1500"}}
    assert (result.outcome, result.platform_message_id) == (Outcome.SENT, stored.id)


async def test_a_private_reply_is_one_direct_message_to_the_customer(x: XClient, stand_ins: StandIns) -> None:
    result = await x.send(reply_row("x", visibility="private", recipient="77", text="Write to us here.",
                                    account=BRAND))

    assert stand_ins.x.count("x", "77", "Write to us here.") == 1
    [stored] = stand_ins.x.stored("x", "77")
    assert stored.body == {"text": "Write to us here."} and stored.private
    assert (result.outcome, result.platform_message_id) == (Outcome.SENT, stored.id)


async def test_a_short_rate_limit_is_waited_out_and_the_post_goes_once(x: XClient, stand_ins: StandIns) -> None:
    stand_ins.x.rate_limit(requests=1, reset_in=1)

    result = await x.send(reply_row("x", in_reply_to="1501", text="Soon.", account=BRAND))

    assert result.outcome is Outcome.SENT
    assert stand_ins.x.requests["POST /2/tweets"] == 2  # the refused one and the accepted one
    assert stand_ins.x.count("x", "1501", "Soon.") == 1


async def test_a_long_rate_limit_returns_retry_with_the_reset_and_holds_the_endpoint(
        x: XClient, stand_ins: StandIns) -> None:
    stand_ins.x.rate_limit(requests=1, reset_in=600)

    first = await x.send(reply_row("x", in_reply_to="1502", text="Later.", account=BRAND))
    second = await x.send(reply_row("x", in_reply_to="1503", text="Later too.", account=BRAND))

    assert first.outcome is Outcome.RETRY and first.retry_after_s is not None and 590 <= first.retry_after_s <= 601
    assert second.outcome is Outcome.RETRY and second.retry_after_s is not None and second.retry_after_s > 590
    assert stand_ins.x.requests["POST /2/tweets"] == 1  # the held endpoint was not called again
    assert stand_ins.x.messages == []


async def test_an_expired_token_fails_with_a_reason_and_sends_nothing(x: XClient, stand_ins: StandIns) -> None:
    stand_ins.x.expire_token(TOKEN)

    result = await x.send(reply_row("x", in_reply_to="1504", account=BRAND))

    assert result.outcome is Outcome.FAILED and "token" in (result.reason or "")
    assert stand_ins.x.messages == []


async def test_a_503_is_retried_and_the_post_goes_once(x: XClient, stand_ins: StandIns) -> None:
    stand_ins.x.fail(requests=1, status=503)

    result = await x.send(reply_row("x", in_reply_to="1505", text="Back.", account=BRAND))

    assert result.outcome is Outcome.SENT
    assert stand_ins.x.count("x", "1505", "Back.") == 1


async def test_a_blocked_reply_fails_with_x_reason(x: XClient, stand_ins: StandIns) -> None:
    stand_ins.x.block("1506")

    result = await x.send(reply_row("x", in_reply_to="1506", account=BRAND))

    assert result.outcome is Outcome.FAILED and "403" in (result.reason or "")
    assert stand_ins.x.messages == []


@pytest.mark.parametrize("visibility, target", [("public", "1507"), ("private", "78")])
async def test_accepted_then_hung_is_unknown_and_read_back_finds_it_once(
        x: XClient, stand_ins: StandIns, visibility: str, target: str) -> None:
    reply = reply_row("x", visibility=visibility, in_reply_to="1507", recipient="78", text="We fixed it.",
                      account=BRAND)
    stand_ins.x.accept_then_hang()

    sent = await x.send(reply)
    found = await x.read_back(reply)

    assert sent.outcome is Outcome.UNKNOWN
    [stored] = stand_ins.x.stored("x", target)
    assert found is not None and (found.outcome, found.platform_message_id) == (Outcome.SENT, stored.id)
    assert stand_ins.x.count("x", target, "We fixed it.") == 1


async def test_read_back_of_a_reply_never_posted_says_retry(x: XClient, stand_ins: StandIns) -> None:
    found = await x.read_back(reply_row("x", in_reply_to="1508", text="Never sent.", account=BRAND))

    assert found is not None and found.outcome is Outcome.RETRY
    assert stand_ins.x.messages == []


async def test_an_account_without_credentials_fails_without_a_request(x: XClient, stand_ins: StandIns) -> None:
    result = await x.send(reply_row("x", account="someone-else"))

    assert result.outcome is Outcome.FAILED and "HEED_X_ACCOUNTS" in (result.reason or "")
    assert sum(stand_ins.x.requests.values()) == 0
