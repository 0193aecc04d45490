"""One trace follows a mention through every service's consume and publish spans."""

from __future__ import annotations

import json

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests.harness import TOKEN, count, mention_line, pipeline, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


async def test_one_trace_covers_every_service(database_url, fresh_broker, exporter: InMemorySpanExporter):
    dsn = database_url
    async with pipeline(fresh_broker, dsn) as services:
        exporter.clear()
        transport = httpx.ASGITransport(app=services["ingest"].asgi())
        async with httpx.AsyncClient(transport=transport, base_url="http://ingest") as client:
            line = mention_line(0, "trace")
            body = json.dumps(line).encode()
            response = await client.post("/v1/mentions", content=body, headers={
                "authorization": f"Bearer {TOKEN}", "content-type": "application/json"})
        assert response.status_code == 202

        async def replied() -> bool:
            return await count(dsn, "SELECT count(*) FROM crm.interaction_replies") == 1

        await wait_for(replied, timeout=60)
        await wait_for(_spans_for(exporter, "heed.replies"), timeout=20)
    spans = exporter.get_finished_spans()
    consume = [s for s in spans if s.kind is SpanKind.CONSUMER and s.attributes
               and "heed.service" in s.attributes]
    produce = [s for s in spans if s.kind is SpanKind.PRODUCER]
    # the publisher makes one "<topic> publish" span per topic and parent of each publish call
    raw_publish = [s for s in produce if s.name == "heed.mentions.raw publish"]
    assert len(raw_publish) == 1
    trace_id = raw_publish[0].context.trace_id
    in_trace = [s for s in consume if s.context.trace_id == trace_id]
    assert {(s.attributes or {})["heed.service"] for s in in_trace} == {
        "ingest", "classifier", "router", "responder", "crm-sync"}
    assert {(s.attributes or {})["messaging.destination.name"] for s in in_trace} >= {
        "heed.mentions.raw", "heed.mentions", "heed.mentions.classified", "heed.cases.routed", "heed.replies"}
    published_in_trace = {s.name.split(" ")[0] for s in produce if s.context.trace_id == trace_id}
    assert published_in_trace >= {"heed.mentions.raw", "heed.mentions", "heed.mentions.classified",
                                  "heed.cases.routed", "heed.replies"}
    # every consume span of this mention has a parent: nothing restarted the trace midway
    assert all(s.parent is not None for s in in_trace)
    # no message text in any span attribute
    texts = {str(line["text"]), "trace-user-0", "User 0"}
    for s in spans:
        for value in (s.attributes or {}).values():
            assert not any(t in str(value) for t in texts)


def _spans_for(exporter: InMemorySpanExporter, topic: str):
    async def check() -> bool:
        return any(s.attributes and s.attributes.get("messaging.destination.name") == topic
                   and s.attributes.get("heed.service") == "crm-sync" for s in exporter.get_finished_spans())
    return check
