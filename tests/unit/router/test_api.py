"""The cases API over an in-memory desk: tokens and roles, filters and pages, each command and its
errors as JSON, validation, the OpenAPI document, and the stream of queue changes."""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx
import pytest
from pydantic import ValidationError

from heed.contracts.events import CaseEventKind, Category, IssueType, Urgency
from heed_router.api import ApiTokens, ApiTokensError, cases_api, queue_changes
from heed_router.settings import RouterSettings
from tests.unit.router.fake_desk import FakeDesk, summary

TOKENS = ApiTokens.parse("li:agent:li-token-0123456789,boss:supervisor:boss-token-0123456789,"
                         "dash:reader:dash-token-0123456789,crm:system:crm-token-01234567890")


def client(desk: FakeDesk, tokens: ApiTokens = TOKENS, token: str | None = "li-token-0123456789") -> httpx.AsyncClient:
    app = cases_api(lambda: desk, lambda: tokens)
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://router", headers=headers)


def queue() -> FakeDesk:
    return FakeDesk().add(*[summary(i) for i in range(5)], summary(9, department="sales"))


async def test_no_token_or_a_wrong_one_is_401_with_the_bearer_challenge():
    for token in (None, "not-a-token-0123456789"):
        async with client(queue(), token=token) as api:
            response = await api.get("/cases")
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {"error": "a valid bearer token is required"}


async def test_without_tokens_configured_the_api_is_off_and_says_why():
    async with client(queue(), tokens=ApiTokens.parse(None)) as api:
        response = await api.get("/cases")
    assert response.status_code == 503 and "HEED_API_TOKENS" in response.json()["error"]


async def test_roles_decide_what_a_token_may_do():
    desk = queue()
    case_id = next(iter(desk.cases))
    async with client(desk, token="dash-token-0123456789") as reader:
        assert (await reader.get(f"/cases/{case_id}")).status_code == 200
        refused = await reader.post(f"/cases/{case_id}/answer", json={"text": "hi"})
        assert refused.status_code == 403 and refused.json() == {"error": "role reader may not answer"}
    async with client(desk, token="crm-token-01234567890") as system:
        assert (await system.post("/departments/billing/next")).status_code == 403
        assert (await system.post(f"/cases/{case_id}/notes", json={"text": "VIP in CRM"})).status_code == 201
    assert desk.notes[0].author == "system:crm"


async def test_taking_the_next_case_claims_it_and_an_empty_queue_is_204():
    desk = FakeDesk().add(summary(1), summary(2))
    async with client(desk) as api:
        first = await api.post("/departments/billing/next")
        assert first.status_code == 200 and first.json()["claimed_by"] == "agent:li"
        assert (await api.post("/departments/billing/next")).json()["claimed_by"] == "agent:li"
        full = await api.post("/departments/billing/next")
        assert full.status_code == 204
    desk.add(summary(3))
    async with client(desk) as api:
        over = await api.post("/departments/billing/next")
    assert over.status_code == 429 and "already holds 2" in over.json()["error"]


async def test_only_a_supervisor_releases_someone_elses_claim():
    desk = queue()
    case_id = next(iter(desk.cases))
    async with client(desk) as li:
        await li.post(f"/cases/{case_id}/claim")
    async with client(desk, token="crm-token-01234567890") as system:
        assert (await system.post(f"/cases/{case_id}/release")).status_code == 403
    async with client(desk, token="boss-token-0123456789") as boss:
        released = await boss.post(f"/cases/{case_id}/release")
    assert released.status_code == 200 and released.json()["claimed_by"] is None


async def test_answer_note_transfer_resolve_and_their_errors():
    desk = queue()
    case_id = next(iter(desk.cases))
    async with client(desk) as api:
        answered = await api.post(f"/cases/{case_id}/answer", json={"text": "已为您退款", "visibility": "private"})
        assert answered.status_code == 200 and answered.json()["status"] == "answered"
        assert desk.answers == [(case_id, "agent:li", "已为您退款", "private")]
        moved = await api.post(f"/cases/{case_id}/transfer", json={"department": "sales", "reason": "upsell"})
        assert moved.json()["department"] == "sales"
        assert (await api.post(f"/cases/{case_id}/resolve", json={"reason": "done"})).json()["status"] == "resolved"
        late = await api.post(f"/cases/{case_id}/answer", json={"text": "one more thing"})
        assert late.status_code == 409 and late.json() == {"error": "case is resolved: it cannot be answered now"}
        missing = await api.get(f"/cases/{uuid.uuid4()}")
        assert missing.status_code == 404 and missing.json()["error"].startswith("no case")


