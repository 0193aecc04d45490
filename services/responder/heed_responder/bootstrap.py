"""The responder's wiring, in one place: builds the adapters and hands them to the handlers.

The channel adapter is chosen here by HEED_RESPONDER_CHANNEL_ADAPTER. Whatever `Overrides` gives
(tests give in-memory fakes) is used instead of the real adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import asyncpg

from heed.contracts import topics
from heed.runtime.messaging import Handler
from heed.runtime.ports import Clock, EventPublisher, SystemClock
from heed_responder.adapters.channels import SandboxChannel
from heed_responder.adapters.outbox import PostgresOutbox
from heed_responder.domain.planning import ReplyContext
from heed_responder.handlers import respond, send_answers
from heed_responder.ports import Channel, Outbox
from heed_responder.settings import ResponderSettings

# HEED_RESPONDER_CHANNEL_ADAPTER → the adapter, built over the responder's pool
CHANNEL_ADAPTERS: dict[str, Callable[[asyncpg.Pool], Channel]] = {
    "sandbox": SandboxChannel,
}


@dataclass(frozen=True)
class Overrides:
    """Ports to use instead of the real adapters; None means the real one."""

    outbox: Outbox | None = None
    channel: Channel | None = None
    publisher: EventPublisher | None = None
    clock: Clock | None = None


def channel_adapter(name: str, pool: Callable[[], asyncpg.Pool]) -> Channel:
    """The channel adapter configured by name."""
    try:
        build = CHANNEL_ADAPTERS[name]
    except KeyError:
        raise ValueError(f"unknown channel adapter {name!r} (HEED_RESPONDER_CHANNEL_ADAPTER); "
                         f"available: {', '.join(CHANNEL_ADAPTERS)}") from None
    return build(pool())


def bootstrap(settings: ResponderSettings, *, pool: Callable[[], asyncpg.Pool], publisher: EventPublisher,
              overrides: Overrides = Overrides()) -> dict[str, Handler[Any]]:
    """Topic → handler with its ports. `pool` is called only if a real adapter needs the database."""
    channel = (overrides.channel if overrides.channel is not None
               else channel_adapter(settings.responder_channel_adapter, pool))
    outbox = overrides.outbox if overrides.outbox is not None else PostgresOutbox(pool())
    publisher = overrides.publisher if overrides.publisher is not None else publisher
    clock = overrides.clock if overrides.clock is not None else SystemClock()
    context = ReplyContext(brand=settings.responder_brand, hotline=settings.responder_hotline)
    return {
        topics.CASES_ROUTED: partial(respond, outbox=outbox, channel=channel, publisher=publisher,
                                     context=context, clock=clock),
        topics.CASE_ANSWERS: partial(send_answers, outbox=outbox, channel=channel, publisher=publisher,
                                     context=context, clock=clock),
    }
