"""Facebook, Messenger, Instagram and WhatsApp adapters against the Graph stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from heed_responder.adapters.platforms.facebook import FacebookClient, MessengerClient
from heed_responder.adapters.platforms.instagram import InstagramClient
from heed_responder.adapters.platforms.meta import GraphClient
from heed_responder.adapters.platforms.whatsapp import WhatsAppClient
from heed_responder.domain.sending import Outcome
from tests.integration.platforms.conftest import platform_settings, reply_row
from tests.standins import StandIns

PAGE, PAGE_TOKEN = "1010", "page-token"
IG, IG_TOKEN = "1787", "ig-token"
PHONE, WA_TOKEN = "5511", "wa-token"


@pytest.fixture
async def clients(stand_ins: StandIns) -> AsyncIterator[dict[str, GraphClient]]:
    stand_ins.graph.grant_page(PAGE_TOKEN, PAGE)
    stand_ins.graph.grant_instagram(IG_TOKEN, IG)
    stand_ins.graph.grant_whatsapp(WA_TOKEN, PHONE)
    settings = platform_settings(
        stand_ins, facebook_pages={PAGE: {"access_token": PAGE_TOKEN}},
        instagram_accounts={IG: {"access_token": IG_TOKEN}},
        whatsapp_numbers={PHONE: {"access_token": WA_TOKEN}}, whatsapp_template_name="care_follow_up",
        whatsapp_template_language="zh_HK")
    made: dict[str, GraphClient] = {"facebook": FacebookClient(settings), "messenger": MessengerClient(settings),
            "instagram": InstagramClient(settings), "whatsapp": WhatsAppClient(settings)}
    yield made
    for client in made.values():
        await client.aclose()


@pytest.fixture
def facebook(clients: dict[str, GraphClient]) -> FacebookClient:
    return clients["facebook"]  # type: ignore[return-value]


@pytest.fixture
def messenger(clients: dict[str, GraphClient]) -> MessengerClient:
    return clients["messenger"]  # type: ignore[return-value]


@pytest.fixture
def instagram(clients: dict[str, GraphClient]) -> InstagramClient:
    return clients["instagram"]  # type: ignore[return-value]


@pytest.fixture
def whatsapp(clients: dict[str, GraphClient]) -> WhatsAppClient:
    return clients["whatsapp"]  # type: ignore[return-value]


# Facebook


async def test_facebook_public_reply_is_one_comment_under_the_customer_comment(
        facebook: FacebookClient, stand_ins: StandIns) -> None:
    reply = reply_row("facebook", in_reply_to="post1_c1", thread_root="post1", text="Sorry, Amy!", account=PAGE)

    result = await facebook.send(reply)

    assert stand_ins.graph.count("facebook", "post1_c1", "Sorry, Amy!") == 1
    [stored] = stand_ins.graph.stored("facebook", "post1_c1")
    assert stored.body == {"message": "Sorry, Amy!"} and stored.author == PAGE
    assert (result.outcome, result.platform_message_id) == (Outcome.SENT, stored.id)


async def test_facebook_private_reply_goes_to_the_comment_through_the_send_api(
        facebook: FacebookClient, stand_ins: StandIns) -> None:
    reply = reply_row("facebook", visibility="private", in_reply_to="post1_c2", thread_root="post1",
                      text="Let us continue in private.", account=PAGE)

    result = await facebook.send(reply)

    [stored] = stand_ins.graph.stored("facebook", "post1_c2")
    assert stored.body == {"recipient": {"comment_id": "post1_c2"}, "messaging_type": "RESPONSE",
                           "message": {"text": "Let us continue in private."}}
    assert (result.outcome, result.platform_message_id) == (Outcome.SENT, stored.id)
    assert stand_ins.graph.count("facebook", "post1_c2", "Let us continue in private.") == 1


async def test_facebook_private_reply_after_seven_days_is_refused_before_sending(
        facebook: FacebookClient, stand_ins: StandIns) -> None:
    reply = reply_row("facebook", visibility="private", in_reply_to="post1_c3", thread_root="post1",
                      account=PAGE, received_ago=timedelta(days=8))

    result = await facebook.send(reply)

    assert result.outcome is Outcome.FAILED and "messaging window closed" in (result.reason or "")
    assert sum(stand_ins.graph.requests.values()) == 0


async def test_facebook_expired_token_fails_with_the_reason(facebook: FacebookClient, stand_ins: StandIns) -> None:
    stand_ins.graph.expire_token(PAGE_TOKEN)

    result = await facebook.send(reply_row("facebook", in_reply_to="post1_c4", account=PAGE))

    assert result.outcome is Outcome.FAILED
    assert "token expired" in (result.reason or "") and "190" in (result.reason or "")
    assert stand_ins.graph.messages == []


async def test_facebook_business_use_case_limit_returns_retry_and_holds_the_page(
        facebook: FacebookClient, stand_ins: StandIns) -> None:
    stand_ins.graph.rate_limit(requests=1, reset_in=120)  # estimated_time_to_regain_access: 2 minutes

    first = await facebook.send(reply_row("facebook", in_reply_to="post1_c5", account=PAGE))
    second = await facebook.send(reply_row("facebook", in_reply_to="post1_c6", account=PAGE))

    assert first.outcome is Outcome.RETRY and first.retry_after_s == 120 and "32" in (first.reason or "")
    assert second.outcome is Outcome.RETRY and second.retry_after_s is not None and second.retry_after_s > 100
    assert stand_ins.graph.requests["POST /{id}/comments"] == 1
    assert stand_ins.graph.messages == []


async def test_facebook_transient_error_is_retried_and_sent_once(facebook: FacebookClient, stand_ins: StandIns) -> None:
    stand_ins.graph.fail(requests=2, status=500)

    result = await facebook.send(reply_row("facebook", in_reply_to="post1_c7", text="Here now.", account=PAGE))

    assert result.outcome is Outcome.SENT
    assert stand_ins.graph.requests["POST /{id}/comments"] == 3
    assert stand_ins.graph.count("facebook", "post1_c7", "Here now.") == 1


async def test_facebook_accepted_then_hung_is_unknown_and_read_back_finds_the_page_comment(
        facebook: FacebookClient, stand_ins: StandIns) -> None:
    reply = reply_row("facebook", in_reply_to="post1_c8", thread_root="post1", text="Fixed.", account=PAGE)
    stand_ins.graph.accept_then_hang()

    sent = await facebook.send(reply)
    found = await facebook.read_back(reply)

    assert sent.outcome is Outcome.UNKNOWN
    [stored] = stand_ins.graph.stored("facebook", "post1_c8")
    assert found is not None and (found.outcome, found.platform_message_id) == (Outcome.SENT, stored.id)
    assert stand_ins.graph.count("facebook", "post1_c8", "Fixed.") == 1


# Messenger


async def test_messenger_reply_within_24_hours_is_a_response(messenger: MessengerClient, stand_ins: StandIns) -> None:
    reply = reply_row("messenger", visibility="private", recipient="psid-7", text="Hello from the Page.",
                      thread_root="dm:psid-7", account=PAGE)

    result = await messenger.send(reply)

    [stored] = stand_ins.graph.stored("messenger", "psid-7")
    assert stored.body == {"recipient": {"id": "psid-7"}, "messaging_type": "RESPONSE",
                           "message": {"text": "Hello from the Page."}}
    assert (result.outcome, result.platform_message_id) == (Outcome.SENT, stored.id)


async def test_messenger_agent_answer_after_24_hours_carries_the_human_agent_tag(
        messenger: MessengerClient, stand_ins: StandIns) -> None:
    stand_ins.graph.close_window("psid-8")
    reply = reply_row("messenger", visibility="private", recipient="psid-8", text="An agent here.", kind="agent",
                      thread_root="dm:psid-8", account=PAGE, received_ago=timedelta(days=3))

    result = await messenger.send(reply)

    [stored] = stand_ins.graph.stored("messenger", "psid-8")
    assert stored.body["messaging_type"] == "MESSAGE_TAG" and stored.body["tag"] == "HUMAN_AGENT"
    assert result.outcome is Outcome.SENT


@pytest.mark.parametrize("kind, ago", [("auto", timedelta(hours=30)), ("agent", timedelta(days=8))])
async def test_messenger_outside_its_window_is_refused_without_a_request(
        messenger: MessengerClient, stand_ins: StandIns, kind: str, ago: timedelta) -> None:
    reply = reply_row("messenger", visibility="private", recipient="psid-9", kind=kind, account=PAGE,
                      thread_root="dm:psid-9", received_ago=ago)

    result = await messenger.send(reply)

    assert result.outcome is Outcome.FAILED and "messaging window closed" in (result.reason or "")
    assert sum(stand_ins.graph.requests.values()) == 0


async def test_messenger_window_the_platform_says_is_closed_fails_with_the_reason(
        messenger: MessengerClient, stand_ins: StandIns) -> None:
    stand_ins.graph.close_window("psid-10")  # the customer's last message was earlier than Heed knew

    result = await messenger.send(reply_row("messenger", visibility="private", recipient="psid-10", account=PAGE))

    assert result.outcome is Outcome.FAILED and "messaging window closed" in (result.reason or "")
    assert stand_ins.graph.messages == []


async def test_messenger_blocked_person_fails(messenger: MessengerClient, stand_ins: StandIns) -> None:
    stand_ins.graph.block("psid-11")

    result = await messenger.send(reply_row("messenger", visibility="private", recipient="psid-11", account=PAGE))

    assert result.outcome is Outcome.FAILED and "not available" in (result.reason or "")


async def test_messenger_accepted_then_hung_is_read_back_from_the_conversation(
        messenger: MessengerClient, stand_ins: StandIns) -> None:
    reply = reply_row("messenger", visibility="private", recipient="psid-12", text="Done!", account=PAGE,
                      thread_root="dm:psid-12")
    stand_ins.graph.accept_then_hang()

    sent = await messenger.send(reply)
    found = await messenger.read_back(reply)

    assert sent.outcome is Outcome.UNKNOWN
    [stored] = stand_ins.graph.stored("messenger", "psid-12")
    assert found is not None and (found.outcome, found.platform_message_id) == (Outcome.SENT, stored.id)
    assert stand_ins.graph.count("messenger", "psid-12", "Done!") == 1


# Instagram


async def test_instagram_public_reply_is_one_reply_under_the_comment(
        instagram: InstagramClient, stand_ins: StandIns) -> None:
    reply = reply_row("instagram", in_reply_to="ig-c1", thread_root="media1", text="Thanks!", account=IG)

    result = await instagram.send(reply)

    [stored] = stand_ins.graph.stored("instagram", "ig-c1")
    assert stored.body == {"message": "Thanks!"} and stand_ins.graph.requests["POST /{id}/replies"] == 1
    assert (result.outcome, result.platform_message_id) == (Outcome.SENT, stored.id)


async def test_instagram_private_reply_to_a_comment_and_a_direct_message(
        instagram: InstagramClient, stand_ins: StandIns) -> None:
    to_comment = reply_row("instagram", visibility="private", in_reply_to="ig-c2", thread_root="media1",
                           text="Sent you a DM.", account=IG)
    to_dm = reply_row("instagram", visibility="private", in_reply_to="mid-1", recipient="igsid-5",
                      thread_root="dm:igsid-5", text="Hi in DM.", account=IG)

    first, second = await instagram.send(to_comment), await instagram.send(to_dm)

    assert stand_ins.graph.stored("instagram", "ig-c2")[0].body == {
        "recipient": {"comment_id": "ig-c2"}, "messaging_type": "RESPONSE", "message": {"text": "Sent you a DM."}}
    assert stand_ins.graph.stored("instagram", "igsid-5")[0].body == {
        "recipient": {"id": "igsid-5"}, "messaging_type": "RESPONSE", "message": {"text": "Hi in DM."}}
    assert first.outcome is Outcome.SENT and second.outcome is Outcome.SENT
    assert stand_ins.graph.count("instagram", "ig-c2", "Sent you a DM.") == 1
    assert stand_ins.graph.count("instagram", "igsid-5", "Hi in DM.") == 1


async def test_instagram_dm_outside_the_window_is_refused_before_sending(
        instagram: InstagramClient, stand_ins: StandIns) -> None:
    reply = reply_row("instagram", visibility="private", recipient="igsid-6", thread_root="dm:igsid-6", account=IG,
                      received_ago=timedelta(days=2))

    result = await instagram.send(reply)

    assert result.outcome is Outcome.FAILED and "messaging window closed" in (result.reason or "")
    assert sum(stand_ins.graph.requests.values()) == 0


async def test_instagram_accepted_then_hung_is_read_back_from_the_replies(
        instagram: InstagramClient, stand_ins: StandIns) -> None:
    reply = reply_row("instagram", in_reply_to="ig-c3", thread_root="media1", text="All sorted.", account=IG)
    stand_ins.graph.accept_then_hang()

    sent = await instagram.send(reply)
    found = await instagram.read_back(reply)

    assert sent.outcome is Outcome.UNKNOWN
    [stored] = stand_ins.graph.stored("instagram", "ig-c3")
    assert found is not None and (found.outcome, found.platform_message_id) == (Outcome.SENT, stored.id)
    assert stand_ins.graph.count("instagram", "ig-c3", "All sorted.") == 1


# WhatsApp


async def test_whatsapp_reply_within_24_hours_is_one_text_message(
        whatsapp: WhatsAppClient, stand_ins: StandIns) -> None:
    reply = reply_row("whatsapp", visibility="private", recipient="85291234567", text="您好!", account=PHONE,
                      thread_root="dm:85291234567")

    result = await whatsapp.send(reply)

    [stored] = stand_ins.graph.stored("whatsapp", "85291234567")
    assert stored.body == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "85291234567",
                           "type": "text", "text": {"preview_url": False, "body": "您好!"}}
    assert (result.outcome, result.platform_message_id) == (Outcome.SENT, stored.id)
    assert stand_ins.graph.count("whatsapp", "85291234567", "您好!") == 1


async def test_whatsapp_after_24_hours_sends_the_configured_template(
        whatsapp: WhatsAppClient, stand_ins: StandIns) -> None:
    reply = reply_row("whatsapp", visibility="private", recipient="85291234568", text="跟進", account=PHONE,
                      received_ago=timedelta(hours=30))

    result = await whatsapp.send(reply)

    [stored] = stand_ins.graph.stored("whatsapp", "85291234568")
    assert stored.body["type"] == "template"
    assert stored.body["template"] == {"name": "care_follow_up", "language": {"code": "zh_HK"}, "components": [
        {"type": "body", "parameters": [{"type": "text", "text": "跟進"}]}]}
    assert result.outcome is Outcome.SENT


async def test_whatsapp_after_24_hours_without_a_template_is_refused_before_sending(stand_ins: StandIns) -> None:
    stand_ins.graph.grant_whatsapp(WA_TOKEN, PHONE)
    client = WhatsAppClient(platform_settings(stand_ins, whatsapp_numbers={PHONE: {"access_token": WA_TOKEN}}))
    try:
        result = await client.send(reply_row("whatsapp", visibility="private", recipient="85291234569",
                                             account=PHONE, received_ago=timedelta(hours=25)))
    finally:
        await client.aclose()

    assert result.outcome is Outcome.FAILED and "messaging window closed" in (result.reason or "")
    assert sum(stand_ins.graph.requests.values()) == 0


async def test_whatsapp_re_engagement_error_fails_with_the_reason(
        whatsapp: WhatsAppClient, stand_ins: StandIns) -> None:
    stand_ins.graph.close_window("85291234570")

    result = await whatsapp.send(reply_row("whatsapp", visibility="private", recipient="85291234570", account=PHONE))

    assert result.outcome is Outcome.FAILED
    assert "messaging window closed" in (result.reason or "") and "131047" in (result.reason or "")


async def test_whatsapp_accepted_then_hung_is_unknown_and_has_no_read_back(
        whatsapp: WhatsAppClient, stand_ins: StandIns) -> None:
    reply = reply_row("whatsapp", visibility="private", recipient="85291234571", text="OK", account=PHONE)
    stand_ins.graph.accept_then_hang()

    sent = await whatsapp.send(reply)
    found = await whatsapp.read_back(reply)

    assert sent.outcome is Outcome.UNKNOWN and found is None
    assert stand_ins.graph.count("whatsapp", "85291234571", "OK") == 1
