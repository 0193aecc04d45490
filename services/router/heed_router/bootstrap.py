"""The router's wiring, in one place: builds the adapters and hands them to the handlers.

Whatever `Overrides` gives (tests give in-memory fakes) is used instead of the real adapter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import asyncpg

from heed.contracts import topics
from heed.identity_hashes import IdentityHashes
from heed.runtime.messaging import Handler
from heed.runtime.ports import Clock, EventPublisher, SystemClock
from heed_router.adapters.alert_webhook import NoAlertNotifier, WebhookAlertNotifier
from heed_router.adapters.postgres import PostgresCases
from heed_router.domain.alerts import AlertDetector, AlertParameters
from heed_router.domain.customers import OwnerAgents
from heed_router.domain.rules import RuleTable
from heed_router.handlers import (
    fire_timers,
    learn_customers,
    publish_leftovers,
    route,
    track_replies,
    track_verifications,
)
from heed_router.ports import Accounts, AlertNotifier, CaseDesk, CaseStore, CustomerRecords, ReplyDesk
from heed_router.settings import RouterSettings


@dataclass(frozen=True)
class Overrides:
    """Ports to use instead of the real adapters; None means the real one."""

    store: CaseStore | None = None
    publisher: EventPublisher | None = None
    clock: Clock | None = None
    notifier: AlertNotifier | None = None
    alert_parameters: AlertParameters | None = None
    desk: CaseDesk | None = None
    accounts: Accounts | None = None
    customers: CustomerRecords | None = None
    replies: ReplyDesk | None = None


@dataclass(frozen=True)
class Alerting:
    """The crisis detector (its state lives as long as the process) and the alert notifier."""

    detector: AlertDetector
    notifier: AlertNotifier


def build_alerting(settings: RouterSettings, overrides: Overrides = Overrides()) -> Alerting:
    """The detector with its parameters and the webhook notifier (none without HEED_ALERT_WEBHOOK_URL)."""
    detector = AlertDetector(overrides.alert_parameters or AlertParameters())
    notifier: AlertNotifier
    if overrides.notifier is not None:
        notifier = overrides.notifier
    elif settings.alert_webhook_url and settings.alert_webhook_secret:
        notifier = WebhookAlertNotifier(settings.alert_webhook_url, settings.alert_webhook_secret,
                                        attempts=settings.alert_webhook_attempts,
                                        timeout_s=settings.alert_webhook_timeout_s)
    else:
        notifier = NoAlertNotifier()
    return Alerting(detector, notifier)


@dataclass(frozen=True)
class Wiring:
    """The router's handlers (topic → handler) and its periodic work (timers, leftover events)."""

    handlers: dict[str, Handler[Any]]
    tick: Callable[[], Awaitable[int]]


def bootstrap(*, rules: Callable[[], RuleTable], pool: Callable[[], asyncpg.Pool], publisher: EventPublisher,
              alerting: Alerting, hashes: IdentityHashes, owners: OwnerAgents,
              overrides: Overrides = Overrides()) -> Wiring:
    """Handlers and the tick with their ports. `pool` is called only if a real adapter needs the
    database; `rules` gives the routing table in use (the rules file's newest good one); `hashes`
    are HEED_ERASURE_KEY's, `owners` HEED_ROUTER_OWNER_AGENTS for HEED_API_TOKENS' agents."""
    store = overrides.store if overrides.store is not None else PostgresCases(pool(), hashes)
    publisher = overrides.publisher if overrides.publisher is not None else publisher
    clock = overrides.clock if overrides.clock is not None else SystemClock()

    async def tick() -> int:
        """Fire due timers, then publish what a failed publish left behind; returns how much it did."""
        fired = await fire_timers(rules=rules, store=store, publisher=publisher, clock=clock,
                                  notifier=alerting.notifier)
        return fired + await publish_leftovers(store=store, publisher=publisher, clock=clock)

    return Wiring(handlers={
        topics.MENTIONS_CLASSIFIED: partial(route, rules=rules, store=store, publisher=publisher, clock=clock,
                                            alerts=alerting.detector, notifier=alerting.notifier, owners=owners),
        topics.CRM_CUSTOMERS: partial(learn_customers, store=store, publisher=publisher, clock=clock),
        topics.REPLIES: partial(track_replies, rules=rules, store=store, publisher=publisher, clock=clock),
        topics.CRM_VERIFICATIONS: partial(track_verifications, store=store, publisher=publisher, clock=clock),
    }, tick=tick)
