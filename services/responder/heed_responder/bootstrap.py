"""The responder's wiring, in one place: builds the adapters and hands them to the handlers.

The channel adapter is chosen here by HEED_RESPONDER_CHANNEL_ADAPTER. Whatever `Overrides` gives
(tests give in-memory fakes) is used instead of the real adapter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import asyncpg

from heed.contracts import topics
from heed.runtime.messaging import Handler
from heed.runtime.ports import Clock, EventPublisher, SystemClock
from heed.runtime.settings import key_ring
from heed_responder.adapters.channels import SandboxChannel
from heed_responder.adapters.customers import PostgresCustomerProfiles
from heed_responder.adapters.outbox import PostgresOutbox
from heed_responder.adapters.platforms.channel import PlatformChannel
from heed_responder.adapters.platforms.clients import build_clients
from heed_responder.adapters.platforms.settings import PlatformSettings
from heed_responder.adapters.replies_file import load_catalog, load_knowledge, shipped_path, shipped_replies_path
from heed_responder.domain.catalog import Catalog
from heed_responder.domain.knowledge import Knowledge
from heed_responder.domain.planning import ReplyContext
from heed_responder.handlers import deliver_due, learn_customers, respond, send_answers
from heed_responder.ports import Channel, CustomerProfiles, Outbox
from heed_responder.settings import ResponderSettings


def _platforms(pool: Callable[[], asyncpg.Pool]) -> Channel:
    return PlatformChannel(build_clients(PlatformSettings()), SystemClock())


# HEED_RESPONDER_CHANNEL_ADAPTER → the adapter (given the pool, for one that keeps its messages there)
CHANNEL_ADAPTERS: dict[str, Callable[[Callable[[], asyncpg.Pool]], Channel]] = {
    "sandbox": lambda pool: SandboxChannel(pool()),
    "platforms": _platforms,  # the platforms' send APIs, accounts from HEED_* platform settings
}


@dataclass(frozen=True)
class Overrides:
    """Ports to use instead of the real adapters; None means the real one."""

    outbox: Outbox | None = None
    channel: Channel | None = None
    publisher: EventPublisher | None = None
    clock: Clock | None = None
    customers: CustomerProfiles | None = None


def channel_adapter(name: str, pool: Callable[[], asyncpg.Pool]) -> Channel:
    """The channel adapter configured by name."""
    try:
        build = CHANNEL_ADAPTERS[name]
    except KeyError:
        raise ValueError(f"unknown channel adapter {name!r} (HEED_RESPONDER_CHANNEL_ADAPTER); "
                         f"available: {', '.join(CHANNEL_ADAPTERS)}") from None
    return build(pool)


@dataclass(frozen=True)
class Ports:
    """The adapters the handlers and the delivery tick share (one channel: its rate limits are one)."""

    outbox: Outbox
    channel: Channel
    publisher: EventPublisher
    clock: Clock
    context: ReplyContext
    customers: CustomerProfiles


def build_ports(settings: ResponderSettings, *, pool: Callable[[], asyncpg.Pool], publisher: EventPublisher,
                overrides: Overrides = Overrides(), replies: Callable[[], Catalog] | None = None,
                knowledge: Callable[[], Knowledge] | None = None) -> Ports:
    """The real adapters, or what `overrides` gives. `pool` is called only if a real adapter needs it.
    `replies` gives the replies file as it stands (the service's watched file); by default it is
    read once from HEED_RESPONDER_TEMPLATES or the shipped example."""
    if replies is None:
        catalog = load_catalog(settings.responder_templates or shipped_replies_path())
        replies = lambda: catalog  # noqa: E731
    if knowledge is None:
        known = load_knowledge(settings.responder_knowledge or shipped_path("knowledge.yaml"))
        knowledge = lambda: known  # noqa: E731
    # the keys and the channel first: a bad setting is refused before anything touches the database
    hashes = settings.identity_hashes()  # HEED_ERASURE_KEY: a malformed key names its entry, never the key
    channel = (overrides.channel if overrides.channel is not None
               else channel_adapter(settings.responder_channel_adapter, pool))
    return Ports(
        outbox=overrides.outbox if overrides.outbox is not None else PostgresOutbox(pool()),
        channel=channel,
        publisher=overrides.publisher if overrides.publisher is not None else publisher,
        clock=overrides.clock if overrides.clock is not None else SystemClock(),
        context=reply_context(settings, replies, knowledge),
        customers=(overrides.customers if overrides.customers is not None
                   else PostgresCustomerProfiles(pool(), hashes)))


def reply_context(settings: ResponderSettings, replies: Callable[[], Catalog],
                  knowledge: Callable[[], Knowledge]) -> ReplyContext:
    """How replies are written; a secure-link key left empty, as the secrets example leaves it, issues no
    links, and one that is set but unusable stops the service at once, naming the setting (never the key)."""
    secret = settings.secure_link_key
    keys = (key_ring(secret, env="HEED_SECURE_LINK_KEY")
            if secret is not None and secret.get_secret_value().strip() else ())
    return ReplyContext(catalogs=replies, knowledge=knowledge, link_keys=keys, verify_url=settings.responder_verify_url,
                        link_ttl=timedelta(seconds=settings.responder_link_ttl_s))


def handlers_for(ports: Ports) -> dict[str, Handler[Any]]:
    return {topics.CASES_ROUTED: partial(respond, outbox=ports.outbox, channel=ports.channel,
                                         customers=ports.customers, publisher=ports.publisher,
                                         context=ports.context, clock=ports.clock),
            topics.CASE_ANSWERS: partial(send_answers, outbox=ports.outbox, channel=ports.channel,
                                         customers=ports.customers, publisher=ports.publisher,
                                         context=ports.context, clock=ports.clock),
            topics.CRM_CUSTOMERS: partial(learn_customers, customers=ports.customers, outbox=ports.outbox,
                                          channel=ports.channel)}


def delivery_tick(ports: Ports, settings: ResponderSettings) -> Callable[[], Awaitable[int]]:
    """The tick: stuck replies read back, retries sent, their outcomes published."""
    return partial(deliver_due, outbox=ports.outbox, channel=ports.channel, publisher=ports.publisher,
                   clock=ports.clock, stuck_after=timedelta(seconds=settings.responder_stuck_after_s))


def bootstrap(settings: ResponderSettings, *, pool: Callable[[], asyncpg.Pool], publisher: EventPublisher,
              overrides: Overrides = Overrides(), replies: Callable[[], Catalog] | None = None
              ) -> dict[str, Handler[Any]]:
    """Topic → handler with its ports."""
    return handlers_for(build_ports(settings, pool=pool, publisher=publisher, overrides=overrides, replies=replies))
