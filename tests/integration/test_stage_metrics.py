"""The Stage's consumer lag on a real broker, as /metrics shows it: what the consumer's highwater
says is still on the partition behind each batch, and nothing once it has caught up."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from heed.contracts import topics
from heed.contracts.events import CaseEvent, CaseEventKind
from heed.contracts.topology import ServiceNode
from heed.runtime.messaging import Handler, Incoming, Outgoing, start_broker
from heed.runtime.service import Service
from heed.runtime.settings import HeedSettings
from tests.harness import client_publisher, wait_for

pytestmark = pytest.mark.integration

EVENTS = 30


class Lagging(Service):
    """A consumer of one topic that notes, for each batch, its last offset and the lag /metrics shows then."""

    name = "lagging"
    own_node = ServiceNode("lagging", "lagging", "", "lagging", 8091, consumes=(topics.CASE_EVENTS,),
                           publishes=(topics.DLQ,), role="a test's service")

    def __init__(self, bootstrap: str) -> None:
        super().__init__(HeedSettings(kafka_bootstrap=bootstrap, batch_max_records=10))
        self.batches: list[tuple[int, int, float | None]] = []

    def handlers(self) -> dict[str, Handler[Any]]:
        async def handle(batch: list[Incoming[CaseEvent]]) -> None:
            last = batch[-1].record
            lag = self.registry.get_sample_value("heed_consumer_lag", {
                "service": self.name, "topic": last.topic, "partition": str(last.partition)})
            self.batches.append((last.partition, last.offset, lag))

        return {topics.CASE_EVENTS: handle}


async def test_the_lag_each_batch_sees_is_what_is_left_behind_it_and_none_once_caught_up(fresh_broker):
    case_id = uuid.uuid4()  # one key: every event on one partition, published before anyone consumes
    async with client_publisher(fresh_broker) as publisher:
        await publisher.publish([Outgoing(topics.CASE_EVENTS, CaseEvent(
            event_id=uuid.uuid4(), case_id=case_id, kind=CaseEventKind.MENTION_ADDED, detail=str(i)),
            str(case_id)) for i in range(EVENTS)])
    service = Lagging(fresh_broker)

    async def all_handled() -> bool:
        return service.stage.handled >= EVENTS

    service.register()
    await start_broker(service.broker)
    try:
        await wait_for(all_handled, timeout=60)
    finally:
        await service.broker.stop()

    assert len(service.batches) >= EVENTS // 10
    assert [lag for _, offset, lag in service.batches] == [EVENTS - (offset + 1) for _, offset, _ in service.batches]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.internal_asgi()),
                                 base_url="http://internal") as client:
        text = (await client.get("/metrics")).text
    samples = {(s.name, s.labels.get("partition")): s.value
               for family in text_string_to_metric_families(text) for s in family.samples
               if s.labels.get("topic") == topics.CASE_EVENTS}
    partition = str(service.batches[0][0])
    assert samples[("heed_consumer_lag", partition)] == 0
    assert samples[("heed_events_handled_total", None)] == EVENTS
    assert samples[("heed_batch_seconds_count", None)] == len(service.batches)
