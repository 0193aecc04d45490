"""The responder's answering API for the console: a preview is exactly what `plan_answer` would
send (script, regional standard, the platform's length and the guard), snippets come in the
customer's script, a secure link is signed for the case's customer, and nothing without a token."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

import httpx
import pytest

from heed.contracts.events import AnswerKind, CaseAnswer, Channel, Visibility, customer_id_for
from heed.secure_link import verify
from heed_responder.api import parse_tokens, responder_api
from heed_responder.domain.customers import NO_PROFILE, CustomerProfile
from heed_responder.domain.guard import platform_length
from heed_responder.domain.planning import ReplyContext, plan_answer
from heed_responder.settings import ResponderSettings
from tests.unit.responder.fakes import shipped_context

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
KEY = bytes(range(32))
TOKENS = parse_tokens("console:console:console-token-0123456789")
CONTEXT = shipped_context(link_keys=(KEY,), verify_url="https://care.example.com/verify")


def client(context: ReplyContext = CONTEXT, profiles: dict[str, CustomerProfile] | None = None,
           token: str | None = "console-token-0123456789") -> httpx.AsyncClient:
    async def profile(identity: str) -> CustomerProfile:
        return (profiles or {}).get(identity, NO_PROFILE)

    app = responder_api(lambda: context, lambda: TOKENS, profile, lambda: NOW)
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://responder", headers=headers)


def sent_text(text: str, channel: Channel, script: Literal["Hans", "Hant"] | None,
              profile: CustomerProfile = NO_PROFILE) -> str | None:
    answer = CaseAnswer(event_id=uuid.uuid4(), answer_id=uuid.uuid4(), case_id=uuid.uuid4(), kind=AnswerKind.AGENT,
                        mention_id=uuid.uuid4(), channel=channel, in_reply_to="n1", recipient_platform_id="u1",
                        visibility=Visibility.PUBLIC, text=text, language="zh", script=script, author="agent:li",
                        department="billing", received_at=NOW - timedelta(hours=1))
    return plan_answer(answer, CONTEXT, profile).text


async def test_the_preview_is_what_would_be_sent_in_the_customers_script_with_the_platforms_length():
    typed = "已经为您退款，款项三天内到账，里面有详细说明"  # typed in Simplified
    async with client() as api:
        shown = (await api.post("/preview", json={
            "text": typed, "channel": "weibo", "visibility": "public", "language": "zh", "script": "Hant",
            "customer": "weibo:u1"})).json()
    assert shown["text"] == sent_text(typed, Channel.WEIBO, "Hant")
    assert "經" in shown["text"] and "为" not in shown["text"] and shown["script"] == "Hant"
    assert shown["length"] == platform_length(shown["text"], "weibo") and shown["ok"] and shown["reasons"] == []


async def test_the_script_on_record_wins_as_it_does_when_sent():
    profiles = {"weibo:u1": CustomerProfile(language="zh-Hans")}
    async with client(profiles=profiles) as api:
        shown = (await api.post("/preview", json={
            "text": "已經為您處理", "channel": "weibo", "visibility": "private", "language": "zh", "script": "Hant",
            "customer": "weibo:u1"})).json()
    assert shown["text"] == sent_text("已經為您處理", Channel.WEIBO, "Hant", profiles["weibo:u1"]) == "已经为您处理"
    assert shown["script"] == "Hans"


async def test_the_guard_says_why_it_would_hold_an_answer():
    async with client() as api:
        long = (await api.post("/preview", json={
            "text": "x" * 300, "channel": "x", "visibility": "public", "language": "en"})).json()
        blank = (await api.post("/preview", json={
            "text": "  ", "channel": "x", "visibility": "public", "language": "en"})).json()
        leftover = (await api.post("/preview", json={
            "text": "Hi {name}", "channel": "facebook", "visibility": "public", "language": "en"})).json()
    assert not long["ok"] and long["reasons"] == ["length: 300 of 280 weighted characters on x (public reply)"]
    assert long["length"] == 300 and long["limit"] == 280
    assert not blank["ok"] and blank["reasons"] == ["empty: the answer is empty"]
    assert not leftover["ok"] and leftover["reasons"][0].startswith("placeholder:")


async def test_snippets_are_the_brands_templates_and_knowledge_answers_in_the_customers_script():
    async with client() as api:
        found = (await api.get("/snippets", params={"language": "zh", "script": "Hant",
                                                    "department": "billing"})).json()
    kinds = {s["kind"] for s in found["items"]}
    assert kinds == {"template", "knowledge"} and found["script"] == "Hant"
    texts = "".join(s["text"] for s in found["items"])
    assert ("{" not in texts and "为" not in texts and "這" in texts) or "您" in texts


async def test_a_secure_link_is_signed_for_the_cases_customer_in_a_private_message():
    case_id = uuid.uuid4()
    async with client() as api:
        made = (await api.post("/secure-link", json={"case_id": str(case_id), "customer": "facebook:fb-77",
                                                      "language": "zh", "script": "Hant"})).json()
    [token] = re.findall(r"https://care\.example\.com/verify/([A-Za-z0-9_-]+)", made["text"])
    claims = verify((KEY,), token, now=NOW)
    assert claims.case_id == case_id and claims.customer_id == customer_id_for("facebook", "fb-77")
    assert claims.language == "zh-Hant"


async def test_secure_links_off_and_bad_input_are_clear_errors():
    async with client(context=shipped_context()) as api:
        off = await api.post("/secure-link", json={"case_id": str(uuid.uuid4()), "customer": "facebook:1",
                                                   "language": "en"})
    assert off.status_code == 409 and "HEED_SECURE_LINK_KEY" in off.json()["error"]
    async with client() as api:
        bad = await api.post("/secure-link", json={"case_id": str(uuid.uuid4()), "customer": "myspace:1",
                                                   "language": "en"})
        unknown = await api.post("/preview", json={"text": "hi", "channel": "myspace", "visibility": "public",
                                                   "language": "en"})
    assert bad.status_code == 422 and "customer" in bad.json()["error"]
    assert unknown.status_code == 422 and "channel" in unknown.json()["error"]


async def test_nothing_without_the_consoles_token():
    async with client(token=None) as api:
        assert (await api.post("/preview", json={})).status_code == 401
    async with client(token="not-the-token-0123456789") as api:
        assert (await api.get("/snippets", params={"language": "en"})).status_code == 401


def test_the_token_setting_is_checked_at_start_without_repeating_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HEED_RESPONDER_API_TOKENS", "console:admin:secret-token-0123456789")
    with pytest.raises(ValueError) as refused:
        ResponderSettings()
    assert "unknown grant" in str(refused.value) and "secret-token" not in str(refused.value)
