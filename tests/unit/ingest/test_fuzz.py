"""Arbitrary bytes and JSON at every parser and endpoint: no crash, no 500; every body is either
parsed into mentions or refused with UnparseableBody (which the normaliser dead-letters)."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from heed.contracts.events import RawMention
from heed_ingest.domain.drafts import UnparseableBody
from heed_ingest.parsing import PARSERS, parse_raw
from heed_ingest.receivers import Receivers
from heed_ingest.settings import IngestSettings
from tests.unit.ingest import payloads as p
from tests.unit.ingest.fakes import FakeNonces
from tests.unit.ingest.test_receivers import SECRETS, Recorder, meta_sig, wx_query, x_sig

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20)

# real bodies with one field replaced by an arbitrary value: deep paths, not just the top level
SEEDS = [p.meta_page_comment(), p.messenger_message(), p.whatsapp_message(), p.x_tweet_create(),
         p.x_direct_message(), p.x_activity_chat(), p.x_activity_post(), json.dumps(p.weibo_page(["1"])).encode(),
         p.weibo_comments(), p.weibo_push(), p.weibo_push("mention", subtype="comment", id="49")]


def mutate(body: bytes, path_seed: int, value: object) -> bytes:
    data = json.loads(body)
    node = data
    for _ in range(6):
        if isinstance(node, dict) and node:
            key = sorted(node)[path_seed % len(node)]
            if not isinstance(node[key], (dict, list)) or path_seed % 3 == 0:
                node[key] = value
                break
            node = node[key]
        elif isinstance(node, list) and node:
            node = node[path_seed % len(node)]
        else:
            break
        path_seed //= 2
    return json.dumps(data).encode()


def check_every_parser(body: bytes) -> None:
    for source in PARSERS:
        try:
            parsed = parse_raw(RawMention(event_id=uuid.uuid4(), source=source, body=body))
        except UnparseableBody as exc:
            assert str(exc)
        else:
            assert all(d.native_id for d in parsed.drafts)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes(body: bytes):
    check_every_parser(body)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_arbitrary_json(value: object):
    check_every_parser(json.dumps(value).encode())


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SEEDS), st.integers(min_value=0, max_value=10_000), json_values)
def test_real_bodies_with_a_field_replaced(seed: bytes, path: int, value: object):
    check_every_parser(mutate(seed, path, value))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200), st.sampled_from(["meta", "x", "wechat", "weibo"]),
       st.sampled_from(["application/json", "text/xml", "text/plain", ""]), st.booleans())
def test_endpoints_never_answer_500(body: bytes, platform: str, kind: str, signed: bool):
    recorder = Recorder()
    settings = IngestSettings.model_validate({"kafka_bootstrap": "127.0.0.1:1", **SECRETS})
    app = Starlette(routes=Receivers(settings, recorder,
                                    FakeNonces()).routes())
    headers = {"content-type": kind} if kind else {}
    params: dict[str, str] = {}
    if signed:
        headers["x-hub-signature-256"] = meta_sig(body)
        headers["x-twitter-webhooks-signature"] = x_sig(body)
        params = wx_query("wb-token" if platform == "weibo" else "wx-token")

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://i") as client:
            return await client.post(f"/webhooks/{platform}", content=body, headers=headers, params=params)

    response = asyncio.run(call())
    assert response.status_code in (200, 401, 413, 415)
    assert (response.status_code == 200) == (len(recorder.published) == 1)
    if response.status_code == 200:
        check_every_parser(recorder.published[0].body)
