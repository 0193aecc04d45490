"""LinkedIn adapter against the LinkedIn stand-in: organization comments and read-back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from heed_responder.adapters.platforms.linkedin import LinkedInClient
from heed_responder.domain.sending import Outcome
from tests.integration.platforms.conftest import platform_settings, reply_row
from tests.standins import StandIns

ORG, TOKEN = "urn:li:organization:2414183", "li-token"
POST = "urn:li:activity:7100000000000000001"


@pytest.fixture
async def linkedin(stand_ins: StandIns) -> AsyncIterator[LinkedInClient]:
    stand_ins.linkedin.grant(TOKEN, ORG)
    client = LinkedInClient(platform_settings(stand_ins, linkedin_accounts={ORG: {"access_token": TOKEN}}))
    yield client
    await client.aclose()


async def test_a_public_reply_is_one_organization_comment_on_the_post(
        linkedin: LinkedInClient, stand_ins: StandIns) -> None:
    reply = reply_row("linkedin", in_reply_to=POST, thread_root=POST, text="Thank you for sharing.", account=ORG)

    result = await linkedin.send(reply)

    [stored] = stand_ins.linkedin.stored("linkedin", POST)
    assert stored.body == {"actor": ORG, "object": POST, "message": {"text": "Thank you for sharing."}}
    assert (result.outcome, result.platform_message_id) == (Outcome.SENT, stored.id)
    assert stand_ins.linkedin.count("linkedin", POST, "Thank you for sharing.") == 1


async def test_a_reply_to_a_member_comment_nests_under_it(linkedin: LinkedInClient, stand_ins: StandIns) -> None:
    comment = f"urn:li:comment:({POST},6800)"
    result = await linkedin.send(reply_row("linkedin", in_reply_to=comment, thread_root=POST, text="Glad to help.",
                                           account=ORG))

    [stored] = stand_ins.linkedin.stored("linkedin", comment)
    assert stored.body["parentComment"] == comment and stored.body["object"] == POST
    assert result.outcome is Outcome.SENT


async def test_a_private_reply_is_refused_without_a_request(linkedin: LinkedInClient, stand_ins: StandIns) -> None:
    result = await linkedin.send(reply_row("linkedin", visibility="private", in_reply_to=POST, account=ORG))

    assert result.outcome is Outcome.FAILED and "private" in (result.reason or "")
    assert sum(stand_ins.linkedin.requests.values()) == 0


async def test_a_short_throttle_is_waited_out_from_retry_after(linkedin: LinkedInClient, stand_ins: StandIns) -> None:
    stand_ins.linkedin.rate_limit(requests=1, reset_in=1)

    result = await linkedin.send(reply_row("linkedin", in_reply_to=POST, thread_root=POST, text="Once.", account=ORG))

    assert result.outcome is Outcome.SENT
    assert stand_ins.linkedin.requests["POST /rest/socialActions/{urn}/comments"] == 2
    assert stand_ins.linkedin.count("linkedin", POST, "Once.") == 1


async def test_an_expired_token_fails_with_the_reason(linkedin: LinkedInClient, stand_ins: StandIns) -> None:
    stand_ins.linkedin.expire_token(TOKEN)

    result = await linkedin.send(reply_row("linkedin", in_reply_to=POST, thread_root=POST, account=ORG))

    assert result.outcome is Outcome.FAILED and "EXPIRED_ACCESS_TOKEN" in (result.reason or "")
    assert stand_ins.linkedin.messages == []


async def test_accepted_then_hung_is_read_back_from_the_post_comments(
        linkedin: LinkedInClient, stand_ins: StandIns) -> None:
    reply = reply_row("linkedin", in_reply_to=POST, thread_root=POST, text="Resolved, thanks.", account=ORG)
    stand_ins.linkedin.accept_then_hang()

    sent = await linkedin.send(reply)
    found = await linkedin.read_back(reply)

    assert sent.outcome is Outcome.UNKNOWN
    [stored] = stand_ins.linkedin.stored("linkedin", POST)
    assert found is not None and (found.outcome, found.platform_message_id) == (Outcome.SENT, stored.id)
    assert stand_ins.linkedin.count("linkedin", POST, "Resolved, thanks.") == 1
