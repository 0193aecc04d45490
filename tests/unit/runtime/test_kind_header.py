"""A published event with a kind carries it in a `heed-kind` header, so a consumer that acts on a
few kinds passes over the others without decoding them."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiokafka.structs import ConsumerRecord

from heed.contracts import topics
from heed.contracts.events import CaseEvent, CaseEventKind, CustomerUpdate
from heed.runtime.messaging import KIND_HEADER, Outgoing, Publisher, _kind_of
from tests.unit.factories import mention


class RecordingProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[tuple[str, bytes]]]] = []

    async def send(self, topic: str, value: bytes, key: bytes, headers: list[tuple[str, bytes]]) -> Any:
        self.sent.append((topic, headers))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def test_events_carry_their_kind_and_events_without_one_carry_none():
    producer = RecordingProducer()
    publisher = Publisher(producer=producer)  # type: ignore[arg-type]
    event = CaseEvent(event_id=uuid.uuid4(), case_id=uuid.uuid4(), kind=CaseEventKind.QUEUED)
    m = mention("hello")
    kindless = CustomerUpdate(event_id=uuid.uuid4(), customer_id=uuid.uuid4(), identities=["x:1"])
    await publisher.publish([Outgoing(topics.CASE_EVENTS, event, "k"), Outgoing(topics.MENTIONS, m, "k"),
                             Outgoing(topics.CRM_CUSTOMERS, kindless, "k")])
    (_, case_headers), (_, mention_headers), (_, customer_headers) = producer.sent
    assert (KIND_HEADER, b"queued") in case_headers and (KIND_HEADER, b"post") in mention_headers
    assert KIND_HEADER not in dict(customer_headers)

    def record(headers: list[tuple[str, bytes]]) -> ConsumerRecord[bytes, bytes]:
        return ConsumerRecord(topic="t", partition=0, offset=0, timestamp=0, timestamp_type=0, key=None, value=b"",
                              checksum=None, serialized_key_size=0, serialized_value_size=0, headers=headers)

    assert _kind_of(record(case_headers)) == "queued" and _kind_of(record(customer_headers)) is None
