"""The whole pipeline in-process on the real broker and PostgreSQL: counts, idempotency, DLQ."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import asyncpg
import httpx
import pytest

from heed.runtime.service import GC_THRESHOLDS
from heed_ingest.replay import replay_file
from tests.harness import TOKEN, client_publisher, count, mention_line, pipeline, wait_for, write_jsonl

pytestmark = pytest.mark.integration


async def test_500_mentions_make_500_replies_and_500_crm_interactions_once(database_url, fresh_broker, tmp_path: Path):
    dsn = database_url
    path = write_jsonl(tmp_path / "m.jsonl", [mention_line(i, "p500") for i in range(500)])
    async with pipeline(fresh_broker, dsn), client_publisher(fresh_broker) as publisher:
        assert await replay_file(path, publisher) == 500

        async def all_through() -> bool:
            return (await count(dsn, "SELECT count(*) FROM crm.interaction_replies WHERE status = 'sent'") == 500
                    and await count(dsn, "SELECT count(*) FROM crm.interactions") == 500)

        await wait_for(all_through, timeout=90)
        assert await count(dsn, "SELECT count(*) FROM responder.replies WHERE status = 'sent'") == 500
        assert await count(dsn, "SELECT count(*) FROM responder.sandbox_messages") == 500
        assert await count(dsn, "SELECT count(DISTINCT mention_id) FROM responder.sandbox_messages") == 500

        # the same 500 again: recognised as duplicates, nothing new downstream
        assert await replay_file(path, publisher) == 500

        async def duplicates_seen() -> bool:
            return await count(dsn, "SELECT coalesce(sum(seen - 1), 0) FROM ingest.mentions") == 500

        await wait_for(duplicates_seen, timeout=60)
        # give any stray downstream event time to arrive before asserting nothing changed
        await wait_for(_quiet(fresh_broker), timeout=60)
        assert await count(dsn, "SELECT count(*) FROM responder.sandbox_messages") == 500
        assert await count(dsn, "SELECT count(*) FROM responder.replies") == 500
        assert await count(dsn, "SELECT count(*) FROM crm.interactions") == 500
        assert await count(dsn, "SELECT count(*) FROM ingest.mentions") == 500


def _quiet(bootstrap: str):
    from heed_ops.lag import total_lag
    from heed_ops.services import CONSUMER_GROUPS

    async def check() -> bool:
        return await total_lag(bootstrap, list(CONSUMER_GROUPS)) == 0

    return check


async def test_a_malformed_line_goes_to_the_dlq_a_bad_post_body_is_refused_and_nothing_else_is_lost(
        database_url, fresh_broker, tmp_path: Path):
    dsn = database_url
    bad_line = b'{"channel": "weibo", "native_id": "bad-1", "text": "no author or date"'
    lines: list[dict[str, object] | bytes] = [mention_line(i, "dlq") for i in range(20)]
    lines.insert(7, bad_line)
    path = write_jsonl(tmp_path / "mixed.jsonl", lines)
    async with pipeline(fresh_broker, dsn) as services, client_publisher(fresh_broker) as publisher:
        assert await replay_file(path, publisher) == 21
        app = services["ingest"].asgi()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
            bad_body = b'{"channel": "x", "native_id": 5, "author": {}}'
            response = await client.post("/v1/mentions", content=bad_body, headers={
                "authorization": f"Bearer {TOKEN}", "content-type": "application/json"})
            assert response.status_code == 422
            assert "not a valid mention" in response.json()["error"]
            # refused before publishing: the caller has the reason, nothing half-done downstream
            assert response.json().get("dead_lettered") is None
            good = json.dumps(mention_line(99, "dlq")).encode()
            response = await client.post("/v1/mentions", content=good, headers={
                "authorization": f"Bearer {TOKEN}", "content-type": "application/json"})
            assert response.status_code == 202

        async def settled() -> bool:
            return (await count(dsn, "SELECT count(*) FROM ingest.dead_letters") == 1
                    and await count(dsn, "SELECT count(*) FROM crm.interaction_replies") == 21)

        await wait_for(settled, timeout=60)
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch("SELECT original, error, origin, source_topic FROM ingest.dead_letters"
                                    " ORDER BY original")
        finally:
            await conn.close()
        originals = {bytes(r["original"]) for r in rows}
        assert originals == {bad_line}
        by_original = {bytes(r["original"]): r for r in rows}
        assert by_original[bad_line]["origin"] == "mixed.jsonl:8"
        assert "not JSON" in by_original[bad_line]["error"]
        assert all(r["source_topic"] == "heed.mentions.raw" for r in rows)
        assert await count(dsn, "SELECT count(*) FROM crm.interactions") == 21


async def test_started_services_move_what_start_up_made_out_of_the_collectors_way(database_url, fresh_broker):
    # heed bench: full collections walking every module, model and table loaded at start-up were the
    # largest cost the services shared; frozen after start, they are never walked again
    gc.unfreeze()
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    try:
        async with pipeline(fresh_broker, database_url):
            assert gc.get_freeze_count() > 0 and gc.get_threshold() == GC_THRESHOLDS
    finally:
        gc.set_threshold(*before)
