"""Signed webhooks through the real ingest service, broker and PostgreSQL: the same post by
webhook and by poll is one mention; an authentic body that cannot be parsed is dead-lettered."""

from __future__ import annotations

import json
import uuid

import asyncpg
import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from heed.contracts.events import Channel, RawMention
from heed_ingest.app import IngestService
from heed_ingest.settings import IngestSettings
from tests.harness import count, wait_for
from tests.integration.ingest.test_pollers import ingest_service, local_server
from tests.unit.ingest import payloads as p
from tests.unit.ingest.test_receivers import SECRETS, meta_sig, x_sig

pytestmark = pytest.mark.integration


async def test_webhook_and_poll_of_one_post_make_one_mention_and_bad_bodies_reach_the_dlq(
        database_url, fresh_broker):
    ingest = IngestService(IngestSettings(kafka_bootstrap=fresh_broker, database_url=database_url, **SECRETS))
    await ingest.start()
    try:
        transport = httpx.ASGITransport(app=ingest.asgi())
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
            tweet = p.x_tweet_create("1990000000000000555")
            r = await client.post("/webhooks/x", content=tweet, headers={
                "content-type": "application/json", "x-twitter-webhooks-signature": x_sig(tweet)})
            assert r.status_code == 200
            broken = b'{"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed", "value": 7}]}]}'
            r = await client.post("/webhooks/meta", content=broken, headers={
                "content-type": "application/json", "x-hub-signature-256": meta_sig(broken)})
            assert r.status_code == 200  # authentic: accepted, then dead-lettered downstream
        # the same post found by the search poller
        page = p.x_search_page(["1990000000000000555"])
        await ingest.publish_raw([ingest_raw(page)], ["x:poll"])

        async def settled() -> bool:
            return (await count(database_url, "SELECT count(*) FROM ingest.dead_letters") == 1
                    and await count(database_url, "SELECT coalesce(sum(seen), 0) FROM ingest.mentions") == 2)

        await wait_for(settled, timeout=60)
        assert await count(database_url, "SELECT count(*) FROM ingest.mentions") == 1
        conn = await asyncpg.connect(database_url)
        try:
            letter = await conn.fetchrow("SELECT original, error FROM ingest.dead_letters")
        finally:
            await conn.close()
        assert bytes(letter["original"]) == broken and "feed value" in letter["error"]
    finally:
        await ingest.stop()


def ingest_raw(page: dict[str, object]) -> RawMention:
    return RawMention(event_id=uuid.uuid4(), source="poll:x", channel=Channel.X, body=json.dumps(page).encode())


async def test_instagram_mention_notifications_are_resolved_through_the_graph_api(database_url, fresh_broker):
    calls: list[dict[str, str]] = []

    async def graph(request: Request) -> JSONResponse:
        calls.append(dict(request.query_params))
        assert request.path_params["ig_user"] == "17841400000"
        return JSONResponse({"id": "17841400000", "mentioned_comment": {
            "id": "17900000000000001", "text": "@lumo.official my blender arrived broken",
            "timestamp": "2026-11-20T08:15:00+0000", "username": "nina.k", "media": {"id": "17800000000000009"}}})

    async with (local_server([Route("/v21.0/{ig_user}", graph)]) as base,
                ingest_service(database_url, fresh_broker, meta_access_token="graph-token",
                               meta_graph_base=f"{base}/v21.0", **SECRETS) as ingest):
        body = json.dumps({"object": "instagram", "entry": [{"id": "17841400000", "time": 1763600000, "changes": [{
            "field": "mentions", "value": {"comment_id": "17900000000000001", "media_id": "17800000000000009"}}]}]}
        ).encode()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ingest.asgi()), base_url="http://i") as client:
            r = await client.post("/webhooks/meta", content=body, headers={
                "content-type": "application/json", "x-hub-signature-256": meta_sig(body)})
        assert r.status_code == 200

        async def resolved() -> bool:
            return await count(database_url, "SELECT count(*) FROM ingest.mentions WHERE channel = 'instagram'"
                                             " AND native_id = '17900000000000001' AND published") == 1

        await wait_for(resolved, timeout=60)
        assert calls and calls[0]["access_token"] == "graph-token"
        assert "mentioned_comment.comment_id(17900000000000001)" in calls[0]["fields"]
