"""Webhook receivers: verification passes and fails as it should; nothing is published unless
the request is authentic, the right type and within the size limit."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx
import pytest
from starlette.applications import Starlette

from heed.contracts.events import RawMention
from heed_ingest.channels import signatures
from heed_ingest.receivers import Receivers
from heed_ingest.settings import IngestSettings
from tests.unit.ingest import payloads as p

SECRETS = dict(meta_app_secret="meta-secret", meta_verify_token="verify-me", x_consumer_secret="x-secret",
               wechat_token="wx-token", weibo_app_secret="wb-token", ingest_max_body_bytes=64 * 1024)


class Recorder:
    def __init__(self) -> None:
        self.published: list[RawMention] = []

    async def __call__(self, raws: list[RawMention], keys: list[str]) -> None:
        self.published.extend(raws)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(recorder: Recorder) -> httpx.AsyncClient:
    settings = IngestSettings(kafka_bootstrap="127.0.0.1:1", **SECRETS)
    app = Starlette(routes=Receivers(settings, recorder).routes())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest")


def meta_sig(body: bytes, secret: str = "meta-secret") -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def x_sig(body: bytes, secret: str = "x-secret") -> str:
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def wx_query(token: str = "wx-token", timestamp: str = "1763600000", nonce: str = "n0nce") -> dict[str, str]:
    sig = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return {"signature": sig, "timestamp": timestamp, "nonce": nonce}


async def test_meta_subscription_challenge(client):
    ok = await client.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": "verify-me",
                                                    "hub.challenge": "1158201444"})
    assert (ok.status_code, ok.text) == (200, "1158201444")
    bad = await client.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": "nope",
                                                     "hub.challenge": "1"})
    assert bad.status_code == 403


async def test_meta_post_is_published_only_with_a_valid_signature(client, recorder):
    body = p.meta_page_comment()
    ok = await client.post("/webhooks/meta", content=body, headers={
        "content-type": "application/json", "x-hub-signature-256": meta_sig(body)})
    assert ok.status_code == 200 and len(recorder.published) == 1
    raw = recorder.published[0]
    assert (raw.source, raw.body) == ("webhook:meta", body)
    for header in (meta_sig(body, "other-secret"), meta_sig(body + b" "), "sha1=abc", ""):
        bad = await client.post("/webhooks/meta", content=body, headers={
            "content-type": "application/json", "x-hub-signature-256": header})
        assert bad.status_code == 401 and "signature" in bad.json()["error"]
    assert len(recorder.published) == 1


async def test_wrong_content_type_is_415_and_oversized_is_413_before_anything_is_published(client, recorder):
    body = p.meta_page_comment()
    r = await client.post("/webhooks/meta", content=body, headers={
        "content-type": "text/plain", "x-hub-signature-256": meta_sig(body)})
    assert r.status_code == 415 and "application/json" in r.json()["error"]
    big = b"{" + b" " * (64 * 1024) + b"}"
    r = await client.post("/webhooks/meta", content=big, headers={
        "content-type": "application/json", "x-hub-signature-256": meta_sig(big)})
    assert r.status_code == 413 and "65536" in r.json()["error"]
    assert recorder.published == []


async def test_x_crc_and_signed_events(client, recorder):
    crc = await client.get("/webhooks/x", params={"crc_token": "challenge-123"})
    expected = base64.b64encode(hmac.new(b"x-secret", b"challenge-123", hashlib.sha256).digest()).decode()
    assert crc.json() == {"response_token": f"sha256={expected}"}
    body = p.x_tweet_create()
    ok = await client.post("/webhooks/x", content=body, headers={
        "content-type": "application/json", "x-twitter-webhooks-signature": x_sig(body)})
    bad = await client.post("/webhooks/x", content=body, headers={
        "content-type": "application/json", "x-twitter-webhooks-signature": x_sig(body, "wrong")})
    assert (ok.status_code, bad.status_code) == (200, 401)
    assert [r.source for r in recorder.published] == ["webhook:x"]


async def test_wechat_echostr_and_signed_xml(client, recorder):
    ok = await client.get("/webhooks/wechat", params={**wx_query(), "echostr": "e123"})
    assert (ok.status_code, ok.text) == (200, "e123")
    bad = await client.get("/webhooks/wechat", params={**wx_query(token="other"), "echostr": "e123"})
    assert bad.status_code == 401
    msg = await client.post("/webhooks/wechat", params=wx_query(), content=p.wechat_text(),
                            headers={"content-type": "text/xml"})
    assert (msg.status_code, msg.text) == (200, "success")
    unsigned = await client.post("/webhooks/wechat", params={**wx_query(), "nonce": "changed"},
                                 content=p.wechat_text(), headers={"content-type": "text/xml"})
    assert unsigned.status_code == 401
    assert [r.source for r in recorder.published] == ["webhook:wechat"]


async def test_weibo_push_uses_its_own_token(client, recorder):
    body = (b'{"type": "text", "sender_id": "55", "receiver_id": "66", "text": "hi",'
            b' "created_at": "Thu Nov 20 16:15:00 +0800 2026"}')
    ok = await client.post("/webhooks/weibo", params=wx_query("wb-token"), content=body,
                           headers={"content-type": "application/json"})
    wrong = await client.post("/webhooks/weibo", params=wx_query("wx-token"), content=body,
                              headers={"content-type": "application/json"})
    assert (ok.status_code, wrong.status_code) == (200, 401)
    assert len(recorder.published) == 1


def test_signature_helpers_reject_empty_secrets():
    assert not signatures.meta_signature_valid(b"{}", meta_sig(b"{}", ""), "")
    assert not signatures.x_signature_valid(b"{}", x_sig(b"{}", ""), "")
    assert not signatures.sorted_sha1_valid("", "1", "2", "x")


async def test_weibo_push_accepts_wechat_compatible_xml(client, recorder):
    ok = await client.post("/webhooks/weibo", content=p.wechat_text(), params=wx_query("wb-token"),
                           headers={"content-type": "text/xml"})
    assert (ok.status_code, ok.text, len(recorder.published)) == (200, "success", 1)
