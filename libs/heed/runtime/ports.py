"""Ports every service's handlers share: publishing events and reading the clock.

Handlers are plain async functions that receive the ports they use; `bootstrap.py` of each
service hands them the real adapters, unit tests hand them the in-memory fakes of
`tests/unit/<service>/fakes.py`. A service's own ports (its store, its channel) are Protocols in
that service's `ports.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from heed.runtime.messaging import Outgoing


class EventPublisher(Protocol):
    async def publish(self, items: Sequence[Outgoing]) -> None:
        """Publish every item; return once the broker acknowledged all of them."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, with its UTC offset."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
