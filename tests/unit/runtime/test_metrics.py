"""/metrics rendered by prometheus_client: the Stage's per-topic instruments and a service's own
counts, with HELP and TYPE, each service instance in a registry of its own."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import httpx
import pytest
from faststream.kafka import TestKafkaBroker
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from heed.contracts.events import CaseEvent, CaseEventKind
from heed.contracts.topology import ServiceNode
from heed.runtime.messaging import Handler, Incoming
from heed.runtime.metrics import parse_key
from heed.runtime.service import Service
from heed.runtime.settings import HeedSettings

TOPIC = "heed.cases.events"


class Refusing(Service):
    """A service consuming one topic, with counts of its own (labelled, as ingest's refusals are)."""

    name = "unit"
    own_node = ServiceNode("unit", "unit", "", "unit", 8090, consumes=(TOPIC,), publishes=("heed.dlq",),
                           role="a test's service")
    metric_help: ClassVar[dict[str, str]] = {**Service.metric_help,
                                             "heed_webhook_refused_total": "Webhook requests refused"}

    def __init__(self) -> None:
        super().__init__(HeedSettings(kafka_bootstrap="127.0.0.1:1", handler_retries=1))
        self.seen: list[str] = []

    def metrics(self) -> dict[str, int]:
        return {**super().metrics(), 'heed_webhook_refused_total{channel="x",reason="bad_signature"}': 2,
                'heed_webhook_refused_total{channel="we\\"chat",reason="expired"}': 1}

    def handlers(self) -> dict[str, Handler[Any]]:
        async def handle(batch: list[Incoming[CaseEvent]]) -> None:
            if any(i.event.detail == "poison" for i in batch):
                raise ValueError("cannot handle a poison event")
            self.seen.extend(i.event.detail for i in batch)

        return {TOPIC: handle}


def _event(detail: str) -> bytes:
    return CaseEvent(event_id=uuid.uuid4(), case_id=uuid.uuid4(), kind=CaseEventKind.OPENED,
                     detail=detail).model_dump_json().encode()


async def _scrape(service: Service, accept: str | None = None) -> tuple[str, str]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.internal_asgi()),
                                 base_url="http://internal") as client:
        response = await client.get("/metrics", headers={"accept": accept} if accept else {})
    assert response.status_code == 200
    return response.text, response.headers["content-type"]


def _samples(text: str) -> list[Sample]:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def _value(text: str, name: str, **labels: str) -> float | None:
    found = [s.value for s in _samples(text) if s.name == name and s.labels == labels]
    return found[0] if found else None


async def test_events_handled_and_dead_lettered_and_batch_latency_are_counted_per_topic():
    service = Refusing()
    service.register()
    async with TestKafkaBroker(service.broker) as broker:
        for detail in ("fine", "poison", "also fine"):
            await broker.publish(_event(detail), topic=TOPIC)
        await broker.publish(b"\xffnot json", topic=TOPIC)
    text, _ = await _scrape(service)
    labels = {"service": "unit", "topic": TOPIC}
    assert service.seen == ["fine", "also fine"]
    assert _value(text, "heed_events_handled_total", **labels) == 4
    assert _value(text, "heed_dead_letters_total", **labels) == 2
    # one batch per publish here: each was timed, and none took longer than the largest bucket
    assert _value(text, "heed_batch_seconds_count", **labels) == 4
    assert _value(text, "heed_batch_seconds_bucket", **labels, le="+Inf") == 4


async def test_a_service_s_own_counts_keep_their_labels_and_get_help_and_type():
    text, content_type = await _scrape(Refusing())
    assert content_type.startswith("text/plain")
    assert "# HELP heed_webhook_refused_total Webhook requests refused" in text.splitlines()
    assert "# TYPE heed_webhook_refused_total counter" in text.splitlines()
    assert "# TYPE heed_batch_seconds histogram" in text.splitlines()
    assert "# TYPE heed_consumer_lag gauge" in text.splitlines()
    assert _value(text, "heed_webhook_refused_total", service="unit", channel="x", reason="bad_signature") == 2
    assert _value(text, "heed_webhook_refused_total", service="unit", channel='we"chat', reason="expired") == 1
    assert _value(text, "heed_events_published_total", service="unit") == 0
    every_family = {f.name for f in text_string_to_metric_families(text)}
    assert all(f"# HELP {name}" in text for name in every_family if not name.endswith("_created"))


async def test_a_scraper_asking_for_openmetrics_gets_it():
    text, content_type = await _scrape(Refusing(), accept="application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert text.rstrip().endswith("# EOF")


async def test_two_instances_of_one_service_in_a_process_keep_their_own_counts():
    counted, idle = Refusing(), Refusing()  # the global registry would refuse the second's instruments
    counted.register()
    async with TestKafkaBroker(counted.broker) as broker:
        await broker.publish(_event("fine"), topic=TOPIC)
    assert _value((await _scrape(counted))[0], "heed_events_handled_total", service="unit", topic=TOPIC) == 1
    assert _value((await _scrape(idle))[0], "heed_events_handled_total", service="unit", topic=TOPIC) is None


def test_metric_keys_are_read_with_their_labels_and_escapes():
    assert parse_key("heed_engagement_events_total") == ("heed_engagement_events_total", {})
    assert parse_key('heed_webhook_refused_total{channel="x",reason="bad_signature"}') == (
        "heed_webhook_refused_total", {"channel": "x", "reason": "bad_signature"})
    assert parse_key(r'heed_x_total{note="a \"quoted\" \\ line\n", b="2"}') == (
        "heed_x_total", {"note": 'a "quoted" \\ line\n', "b": "2"})


@pytest.mark.parametrize("key", ["heed x", 'heed_x{channel=x}', 'heed_x{channel="x"', 'heed_x{="x"}'])
def test_a_malformed_metric_key_is_refused_naming_it(key: str):
    with pytest.raises(ValueError, match="metric key"):
        parse_key(key)


async def test_a_service_count_cannot_take_the_name_of_a_stage_instrument():
    class Clashing(Refusing):
        def metrics(self) -> dict[str, int]:
            return {"heed_events_handled_total": 1}

    with pytest.raises(ValueError, match="the Stage's own instrument"):
        await _scrape(Clashing())
