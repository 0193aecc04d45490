"""An agent's correction on the real broker and PostgreSQL, through the cases API: a mention is
classified and routed, an agent corrects its category and urgency, the case shows it, and the
classifier keeps the correction with the mention's text; the customer's erasure then deletes it."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from heed.contracts import topics
from heed.contracts.events import CustomerUpdate
from heed.runtime.messaging import Outgoing
from heed_ingest.replay import replay_file
from heed_ops.team import demo_rules
from heed_router.adapters.rules_file import shipped_rules_path
from tests.harness import client_publisher, count, pipeline, wait_for, write_jsonl

pytestmark = pytest.mark.integration

AGENT_TOKEN = "li-token-0123456789abcdef"
TEXT = "Hi, we are planning a company retreat for 60 people in March, could you send us a quote for rooms?"


async def test_a_correction_reaches_the_classifier_with_the_text_and_the_erasure_takes_it_away(
        fresh_broker, database_url, tmp_path: Path, monkeypatch):
    dsn = database_url
    monkeypatch.setenv("HEED_ROUTER_RULES", str(demo_rules(shipped_rules_path(), tmp_path / "rules.yaml")))
    monkeypatch.setenv("HEED_API_TOKENS", f"li:agent:{AGENT_TOKEN}")
    monkeypatch.setenv("HEED_CLASSIFIER_MODELS_DIR", str(tmp_path / "models"))  # none promoted: the shipped one
    post: dict[str, object] = {
        "channel": "x", "native_id": "corr-1", "text": TEXT,
        "author": {"id": "corr-user", "handle": "corr", "name": "Corr", "followers": 10},
        "created_at": "2026-11-20T08:00:00+00:00"}
    async with pipeline(fresh_broker, dsn) as services, client_publisher(fresh_broker) as publisher:
        assert await replay_file(write_jsonl(tmp_path / "one.jsonl", [post]), publisher) == 1

        async def routed() -> bool:
            return await count(dsn, "SELECT count(*) FROM router.routed WHERE native_id = 'corr-1'") == 1

        await wait_for(routed, timeout=60)
        api = httpx.AsyncClient(transport=httpx.ASGITransport(app=services["router"].asgi()),
                                base_url="http://router", headers={"authorization": f"Bearer {AGENT_TOKEN}"})
        async with api:
            [case] = (await api.get("/v1/cases")).json()["items"]

            async def queued() -> bool:  # the acknowledgement moves a new case on: correct it after that
                return (await api.get(f"/v1/cases/{case['case_id']}")).json()["status"] != "new"

            await wait_for(queued, timeout=60)
            said = (await api.get(f"/v1/cases/{case['case_id']}")).json()["case_mentions"][0]["category"]
            corrected = await api.post(f"/v1/cases/{case['case_id']}/corrections",
                                       json={"category": "sales_lead", "urgency": "high"})
            assert corrected.status_code == 201, corrected.text
            detail = corrected.json()
        assert detail["urgency"] == "high" and detail["transitions"][-1]["kind"] == "corrected"
        assert {c["field"]: c["corrected"] for c in detail["corrections"]} == {"category": "sales_lead",
                                                                              "urgency": "high"}

        async def kept() -> bool:
            return await count(dsn, "SELECT count(*) FROM classifier.corrections WHERE text = $1", TEXT) == 2

        await wait_for(kept, timeout=60)
        assert await count(dsn, "SELECT count(*) FROM classifier.corrections WHERE field = 'category'"
                                " AND value = 'sales_lead' AND original = $1 AND actor = 'agent:li'", said) == 1

        erasure = CustomerUpdate(event_id=uuid.uuid4(), customer_id=uuid.uuid4(), identities=["x:corr-user"],
                                 version=99, erased=True)
        # as crm-sync announces one: on the customers topic (the router) and the erasures topic (the classifier)
        await publisher.publish([Outgoing(topics.CRM_CUSTOMERS, erasure, str(erasure.customer_id)),
                                 Outgoing(topics.CRM_ERASURES, erasure, str(erasure.customer_id))])

        async def forgotten() -> bool:
            return await count(dsn, "SELECT count(*) FROM classifier.corrections") == 0

        await wait_for(forgotten, timeout=60)
        assert await count(dsn, "SELECT count(*) FROM router.routed WHERE text IS NOT NULL") == 0
