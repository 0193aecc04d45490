"""Property: whatever arrives at ingest — any Unicode, any sizes, any numbers, any dates — either
gets a 4xx before anything is published, or is carried through to the end: each mention in it gets
exactly one reply decision and one CRM interaction (or, for an authentic platform body Heed cannot
read, the body lands in the DLQ with its bytes). Never accepted and then half-processed.

Hypothesis drives the requests from a worker thread; each request runs on the test's event loop,
where the five services run in-process on the real broker and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from heed.contracts import topics
from heed.contracts.events import Channel, derive_id
from heed.runtime.service import Service
from heed_ingest.app import IngestService
from heed_ingest.settings import IngestSettings
from tests.harness import TOKEN, build_services, wait_for

pytestmark = pytest.mark.integration

META_SECRET = "property-meta-secret"
PAGE_ID = "1029384756"
EXAMPLES = 150

# any code point (lone surrogates and NUL included), with the awkward ones made likely
awkward = st.sampled_from(["\x00", "\ud800", "\udfff", "\u202e", "\ufeff", "\x7f", "中", "ด", "😀"])
any_text = st.lists(st.one_of(st.characters(exclude_categories=()), awkward), max_size=30).map("".join)
offsets = st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59))
any_time = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.builds(timezone, offsets)).map(lambda d: d.isoformat()),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)).map(lambda d: d.isoformat()),
    any_text, st.integers())
any_number = st.one_of(st.sampled_from([2**31, 2**63, -1]), st.integers(min_value=-(2**70), max_value=2**70),
                       st.floats(), st.booleans(), st.none(), any_text)
channels = st.sampled_from([*(c.value for c in Channel), "myspace", ""])


# what a well-behaved source sends: printable text in any script, sane numbers and times
plain_text = st.one_of(st.sampled_from(["我的订单还没到", "請問門市幾點開門？", "charged twice!", "ส่งช้ามาก", ""]),
                       st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40))
sane_time = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                         timezones=st.builds(timezone, offsets)).map(lambda d: d.isoformat())


def mostly(good: st.SearchStrategy[Any], anything: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` seven times in eight (and in the simplest examples Hypothesis starts from), so most
    requests are accepted and reach the end of the pipeline."""
    return st.integers(0, 7).flatmap(lambda i: anything if i == 7 else good)


@st.composite
def generic_mentions(draw: st.DrawFn, serial: st.SearchStrategy[int]) -> dict[str, Any]:
    n = draw(serial)
    author: dict[str, Any] = {"id": draw(mostly(st.just(f"u{n}"), any_text))}
    if draw(st.booleans()):
        author["name"] = draw(mostly(plain_text, any_text))
    if draw(st.booleans()):
        author["followers"] = draw(mostly(st.integers(0, 10**6), any_number))
    text = draw(mostly(plain_text, any_text))
    if draw(st.integers(0, 15)) == 0:
        text = text * draw(st.integers(1, 30_000))  # up to and far past the text and body limits
    mention: dict[str, Any] = {
        "channel": draw(mostly(st.sampled_from([c.value for c in Channel]), channels)),
        "native_id": draw(mostly(st.just(f"p{n}"), any_text.map(f"p{n}".__add__))),
        "author": author, "text": text,
        "created_at": draw(mostly(sane_time, any_time)),
    }
    for key in ("in_reply_to", "account", "lang_hint", "url"):
        if draw(st.integers(0, 3)) == 0:
            mention[key] = draw(mostly(plain_text.filter(bool), st.one_of(any_text, any_number)))
    if draw(st.integers(0, 10)) == 0:
        del mention[draw(st.sampled_from(sorted(mention)))]
    return mention


@st.composite
def meta_comments(draw: st.DrawFn, serial: st.SearchStrategy[int]) -> dict[str, Any]:
    n = draw(serial)
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": 1763600000, "changes": [{
        "field": "feed", "value": {
            "item": "comment", "verb": "add", "comment_id": f"c{n}", "post_id": f"{PAGE_ID}_{n}",
            "parent_id": f"{PAGE_ID}_{n}",
            "from": {"id": draw(mostly(st.just(f"f{n}"), any_text.map(f"f{n}".__add__))),
                     "name": draw(mostly(plain_text, st.one_of(any_text, any_number)))},
            "message": draw(mostly(plain_text, st.one_of(any_text, any_number))),
            "created_time": draw(mostly(st.integers(1_600_000_000, 1_900_000_000), any_number)),
        }}]}]}