@pytest.mark.parametrize(("body", "field"), [
    ({"text": "   "}, "text: Value error, the text is blank"), ({}, "text: Field required"),
    ({"text": "x" * 10_001}, "text: String should have at most 10000 characters"),
    ({"text": "hi", "visibility": "loud"}, "visibility: Input should be 'public' or 'private'"),
    ({"text": "hi", "cc": "boss"}, "cc: Extra inputs are not permitted"),
])
async def test_bad_input_is_422_naming_the_field(body, field):
    desk = queue()
    async with client(desk) as api:
        response = await api.post(f"/cases/{next(iter(desk.cases))}/answer", json=body)
    assert response.status_code == 422 and field in response.json()["error"]
    assert desk.answers == []


async def test_filters_and_a_cursor_walk_every_case_exactly_once():
    desk = queue().add(summary(20, urgency=Urgency.HIGH))
    seen: list[str] = []
    async with client(desk) as api:
        cursor = None
        while True:
            page = (await api.get("/cases", params={"department": "billing", "limit": 2,
                                                    **({"cursor": cursor} if cursor else {})})).json()
            seen += [c["case_id"] for c in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        high = (await api.get("/cases", params={"urgency": "high"})).json()["items"]
        bad = await api.get("/cases", params={"status": "lost"})
    assert sorted(seen) == sorted(str(c.case_id) for c in desk.cases.values() if c.department == "billing")
    assert len(seen) == len(set(seen)) == 6
    assert [c["case_id"] for c in high] == [str(uuid.UUID(int=21))]
    assert bad.status_code == 422 and "status" in bad.json()["error"]


async def test_the_openapi_document_is_served_without_a_token_and_lists_every_endpoint():
    async with client(queue(), token=None) as api:
        document = (await api.get("/openapi.json")).json()
    assert set(document["paths"]) == {
        "/cases", "/cases/stream", "/cases/{case_id}", "/departments/{department}/next", "/cases/{case_id}/claim",
        "/cases/{case_id}/release", "/cases/{case_id}/answer", "/cases/{case_id}/notes",
        "/cases/{case_id}/transfer", "/cases/{case_id}/resolve", "/cases/{case_id}/corrections"}
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    body = document["components"]["schemas"]["CorrectionBody"]["properties"]
    schemas = document["components"]["schemas"]
    # the values are the contract's, so values the classifier's contract gains appear here without a change
    assert set(schemas["Category"]["enum"]) == {c.value for c in Category}
    assert set(schemas["IssueType"]["enum"]) == {i.value for i in IssueType}
    assert set(body) == {"mention_id", "category", "issue_type", "urgency", "language"}
    corrections = document["paths"]["/cases/{case_id}/corrections"]["post"]
    assert set(corrections["responses"]) >= {"201", "403", "404", "409", "422"}
    assert "corrections" in schemas["CaseDetail"]["properties"]


async def test_the_stream_gives_changes_in_order_resumes_after_an_id_and_keeps_alive():
    desk = queue()
    ids = list(desk.cases)
    await desk.claim(ids[0], "agent:x")
    await desk.claim(ids[1], "agent:y")
    await desk.resolve(ids[2], "agent:x", "")
    disconnect = asyncio.Event()

    async def gone() -> bool:
        return disconnect.is_set()

    frames = queue_changes(desk, None, 1, disconnected=gone, poll_s=0.01, heartbeat_s=0.02)
    got = [await asyncio.wait_for(anext(frames), 2) for _ in range(3)]
    assert got[0].startswith("id: 2\nevent: claimed\ndata: {") and got[1].startswith("id: 3\nevent: resolved\n")
    assert got[2] == ": keep-alive\n\n"
    await desk.claim(ids[3], "agent:z")
    assert (await asyncio.wait_for(anext(frames), 2)).startswith("id: 4\nevent: claimed\n")
    disconnect.set()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(frames), 2)
    assert desk.changes[0].kind is CaseEventKind.CLAIMED


