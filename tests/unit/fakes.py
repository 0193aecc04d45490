"""Fakes of the ports every service shares (libs/heed/runtime/ports.py): the publisher and the clock.

Each service's own fakes (its store, its channel) are in tests/unit/<service>/fakes.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from aiokafka.errors import KafkaTimeoutError
from pydantic import BaseModel

from heed.runtime.messaging import Outgoing

E = TypeVar("E", bound=BaseModel)


class FakePublisher:
    """Records what the broker acknowledged, in order; the first `failures` publishes fail as a
    broker that never acknowledges makes them fail."""

    def __init__(self, failures: int = 0) -> None:
        self.published: list[Outgoing] = []
        self.failures = failures

    async def publish(self, items: Sequence[Outgoing]) -> None:
        if self.failures:
            self.failures -= 1
            raise KafkaTimeoutError("the broker did not acknowledge the batch")
        self.published.extend(items)

    def on(self, topic: str) -> list[Outgoing]:
        return [item for item in self.published if item.topic == topic]

    def events(self, topic: str, model: type[E]) -> list[E]:
        """The events published to `topic`, each checked to be a `model`."""
        found = [item.event for item in self.on(topic)]
        assert all(isinstance(e, model) for e in found), f"{topic} carried other events than {model.__name__}"
        return [e for e in found if isinstance(e, model)]


class FixedClock:
    """A clock that says what it is told."""

    def __init__(self, now: datetime) -> None:
        self.time = now

    def now(self) -> datetime:
        return self.time
