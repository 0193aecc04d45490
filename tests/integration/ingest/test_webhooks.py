"""Signed webhooks through the real ingest service, broker and PostgreSQL: the same post by
webhook and by poll is one mention; an authentic body that cannot be parsed is dead-lettered;
forgeries (a CRC answer as a signature, a stale or replayed WeChat/Weibo signature) are refused,
counted in /metrics and publish nothing; a safe-mode WeChat message is decrypted and published once."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from heed.contracts import topics
from heed.contracts.events import Channel, RawMention
from heed_ingest.adapters.nonces import PostgresNonces
from heed_ingest.app import IngestService
from heed_ingest.channels.wechat_crypto import WeChatCipher
from heed_ingest.domain.nonces import Claim
from heed_ingest.settings import IngestSettings
from tests.harness import count, wait_for
from tests.integration.ingest.test_pollers import ingest_service, local_server
from tests.integration.test_dlq import records_on
from tests.unit.ingest import payloads as p
from tests.unit.ingest.test_receivers import (
    AES_KEY,
    APP_ID,
    SECRETS,
    meta_sig,
    safe_body,
    wx_query,
    wx_safe_query,
    x_sig,
)

pytestmark = pytest.mark.integration


async def test_webhook_and_poll_of_one_post_make_one_mention_and_bad_bodies_reach_the_dlq(
        database_url, fresh_broker):
    ingest = IngestService(IngestSettings.model_validate(
        {"kafka_bootstrap": fresh_broker, "database_url": database_url, **SECRETS}))
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
        assert letter is not None
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


async def raw_topic(bootstrap: str) -> list[RawMention]:
    """Everything on heed.mentions.raw, from the beginning: what the receivers published."""
    return [RawMention.model_validate_json(r.value or b"") for r in await records_on(bootstrap, topics.MENTIONS_RAW)]


async def refusals(ingest: IngestService) -> dict[tuple[str, str], int]:
    """heed_webhook_refused_total by (channel, reason), as /metrics on the internal port renders it."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ingest.internal_asgi()),
                                 base_url="http://ingest-internal") as internal:
        text = (await internal.get("/metrics")).text
    return {(s.labels["channel"], s.labels["reason"]): int(s.value)
            for family in text_string_to_metric_families(text) for s in family.samples
            if s.name == "heed_webhook_refused_total" and s.labels.get("service") == "ingest"}


def webhook_client(ingest: IngestService) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=ingest.asgi()), base_url="http://ingest")


async def test_a_crc_answer_used_as_a_signature_is_refused_and_nothing_is_published(database_url, fresh_broker):
    async with ingest_service(database_url, fresh_broker, **SECRETS) as ingest, webhook_client(ingest) as client:
        tweet = p.x_tweet_create("1990000000000000777")
        # the old attack: have the challenge sign the body itself
        oracle = await client.get("/webhooks/x", params={"crc_token": tweet.decode()})
        assert oracle.status_code == 400
        # the best the challenge signs now is a token, and a token is no JSON object
        answer = (await client.get("/webhooks/x", params={"crc_token": "forged-body"})).json()["response_token"]
        forged = await client.post("/webhooks/x", content=b"forged-body", headers={
            "content-type": "application/json", "x-twitter-webhooks-signature": answer})
        wrapped = await client.post("/webhooks/x", content=b'{"tweet_create_events": []}', headers={
            "content-type": "application/json", "x-twitter-webhooks-signature": answer})
        assert (forged.status_code, wrapped.status_code) == (401, 401)
        authentic = await client.post("/webhooks/x", content=tweet, headers={
            "content-type": "application/json", "x-twitter-webhooks-signature": x_sig(tweet)})
        assert authentic.status_code == 200
        assert [r.body for r in await raw_topic(fresh_broker)] == [tweet]
        assert await refusals(ingest) == {("x", "malformed_crc_token"): 1, ("x", "not_json_object"): 1,
                                          ("x", "bad_signature"): 1}