@pytest.mark.parametrize(("value", "message"), [
    ("li:agent", "entry 1: expected name:role:token"),
    ("li:agent:0123456789abcdef,bo:boss:0123456789abcdef", "entry 2 (bo): unknown role 'boss'"),
    ("li:agent:short", "entry 1 (li): the token is shorter than 16"),
    ("li:agent:0123456789abcdef,li:reader:abcdef0123456789", "entry 2: the name 'li' is used twice"),
])
def test_bad_tokens_settings_are_refused_naming_the_entry_never_the_token(value, message):
    with pytest.raises(ApiTokensError, match=re.escape(message)):
        ApiTokens.parse(value)
    with pytest.raises(ValidationError) as refused:
        RouterSettings(api_tokens=value)
    assert message in str(refused.value) and "0123456789abcdef" not in str(refused.value)
    assert "short" not in str(refused.value).replace("shorter", "")


async def test_an_agent_corrects_the_classifier_and_the_case_shows_it():
    desk = queue()
    case_id = next(iter(desk.cases))
    async with client(desk) as api:
        first = await api.post(f"/cases/{case_id}/corrections", json={"category": "sales_lead", "urgency": "high"})
        again = await api.post(f"/cases/{case_id}/corrections", json={"category": "complaint",
                                                                     "issue_type": "billing", "language": "fr"})
        shown = (await api.get(f"/cases/{case_id}")).json()
    assert first.status_code == 201 and first.json()["urgency"] == "high"
    assert again.status_code == 201
    # the latest value of each field, by whom
    assert {c["field"]: (c["corrected"], c["actor"]) for c in shown["corrections"]} == {
        "category": ("complaint", "agent:li"), "urgency": ("high", "agent:li"), "issue_type": ("billing", "agent:li"),
        "language": ("fr", "agent:li")}
    assert shown["urgency"] == "high" and shown["language"] == "fr"
    assert [c.kind for c in desk.changes] == [CaseEventKind.CORRECTED, CaseEventKind.CORRECTED]


@pytest.mark.parametrize(("body", "error"), [
    ({}, "give at least one of category, issue_type, urgency, language"),
    ({"mention_id": str(uuid.UUID(int=99))}, "give at least one of"),
    ({"category": "sales"}, "category: Input should be 'complaint', 'question'"),
    ({"issue_type": "weather"}, "issue_type: Input should be 'product_quality'"),
    ({"urgency": "asap"}, "urgency: Input should be 'low', 'normal', 'high' or 'critical'"),
    ({"language": "French"}, "language: String should match pattern"),
    ({"category": "praise", "sentiment": 0.9}, "sentiment: Extra inputs are not permitted"),
])
async def test_a_correction_the_contract_does_not_allow_is_422_saying_why(body, error):
    desk = queue()
    case_id = next(iter(desk.cases))
    async with client(desk) as api:
        response = await api.post(f"/cases/{case_id}/corrections", json=body)
    assert response.status_code == 422 and error in response.json()["error"]
    assert desk.corrections == {}


async def test_only_agents_and_supervisors_correct_and_an_unknown_mention_is_404():
    desk = queue()
    case_id = next(iter(desk.cases))
    for token in ("dash-token-0123456789", "crm-token-01234567890"):
        async with client(desk, token=token) as api:
            refused = await api.post(f"/cases/{case_id}/corrections", json={"category": "question"})
        assert refused.status_code == 403 and refused.json()["error"].endswith("may not correct")
    async with client(desk, token="boss-token-0123456789") as boss:
        assert (await boss.post(f"/cases/{case_id}/corrections", json={"urgency": "low"})).status_code == 201
        elsewhere = await boss.post(f"/cases/{case_id}/corrections",
                                    json={"urgency": "low", "mention_id": str(uuid.uuid4())})
        assert elsewhere.status_code == 404 and "has no mention" in elsewhere.json()["error"]
        assert (await boss.post(f"/cases/{uuid.uuid4()}/corrections", json={"urgency": "low"})).status_code == 404
