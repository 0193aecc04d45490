"""Webhook receivers: verification passes and fails as it should; nothing is published unless
the request is authentic, the right type and within the size limit."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import httpx
import pytest
from starlette.applications import Starlette

from heed.contracts.events import RawMention
from heed_ingest.channels import signatures
from heed_ingest.channels.wechat import parse_wechat
from heed_ingest.channels.wechat_crypto import WeChatCipher
from heed_ingest.domain.drafts import UnparseableBody
from heed_ingest.receivers import Receivers
from heed_ingest.settings import IngestSettings
from tests.unit.ingest import payloads as p
from tests.unit.ingest.fakes import FakeNonces

SECRETS = dict(meta_app_secret="meta-secret", meta_verify_token="verify-me", x_consumer_secret="x-secret",
               wechat_token="wx-token", weibo_app_secret="wb-token", ingest_max_body_bytes=64 * 1024)


class Recorder:
    def __init__(self) -> None:
        self.published: list[RawMention] = []
        self.failures = 0  # how many publishes fail before the broker "comes back"

    async def __call__(self, raws: list[RawMention], keys: list[str]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker unavailable")
        self.published.extend(raws)


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def receivers(recorder: Recorder, clock: Clock) -> Receivers:
    settings = IngestSettings.model_validate({"kafka_bootstrap": "127.0.0.1:1", **SECRETS})
    return Receivers(settings, recorder, FakeNonces(), clock=clock)


def client_of(receivers: Receivers) -> httpx.AsyncClient:
    app = Starlette(routes=receivers.routes())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest")


@pytest.fixture
def client(receivers: Receivers) -> httpx.AsyncClient:
    return client_of(receivers)


@pytest.fixture
def safe_receivers(recorder: Recorder, clock: Clock) -> Receivers:
    settings = IngestSettings.model_validate({"kafka_bootstrap": "127.0.0.1:1", "wechat_encoding_aes_key": AES_KEY,
                                              "wechat_app_id": APP_ID, **SECRETS})
    return Receivers(settings, recorder, FakeNonces(), clock=clock)


def meta_sig(body: bytes, secret: str = "meta-secret") -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def x_sig(body: bytes, secret: str = "x-secret") -> str:
    return "sha256=" + base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def wx_query(token: str = "wx-token", timestamp: str | None = None, nonce: str | None = None) -> dict[str, str]:
    """A signed WeChat/Weibo query string; by default timestamped now with a fresh nonce."""
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or uuid.uuid4().hex[:10]
    sig = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return {"signature": sig, "timestamp": timestamp, "nonce": nonce}


def wx_safe_query(body_encrypt: str, token: str = "wx-token", timestamp: str | None = None,
                  nonce: str | None = None) -> dict[str, str]:
    """A safe-mode query: the plaintext signature and msg_signature over the <Encrypt> value."""
    q = wx_query(token, timestamp, nonce)
    msg_signature = signatures.wechat_msg_signature(token, q["timestamp"], q["nonce"], body_encrypt)
    return {**q, "encrypt_type": "aes", "msg_signature": msg_signature}


def safe_body(encrypted: str, compatible: bytes = b"") -> bytes:
    return (b"<xml><ToUserName><![CDATA[gh_lumo]]></ToUserName>" + compatible
            + f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode())


def refused(receivers: Receivers) -> dict[tuple[str, str], int]:
    return dict(receivers.refused)


AES_KEY = base64.b64encode(b"Heed-WeChat-safe-mode-test-key!!").decode()[:-1]
APP_ID = "wx0123456789abcdef"


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
    empty = wx_query("", "1", "2")["signature"]
    assert not signatures.wechat_signature_valid("", "1", "2", empty)
    assert not signatures.weibo_signature_valid("", "1", "2", empty)
    signed_empty = signatures.wechat_msg_signature("", "1", "2", "e")
    assert not signatures.wechat_msg_signature_valid("", "1", "2", "e", signed_empty)


async def test_weibo_push_accepts_wechat_compatible_xml(client, recorder):
    ok = await client.post("/webhooks/weibo", content=p.wechat_text(), params=wx_query("wb-token"),
                           headers={"content-type": "text/xml"})
    assert (ok.status_code, ok.text, len(recorder.published)) == (200, "success", 1)


# X: the CRC challenge is no signing oracle

async def test_crc_answers_only_short_opaque_tokens_and_counts_the_rest(client, receivers, recorder):
    body = p.x_tweet_create()
    for token in (body.decode(), "{}", "a" * 129, "", "tok en", "naïve", "a\nb"):
        r = await client.get("/webhooks/x", params={"crc_token": token})
        assert r.status_code == 400 and "crc_token" in r.json()["error"]
    assert refused(receivers) == {("x", "malformed_crc_token"): 7}
    ok = await client.get("/webhooks/x", params={"crc_token": "Zm9v-bar_baz.+/=" + "a" * 112})
    assert ok.status_code == 200 and ok.json()["response_token"].startswith("sha256=")
    assert recorder.published == []


async def test_a_crc_answer_never_validates_a_post(client, receivers, recorder):
    """The attack: ask the CRC to sign a body, then post that body with the answer as signature."""
    for body in (b"challenge-123", b"  challenge-123", b"[1]", b'"x"'):
        answer = (await client.get("/webhooks/x", params={"crc_token": body.decode().strip()})).json()
        forged = await client.post("/webhooks/x", content=body, headers={
            "content-type": "application/json", "x-twitter-webhooks-signature": answer.get("response_token", "")})
        assert forged.status_code == 401
    assert recorder.published == []
    assert refused(receivers)[("x", "not_json_object")] == 4
    # a JSON object with leading whitespace is still a JSON object, and still needs its signature
    body = b" \n" + p.x_tweet_create()
    ok = await client.post("/webhooks/x", content=body, headers={
        "content-type": "application/json", "x-twitter-webhooks-signature": x_sig(body)})
    assert ok.status_code == 200 and len(recorder.published) == 1


async def test_crc_is_rate_limited_per_process(recorder, clock):
    settings = IngestSettings.model_validate(
        {"kafka_bootstrap": "127.0.0.1:1", "x_crc_rate_per_s": 0.5, "x_crc_burst": 3, **SECRETS})
    receivers = Receivers(settings, recorder, FakeNonces(), clock=clock)
    client = client_of(receivers)
    codes = [(await client.get("/webhooks/x", params={"crc_token": f"t{i}"})).status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    limited = await client.get("/webhooks/x", params={"crc_token": "t"})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
    clock.now += 2  # 0.5 per second: one challenge more
    codes = [(await client.get("/webhooks/x", params={"crc_token": f"u{i}"})).status_code for i in range(2)]
    assert codes == [200, 429]
    assert refused(receivers) == {("x", "rate_limited"): 4}


# WeChat and Weibo: signatures that do not cover the body expire and are used once

async def test_wechat_and_weibo_refuse_stale_and_future_timestamps(client, receivers, recorder, clock):
    now = int(clock.now)
    for path, token in (("wechat", "wx-token"), ("weibo", "wb-token")):
        for when in (978307200, now - 301, now + 301):  # 2001, just outside the window either way
            r = await client.post(f"/webhooks/{path}", params=wx_query(token, str(when)), content=p.wechat_text(),
                                  headers={"content-type": "text/xml"})
            assert r.status_code == 401 and "HEED_WEBHOOK_MAX_AGE_S" in r.json()["error"]
        echo = await client.get(f"/webhooks/{path}", params={**wx_query(token, str(now - 301)), "echostr": "e1"})
        assert echo.status_code == 401
        for when in (now - 300, now + 300):
            r = await client.post(f"/webhooks/{path}", params=wx_query(token, str(when)),
                                  content=p.wechat_text(str(when)), headers={"content-type": "text/xml"})
            assert r.status_code == 200
    assert len(recorder.published) == 4
    assert refused(receivers) == {("wechat", "stale_timestamp"): 4, ("weibo", "stale_timestamp"): 4}


async def test_weibo_timestamps_in_milliseconds(client, recorder, clock):
    body = p.weibo_push()
    fresh = wx_query("wb-token", str(int(clock.now * 1000)))
    stale = wx_query("wb-token", str(int((clock.now - 400) * 1000)))
    codes = [(await client.post("/webhooks/weibo", params=q, content=body,
                                headers={"content-type": "application/json"})).status_code for q in (fresh, stale)]
    assert codes == [200, 401] and len(recorder.published) == 1


async def test_a_retry_is_answered_once_and_a_reused_nonce_with_another_body_is_refused(client, receivers, recorder):
    for path, token, kind, body, other in (
            ("wechat", "wx-token", "text/xml", p.wechat_text("1"), p.wechat_text("2")),
            ("weibo", "wb-token", "application/json", p.weibo_push(), p.weibo_push(text="forged"))):
        q = wx_query(token)
        answers = [await client.post(f"/webhooks/{path}", params=q, content=b, headers={"content-type": kind})
                   for b in (body, body, other)]
        assert [(a.status_code, a.text if a.status_code == 200 else a.json()["error"][:10]) for a in answers] == [
            (200, "success"), (200, "success"), (401, "this nonce")]
    assert [r.body for r in recorder.published] == [p.wechat_text("1"), p.weibo_push()]
    assert refused(receivers) == {("wechat", "reused_nonce"): 1, ("weibo", "reused_nonce"): 1}


async def test_a_nonce_is_released_when_publishing_fails_so_the_platforms_retry_goes_through(client, recorder):
    q, body = wx_query(), p.wechat_text()
    recorder.failures = 1
    down = await client.post("/webhooks/wechat", params=q, content=body, headers={"content-type": "text/xml"})
    assert (down.status_code, down.headers["retry-after"], recorder.published) == (503, "5", [])
    retry = await client.post("/webhooks/wechat", params=q, content=body, headers={"content-type": "text/xml"})
    assert (retry.status_code, retry.text, len(recorder.published)) == (200, "success", 1)


async def test_meta_and_x_answer_503_while_the_broker_is_down(client, recorder):
    recorder.failures = 2
    tweet, page = p.x_tweet_create(), p.meta_page_comment()
    x = await client.post("/webhooks/x", content=tweet, headers={
        "content-type": "application/json", "x-twitter-webhooks-signature": x_sig(tweet)})
    meta = await client.post("/webhooks/meta", content=page, headers={
        "content-type": "application/json", "x-hub-signature-256": meta_sig(page)})
    assert (x.status_code, meta.status_code, recorder.published) == (503, 503, [])


async def test_expired_nonces_are_forgotten(client, receivers, recorder, clock):
    await client.post("/webhooks/weibo", params=wx_query("wb-token", nonce="n1"), content=p.weibo_push(),
                      headers={"content-type": "application/json"})
    clock.now += 600  # past the window: the old signature is refused by its timestamp, the row is purged
    later = wx_query("wb-token", str(int(clock.now)), nonce="n1")
    r = await client.post("/webhooks/weibo", params=later, content=p.weibo_push(text="new"),
                          headers={"content-type": "application/json"})
    assert r.status_code == 200 and len(recorder.published) == 2


def test_refusals_are_metric_keys_with_channel_and_reason_labels(receivers):
    receivers.refused[("x", "bad_signature")] += 2
    assert receivers.metrics() == {'heed_webhook_refused_total{channel="x",reason="bad_signature"}': 2}


# WeChat safe mode (消息加解密)

async def test_safe_mode_message_is_verified_decrypted_and_published_once(safe_receivers, recorder):
    client = client_of(safe_receivers)
    cipher = WeChatCipher(AES_KEY, APP_ID)
    encrypted = cipher.encrypt(p.wechat_text())
    q = wx_safe_query(encrypted)
    for _ in range(2):  # WeChat's retry of the same delivery
        r = await client.post("/webhooks/wechat", params=q, content=safe_body(encrypted),
                              headers={"content-type": "text/xml"})
        assert (r.status_code, r.text) == (200, "success")
    (raw,) = recorder.published
    assert (raw.source, raw.body, raw.content_type) == ("webhook:wechat", p.wechat_text(), "text/xml")
    assert raw.origin is not None and raw.origin.startswith("webhook:wechat:aes:")
    (draft,) = parse_wechat(raw.body).drafts
    assert draft.native_id == "23456789012345678"


async def test_compatible_mode_publishes_only_the_decrypted_message(safe_receivers, recorder):
    client = client_of(safe_receivers)
    encrypted = WeChatCipher(AES_KEY, APP_ID).encrypt(p.wechat_text("1"))
    # compatible mode carries plaintext fields too; they are not signed, so they are not what is published
    body = safe_body(encrypted, b"<MsgType>text</MsgType><Content>forged</Content><MsgId>999</MsgId>")
    r = await client.post("/webhooks/wechat", params=wx_safe_query(encrypted), content=body,
                          headers={"content-type": "text/xml"})
    assert r.status_code == 200 and [x.body for x in recorder.published] == [p.wechat_text("1")]


async def test_safe_mode_refusals(safe_receivers, recorder, clock):
    client = client_of(safe_receivers)
    cipher = WeChatCipher(AES_KEY, APP_ID)
    encrypted = cipher.encrypt(p.wechat_text())
    xml = {"content-type": "text/xml"}
    # a plaintext-mode request to a safe-mode account: the body is not signed
    plain = await client.post("/webhooks/wechat", params=wx_query(), content=p.wechat_text(), headers=xml)
    # msg_signature over another ciphertext
    other = cipher.encrypt(p.wechat_text("2"))
    swapped = await client.post("/webhooks/wechat", params=wx_safe_query(encrypted), content=safe_body(other),
                                headers=xml)
    no_encrypt = await client.post("/webhooks/wechat", params=wx_safe_query(""), content=p.wechat_text(), headers=xml)
    # encrypted for another account, correctly signed with our token
    foreign = WeChatCipher(AES_KEY, "wxffffffffffffffff").encrypt(p.wechat_text())
    wrong_app = await client.post("/webhooks/wechat", params=wx_safe_query(foreign), content=safe_body(foreign),
                                  headers=xml)
    stale = await client.post("/webhooks/wechat", params=wx_safe_query(encrypted, timestamp=str(int(clock.now) - 900)),
                              content=safe_body(encrypted), headers=xml)
    assert [r.status_code for r in (plain, swapped, no_encrypt, wrong_app, stale)] == [401] * 5
    assert recorder.published == []
    assert refused(safe_receivers) == {("wechat", "unencrypted"): 1, ("wechat", "bad_signature"): 2,
                                       ("wechat", "undecryptable"): 1, ("wechat", "stale_timestamp"): 1}


async def test_safe_mode_url_check_answers_the_decrypted_echostr(safe_receivers):
    client = client_of(safe_receivers)
    echostr = WeChatCipher(AES_KEY, APP_ID).encrypt(b"5927782489442352469")
    ok = await client.get("/webhooks/wechat", params={**wx_safe_query(echostr), "echostr": echostr})
    assert (ok.status_code, ok.text) == (200, "5927782489442352469")
    forged = await client.get("/webhooks/wechat", params={**wx_safe_query("other"), "echostr": echostr})
    assert forged.status_code == 401
    # an Official Account checks its URL the plaintext way even in safe mode
    plain = await client.get("/webhooks/wechat", params={**wx_query(), "echostr": "e123"})
    assert (plain.status_code, plain.text) == (200, "e123")


async def test_without_a_key_a_safe_mode_message_is_published_as_received_and_dead_letters_with_the_reason(
        client, recorder):
    encrypted = WeChatCipher(AES_KEY, APP_ID).encrypt(p.wechat_text())
    r = await client.post("/webhooks/wechat", params=wx_safe_query(encrypted), content=safe_body(encrypted),
                          headers={"content-type": "text/xml"})
    assert r.status_code == 200 and [x.body for x in recorder.published] == [safe_body(encrypted)]
    with pytest.raises(UnparseableBody, match="HEED_WECHAT_ENCODING_AES_KEY is not set"):
        parse_wechat(recorder.published[0].body)
    # and its msg_signature is still checked
    bad = await client.post("/webhooks/wechat", params=wx_safe_query("other"), content=safe_body(encrypted),
                            headers={"content-type": "text/xml"})
    assert bad.status_code == 401 and len(recorder.published) == 1


def test_a_malformed_aes_key_or_missing_app_id_stops_the_receivers_at_start(recorder):
    for extra in ({"wechat_encoding_aes_key": AES_KEY}, {"wechat_encoding_aes_key": "short", "wechat_app_id": APP_ID}):
        with pytest.raises(ValueError, match="HEED_WECHAT"):
            settings = IngestSettings.model_validate({"kafka_bootstrap": "127.0.0.1:1", **SECRETS, **extra})
            Receivers(settings, recorder, FakeNonces())


def test_weibo_has_its_own_verification():
    q = wx_query("wb-token", "1397022061823", "57155157")
    assert signatures.weibo_signature_valid("wb-token", q["timestamp"], q["nonce"], q["signature"])
    assert not signatures.weibo_signature_valid("wx-token", q["timestamp"], q["nonce"], q["signature"])
    # the example from Weibo's guide
    assert signatures.weibo_signature_valid("xyz123xyz", "1397022061823", "57155157",
                                            "90e4c22c90a58f26526c2dd5b6c56c8822edeaa1")
    assert json.dumps(signatures.timestamp_seconds("1397022061823")) == "1397022061.823"


async def test_the_mentions_api_answers_503_and_publishes_nothing_while_the_broker_is_down():
    from aiokafka.errors import KafkaTimeoutError

    from heed_ingest.api import MentionsApi

    settings = IngestSettings(kafka_bootstrap="127.0.0.1:1", ingest_api_tokens=["t"])
    published: list[RawMention] = []
    broker = {"up": False}

    async def publish(raws: list[RawMention], keys: list[str]) -> None:
        if not broker["up"]:
            raise KafkaTimeoutError("no acknowledgement")
        published.extend(raws)

    app = Starlette(routes=MentionsApi(settings, publish).routes())
    body = json.dumps({"channel": "x", "native_id": "1", "author": {"id": "u"}, "text": "hi",
                       "created_at": "2026-11-20T08:15:00+00:00"}).encode()
    headers = {"authorization": "Bearer t", "content-type": "application/json"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client:
        down = await client.post("/v1/mentions", content=body, headers=headers)
        broker["up"] = True
        up = await client.post("/v1/mentions", content=body, headers=headers)
    assert (down.status_code, down.headers["retry-after"]) == (503, "5")
    assert up.status_code == 202 and len(published) == 1
