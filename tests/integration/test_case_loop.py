"""The whole loop on the real broker and PostgreSQL, through the cases API: a complaint is
acknowledged, a department agent takes it (fair next), answers it, the responder sends the answer
once in the customer's script, the agent resolves it, the follow-up goes out, the customer's
rating lands on the case and in the CRM. The sandbox channel's rows are what the customer got."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest

from heed_ingest.replay import replay_file
from heed_ops.team import demo_rules
from heed_router.adapters.rules_file import shipped_rules_path
from tests.harness import client_publisher, count, pipeline, wait_for, write_jsonl

pytestmark = pytest.mark.integration

AGENT_TOKEN = "li-token-0123456789abcdef"


async def test_a_complaint_is_answered_resolved_followed_up_and_rated(
        fresh_broker, database_url, tmp_path: Path, monkeypatch):
    dsn = database_url
    monkeypatch.setenv("HEED_ROUTER_RULES", str(demo_rules(shipped_rules_path(), tmp_path / "rules.yaml")))
    monkeypatch.setenv("HEED_ROUTER_TIMER_POLL_S", "0.2")
    monkeypatch.setenv("HEED_API_TOKENS", f"li:agent:{AGENT_TOKEN}")
    complaint: dict[str, object] = {
        "channel": "weibo", "native_id": "loop-1", "text": "我的订单三天了还没发货，什么时候能到？",
        "author": {"id": "loop-user", "handle": "loopy", "name": "Loopy", "followers": 10},
        "created_at": "2026-11-20T08:00:00+00:00"}
    async with pipeline(fresh_broker, dsn) as services, client_publisher(fresh_broker) as publisher:
        assert await replay_file(write_jsonl(tmp_path / "one.jsonl", [complaint]), publisher) == 1

        async def queued() -> bool:
            return await count(dsn, "SELECT count(*) FROM router.cases WHERE status = 'pending_department'") == 1

        await wait_for(queued, timeout=60)
        api = httpx.AsyncClient(transport=httpx.ASGITransport(app=services["router"].asgi()),
                                base_url="http://router", headers={"authorization": f"Bearer {AGENT_TOKEN}"})
        async with api:
            [case] = (await api.get("/v1/cases", params={"status": "pending_department"})).json()["items"]
            taken = await api.post(f"/v1/departments/{case['department']}/next")
            assert taken.status_code == 200 and taken.json()["case_id"] == case["case_id"]
            assert taken.json()["claimed_by"] == "agent:li"
            answered = await api.post(f"/v1/cases/{case['case_id']}/answer",
                                      json={"text": "已经为您加急发货，明天送达。"})
            assert answered.status_code == 200, answered.text

            async def delivered() -> bool:
                return (await api.get(f"/v1/cases/{case['case_id']}")).json()["status"] == "awaiting_customer"

            await wait_for(delivered, timeout=60)
            detail = (await api.get(f"/v1/cases/{case['case_id']}")).json()
            assert detail["first_response_at"] is not None
            resolved = await api.post(f"/v1/cases/{case['case_id']}/resolve", json={"reason": "shipped"})
            assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"

            async def followed_up() -> bool:
                return (await api.get(f"/v1/cases/{case['case_id']}")).json()["follow_up_sent_at"] is not None

            await wait_for(followed_up, timeout=60)
            rating: dict[str, object] = {**complaint, "native_id": "loop-2", "text": "4", "in_reply_to": "loop-1",
                      "created_at": "2026-11-20T09:00:00+00:00"}
            assert await replay_file(write_jsonl(tmp_path / "rating.jsonl", [rating]), publisher) == 1

            async def rated() -> bool:
                return (await api.get(f"/v1/cases/{case['case_id']}")).json()["rating"] == 4

            await wait_for(rated, timeout=60)
            detail = (await api.get(f"/v1/cases/{case['case_id']}")).json()
        assert detail["status"] == "closed"
        kinds = [t["kind"] for t in detail["transitions"]]
        for step in ("opened", "acknowledged", "queued", "claimed", "answered", "first_response",
                     "awaiting_customer", "resolved", "follow_up_sent", "rated", "closed"):
            assert step in kinds, (step, kinds)
        # what the customer received, counted at the channel: the acknowledgement, the answer in
        # Simplified (the customer's script), the follow-up; nothing for the rating; each once
        conn = await asyncpg.connect(dsn)
        try:
            sent = await conn.fetch(
                "SELECT r.kind, s.text FROM responder.sandbox_messages s JOIN responder.replies r USING (reply_id)"
                " WHERE r.case_id = $1 ORDER BY s.sent_at", uuid.UUID(case["case_id"]))
        finally:
            await conn.close()
        assert [r["kind"] for r in sent] == ["auto", "agent", "follow_up"]
        assert sent[1]["text"] == "已经为您加急发货，明天送达。"

        async def in_crm() -> bool:
            return await count(dsn, "SELECT count(*) FROM crm.case_timeline WHERE kind = 'rated' AND rating = 4") == 1

        await wait_for(in_crm, timeout=30)