@dataclass
class Request:
    kind: str  # api-json, api-array, api-ndjson, meta
    body: bytes
    keys: list[tuple[str, str]]  # (channel, native_id) of each mention it would carry, when valid


@st.composite
def requests(draw: st.DrawFn) -> Request:
    serial = st.integers(0, 10**9)
    kind = draw(st.sampled_from(["api-json", "api-array", "api-ndjson", "meta", "api-bytes"]))
    if kind == "meta":
        comment = draw(meta_comments(serial))
        encoded = json.dumps(comment, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
        value = comment["entry"][0]["changes"][0]["value"]
        return Request(kind, encoded, [("facebook", value["comment_id"])])
    if kind == "api-bytes":
        return Request(kind, draw(st.binary(max_size=200)), [])
    mentions = draw(st.lists(generic_mentions(serial), min_size=1, max_size=1 if kind == "api-json" else 3))
    ascii_only = draw(st.booleans())

    def dump(value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True).encode("utf-8", "surrogatepass")

    if kind == "api-json":
        body = dump(mentions[0])
    elif kind == "api-array":
        body = dump(mentions)
    else:
        body = b"\n".join(dump(m) for m in mentions)
    keys = [(str(m.get("channel")), str(m.get("native_id"))) for m in mentions]
    return Request(kind, body, keys)


def _valid(kind: str) -> Request:
    """A request of `kind` that every check accepts."""
    mentions = [{"channel": "weibo", "native_id": f"valid-{kind}-{i}", "author": {"id": f"valid-{i}"},
                 "text": "订单三天了还没发货", "created_at": "2026-11-20T08:15:00+08:00"} for i in range(2)]
    keys = [("weibo", str(m["native_id"])) for m in mentions]
    if kind == "api-json":
        return Request(kind, json.dumps(mentions[0]).encode(), keys[:1])
    if kind == "api-array":
        return Request(kind, json.dumps(mentions).encode(), keys)
    if kind == "api-ndjson":
        return Request(kind, b"\n".join(json.dumps(m).encode() for m in mentions), keys)
    comment = {"object": "page", "entry": [{"id": PAGE_ID, "time": 1763600000, "changes": [{"field": "feed", "value": {
        "item": "comment", "verb": "add", "comment_id": "c-valid", "post_id": f"{PAGE_ID}_valid",
        "from": {"id": "f-valid", "name": "Amy"}, "message": "Where is my order?", "created_time": 1763600000}}]}]}
    return Request(kind, json.dumps(comment).encode(), [("facebook", "c-valid")])


@dataclass
class Outcome:
    accepted: list[Request] = field(default_factory=list)
    refused: int = 0


@asynccontextmanager
async def services_with_meta(bootstrap: str, dsn: str) -> AsyncIterator[dict[str, Service]]:
    services = build_services(bootstrap, dsn)
    services["ingest"] = IngestService(IngestSettings(
        kafka_bootstrap=bootstrap, database_url=dsn, ingest_api_tokens=[TOKEN], meta_app_secret=META_SECRET))
    await asyncio.gather(*(s.start() for s in services.values()))
    try:
        yield services
    finally:
        await asyncio.gather(*(s.stop() for s in services.values()))


async def _send(client: httpx.AsyncClient, request: Request) -> int:
    if request.kind == "meta":
        signature = "sha256=" + hmac.new(META_SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        response = await client.post("/webhooks/meta", content=request.body, headers={
            "content-type": "application/json", "x-hub-signature-256": signature})
    else:
        content_type = "application/x-ndjson" if request.kind == "api-ndjson" else "application/json"
        response = await client.post("/v1/mentions", content=request.body, headers={
            "content-type": content_type, "authorization": f"Bearer {TOKEN}"})
    return response.status_code


async def _raw_topic_size(bootstrap: str) -> int:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await reader.start()
    try:
        raw = topics.BY_NAME[topics.MENTIONS_RAW]
        ends = await reader.end_offsets([TopicPartition(raw.name, p) for p in range(raw.partitions)])
        return sum(ends.values())
    finally:
        await reader.stop()


# the services run beside the generator and use `random` themselves; Hypothesis cannot tell
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
async def test_every_request_is_refused_before_publishing_or_carried_through_to_the_end(
        database_url: str, fresh_broker: str) -> None:
    dsn = database_url
    outcome = Outcome()
    async with services_with_meta(fresh_broker, dsn) as services:
        app = Starlette(routes=services["ingest"].routes())
        loop = asyncio.get_running_loop()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client:

            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
            @given(request=requests())
            # one well-formed request of each kind always runs, beside whatever Hypothesis draws
            @example(request=_valid("api-json"))
            @example(request=_valid("api-array"))
            @example(request=_valid("api-ndjson"))
            @example(request=_valid("meta"))
            def each_request(request: Request) -> None:
                status = asyncio.run_coroutine_threadsafe(_send(client, request), loop).result(timeout=60)
                assert status in (200, 202) or 400 <= status < 500, f"{request.kind} got {status}"
                if status in (200, 202):
                    assert request.kind != "api-bytes" or request.body.strip(), "an empty body was accepted"
                    outcome.accepted.append(request)
                else:
                    outcome.refused += 1

            await asyncio.to_thread(each_request)

        assert outcome.accepted and outcome.refused, "the generator must reach both outcomes"
        assert {r.kind for r in outcome.accepted} >= {"api-json", "api-array", "api-ndjson", "meta"}
        # a refusal published nothing: the raw topic holds exactly the accepted bodies
        assert await _raw_topic_size(fresh_broker) == len(outcome.accepted)

        expected = {derive_id("mention", channel, native) for r in outcome.accepted if r.kind != "meta"
                    for channel, native in r.keys}
        webhooks = [r for r in outcome.accepted if r.kind == "meta"]

        async def carried_through() -> bool:
            conn = await asyncpg.connect(dsn)
            try:
                decided = {r["mention_id"] for r in await conn.fetch("SELECT mention_id FROM responder.replies")}
                recorded = {r["mention_id"] for r in await conn.fetch("SELECT mention_id FROM crm.interactions")}
                letters = {bytes(r["original"]) for r in await conn.fetch("SELECT original FROM ingest.dead_letters")}
            finally:
                await conn.close()
            done_webhooks = all(
                r.body in letters or derive_id("mention", *r.keys[0]) in (decided & recorded) for r in webhooks)
            return expected <= decided and expected <= recorded and done_webhooks

        await wait_for(carried_through, timeout=180)

    conn = await asyncpg.connect(dsn)
    try:
        # once each: one reply decision, at most one message sent, one interaction per mention
        assert await conn.fetchval("SELECT count(*) - count(DISTINCT mention_id) FROM responder.replies") == 0
        assert await conn.fetchval(
            "SELECT count(*) - count(DISTINCT mention_id) FROM responder.sandbox_messages") == 0
        assert await conn.fetchval("SELECT count(*) - count(DISTINCT mention_id) FROM crm.interactions") == 0
        # nothing half-done: every ledger row was published, and no API-accepted body was dead-lettered
        assert await conn.fetchval("SELECT count(*) FROM ingest.mentions WHERE NOT published") == 0
        letters = {bytes(r["original"]) for r in await conn.fetch("SELECT original FROM ingest.dead_letters")}
        assert letters <= {r.body for r in webhooks}
        decided = await conn.fetchval("SELECT count(*) FROM responder.replies")
        recorded = await conn.fetchval("SELECT count(*) FROM crm.interactions")
        assert decided == recorded
    finally:
        await conn.close()


def test_the_generator_covers_the_awkward_inputs() -> None:
    """The strategies reach NUL, lone surrogates, 32-bit overflows and years outside 1970-2100."""
    seen: set[str] = set()

    @settings(max_examples=1000, database=None, suppress_health_check=list(HealthCheck))
    @given(mention=generic_mentions(st.integers(0, 10)))
    def look(mention: dict[str, Any]) -> None:
        flat = json.dumps(mention, ensure_ascii=True)
        if "\\u0000" in flat:
            seen.add("nul")
        if "\\ud8" in flat or "\\udf" in flat:
            seen.add("surrogate")
        followers = mention["author"].get("followers") if isinstance(mention.get("author"), dict) else None
        if isinstance(followers, int) and not isinstance(followers, bool) and followers > 2**31 - 1:
            seen.add("overflow")
        created = mention.get("created_at")
        year = created[:4] if isinstance(created, str) else ""
        if year.isascii() and year.isdigit() and not 1970 <= int(year) < 2100:
            seen.add("year")

    look()
    assert seen == {"nul", "surrogate", "overflow", "year"}
    assert datetime.now(UTC).year < 2100


GOOD = {"channel": "weibo", "author": {"id": "u-edge", "name": "小王", "followers": 12}, "text": "订单三天了还没发货",
        "created_at": "2026-11-20T08:15:00+08:00"}


def _api(native: str, **changes: Any) -> bytes:
    return json.dumps({**GOOD, "native_id": native, **changes}).encode()


async def test_each_input_that_once_died_downstream_is_refused_at_the_edge_or_carried_through(
        database_url: str, fresh_broker: str) -> None:
    dsn = database_url
    refused_by_api = {
        "NUL in author.name": _api("e1", author={"id": "u1", "name": "A\u0000my"}),
        "NUL in author.id": _api("e2", author={"id": "u\u0000"}),
        "NUL in text": _api("e3", text="late\u0000"),
        "followers past 2^31-1": _api("e4", author={"id": "u4", "followers": 2**31}),
        "year 1": _api("e5", created_at="0001-01-01T00:00:00+05:00"),
        "year 9999": _api("e6", created_at="9999-12-31T23:00:00-05:00"),
        "lone surrogate": _api("e7", text="\ud800"),
        "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    }
    lone_surrogate_comment = Request("meta", json.dumps(
        {"object": "page", "entry": [{"id": PAGE_ID, "time": 1763600000, "changes": [{"field": "feed", "value": {
            "item": "comment", "verb": "add", "comment_id": "c-lone", "post_id": f"{PAGE_ID}_1",
            "from": {"id": "f-lone", "name": "\ud800"}, "message": "hello", "created_time": 1763600000}}]}]},
    ).encode(), [("facebook", "c-lone")])
    good = Request("api-json", _api("e-good"), [("weibo", "e-good")])
    async with services_with_meta(fresh_broker, dsn) as services:
        app = Starlette(routes=services["ingest"].routes())
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client:
            for name, body in refused_by_api.items():
                assert await _send(client, Request("api-json", body, [])) == 422, name
            assert await _send(client, lone_surrogate_comment) == 200  # authentic: Meta must not retry it
            assert await _send(client, good) == 202
        assert await _raw_topic_size(fresh_broker) == 2  # nothing of the refused bodies was published

        async def done() -> bool:
            conn = await asyncpg.connect(dsn)
            try:
                letters = await conn.fetch("SELECT original, error FROM ingest.dead_letters")
                answered = await conn.fetchval("SELECT count(*) FROM responder.replies")
            finally:
                await conn.close()
            return len(letters) == 1 and answered == 1

        await wait_for(done, timeout=60)
    conn = await asyncpg.connect(dsn)
    try:
        letter = await conn.fetchrow("SELECT original, error FROM ingest.dead_letters")
        assert letter is not None
        assert bytes(letter["original"]) == lone_surrogate_comment.body  # the original bytes, for a replay
        assert "from" in letter["error"] or "name" in letter["error"]
        assert await conn.fetchval("SELECT count(*) FROM ingest.mentions") == 1
        assert await conn.fetchval("SELECT count(*) FROM ingest.mentions WHERE NOT published") == 0
        assert await conn.fetchval("SELECT count(*) FROM crm.interactions") == 1
    finally:
        await conn.close()
