"""The batch consumer path with faststream's in-memory TestKafkaBroker: retries and the DLQ."""

from __future__ import annotations

import uuid

from faststream.kafka import TestKafkaBroker

from heed.contracts.events import CaseEvent, CaseEventKind, DeadLetter
from heed.runtime.messaging import Incoming, Stage, create_broker
from heed.runtime.settings import HeedSettings


def _event(detail: str) -> CaseEvent:
    return CaseEvent(event_id=uuid.uuid4(), case_id=uuid.uuid4(), kind=CaseEventKind.OPENED, detail=detail)


async def test_undecodable_and_failing_events_reach_the_dlq_with_their_bytes_and_the_rest_is_handled():
    settings = HeedSettings(kafka_bootstrap="127.0.0.1:1", handler_retries=2)
    broker = create_broker(settings, "unit")
    stage = Stage(broker, "unit", settings)
    handled: list[str] = []

    async def handler(batch: list[Incoming[CaseEvent]]) -> None:
        if any(i.event.detail == "poison" for i in batch):
            raise ValueError("cannot handle a poison event")
        handled.extend(i.event.detail for i in batch)

    stage.consume("heed.cases.events", CaseEvent, handler)
    letters: list[DeadLetter] = []

    @broker.subscriber("heed.dlq")
    async def dlq(letter: DeadLetter) -> None:
        letters.append(letter)

    poison = _event("poison")
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(_event("fine").model_dump_json().encode(), topic="heed.cases.events")
        await test_broker.publish(poison.model_dump_json().encode(), topic="heed.cases.events")
        await test_broker.publish(b"\xffnot json", topic="heed.cases.events")

    assert handled == ["fine"]
    assert [letter.original for letter in letters] == [poison.model_dump_json().encode(), b"\xffnot json"]
    assert letters[0].error == "cannot handle a poison event"
    assert letters[0].error_type == "ValueError"
    assert letters[1].error.startswith("CaseEvent failed validation")
    assert all(letter.source_topic == "heed.cases.events" and letter.service == "unit" for letter in letters)
    assert stage.dead_lettered == 2


def test_a_background_subscription_polls_with_the_background_waits():
    settings = HeedSettings(kafka_bootstrap="127.0.0.1:1", batch_timeout_ms=20, fetch_max_wait_ms=10,
                            background_batch_timeout_ms=100, background_fetch_max_wait_ms=250)
    stage = Stage(create_broker(settings, "unit"), "unit", settings)
    assert stage.waits(background=False) == {"batch_timeout_ms": 20, "fetch_max_wait_ms": 10}
    assert stage.waits(background=True) == {"batch_timeout_ms": 100, "fetch_max_wait_ms": 250}