async def test_stale_and_replayed_wechat_and_weibo_signatures_are_refused_counted_and_remembered(
        database_url, fresh_broker):
    settings = dict(SECRETS, webhook_max_age_s=300)
    wechat_q, weibo_q = wx_query("wx-token"), wx_query("wb-token", str(int(time.time() * 1000)))
    message, forged_message = p.wechat_text("7001"), p.wechat_text("7002")
    push, forged_push = p.weibo_push(text="电饭煲不加热了"), p.weibo_push(text="点这个链接领奖")
    xml, js = {"content-type": "text/xml"}, {"content-type": "application/json"}
    async with ingest_service(database_url, fresh_broker, **settings) as ingest, webhook_client(ingest) as client:
        # a captured URL from 2001 and one signed ten minutes ago
        for q in (wx_query("wx-token", "978307200"), wx_query("wx-token", str(int(time.time()) - 600))):
            assert (await client.post("/webhooks/wechat", params=q, content=message, headers=xml)).status_code == 401
        old_ms = str(int((time.time() - 600) * 1000))
        stale = await client.post("/webhooks/weibo", params=wx_query("wb-token", old_ms), content=push, headers=js)
        assert stale.status_code == 401
        # the platform's retry is answered without a second publish; another body on the nonce is refused
        for path, q, body, forged, kind in (("wechat", wechat_q, message, forged_message, xml),
                                            ("weibo", weibo_q, push, forged_push, js)):
            codes = [(await client.post(f"/webhooks/{path}", params=q, content=b, headers=kind)).status_code
                     for b in (body, body, forged)]
            assert codes == [200, 200, 401]
        assert await refusals(ingest) == {("wechat", "stale_timestamp"): 2, ("weibo", "stale_timestamp"): 1,
                                          ("wechat", "reused_nonce"): 1, ("weibo", "reused_nonce"): 1}
    # the nonces are in PostgreSQL: a restarted (or another) ingest refuses the replay too
    async with ingest_service(database_url, fresh_broker, **settings) as ingest, webhook_client(ingest) as client:
        again = await client.post("/webhooks/wechat", params=wechat_q, content=forged_message, headers=xml)
        retry = await client.post("/webhooks/weibo", params=weibo_q, content=push, headers=js)
        assert (again.status_code, retry.status_code) == (401, 200)
        assert await refusals(ingest) == {("wechat", "reused_nonce"): 1}
        assert sorted(r.body for r in await raw_topic(fresh_broker)) == sorted([message, push])

        async def settled() -> bool:
            return await count(database_url, "SELECT count(*) FROM ingest.mentions WHERE published") == 2

        await wait_for(settled, timeout=60)
        assert await count(database_url, "SELECT sum(seen) FROM ingest.mentions") == 2
        assert await count(database_url, "SELECT count(*) FROM ingest.mentions WHERE native_id = '7002'") == 0


async def test_a_safe_mode_wechat_message_is_decrypted_and_published_once(database_url, fresh_broker):
    cipher = WeChatCipher(AES_KEY, APP_ID)
    message = p.wechat_text("7101")
    encrypted = cipher.encrypt(message)
    q = wx_safe_query(encrypted)
    async with (ingest_service(database_url, fresh_broker, wechat_encoding_aes_key=AES_KEY, wechat_app_id=APP_ID,
                               **SECRETS) as ingest, webhook_client(ingest) as client):
        for _ in range(2):  # WeChat retries a delivery it did not see answered in time
            r = await client.post("/webhooks/wechat", params=q, content=safe_body(encrypted),
                                  headers={"content-type": "text/xml"})
            assert (r.status_code, r.text) == (200, "success")
        plaintext = await client.post("/webhooks/wechat", params=wx_query(), content=p.wechat_text("7102"),
                                      headers={"content-type": "text/xml"})
        assert plaintext.status_code == 401
        (raw,) = await raw_topic(fresh_broker)
        assert (raw.source, raw.channel, raw.body) == ("webhook:wechat", Channel.WECHAT, message)

        async def ledgered() -> bool:
            return await count(database_url, "SELECT count(*) FROM ingest.mentions WHERE channel = 'wechat'"
                                             " AND native_id = '7101' AND published") == 1

        await wait_for(ledgered, timeout=60)
        assert await count(database_url, "SELECT count(*) FROM ingest.dead_letters") == 0
        assert await count(database_url, "SELECT sum(seen) FROM ingest.mentions") == 1
        assert await refusals(ingest) == {("wechat", "unencrypted"): 1}


async def test_the_nonce_ledger_in_postgresql(database_url, fresh_broker):
    async with ingest_service(database_url, fresh_broker) as ingest:
        ledger = PostgresNonces(lambda: ingest.pool)
        now = datetime.now(UTC)
        a, b = b"a" * 32, b"b" * 32
        assert await ledger.claim("weibo", "n1", a, now, now) is Claim.PUBLISH
        # not yet acknowledged by the broker: a retry publishes (the ledger downstream dedupes)
        assert await ledger.claim("weibo", "n1", a, now, now) is Claim.PUBLISH
        await ledger.published("weibo", "n1")
        assert await ledger.claim("weibo", "n1", a, now, now) is Claim.ALREADY_PUBLISHED
        assert await ledger.claim("weibo", "n1", b, now, now) is Claim.REUSED
        assert await ledger.claim("wechat", "n1", b, now, now) is Claim.PUBLISH  # per channel
        await ledger.release("wechat", "n1", b)  # the publish failed: the retry goes through
        assert await ledger.claim("wechat", "n1", b, now, now) is Claim.PUBLISH
        old = now - timedelta(minutes=10)
        assert await ledger.claim("wechat", "n0", a, old, old) is Claim.PUBLISH
        assert await ledger.purge(now - timedelta(minutes=5)) == 1
        assert await count(database_url, "SELECT count(*) FROM ingest.webhook_nonces") == 2
