"""The router's handlers: plain async functions over an event batch and the ports they use.

The decisions are pure functions in `domain/`; a handler reads what they need from the store,
calls them, records the outcome and publishes it. `bootstrap.py` hands each handler its ports.
"""

from __future__ import annotations

from collections.abc import Callable

from heed.contracts import topics
from heed.contracts.events import ClassifiedMention, CustomerUpdate
from heed.runtime.messaging import Incoming, Outgoing
from heed.runtime.ports import Clock, EventPublisher
from heed_router.domain.alerts import AlertDetector
from heed_router.domain.cases import KnownCustomer, announce, assign, identity_of, posting_order
from heed_router.domain.rules import RuleTable
from heed_router.ports import AlertNotifier, CaseStore


async def route(batch: list[Incoming[ClassifiedMention]], *, rules: Callable[[], RuleTable], store: CaseStore,
                publisher: EventPublisher, clock: Clock, alerts: AlertDetector, notifier: AlertNotifier) -> None:
    """Put each classified mention on its conversation's case and route it by the rules and the
    customer's tier and owner; publish the routed case and the case event (opened or mention added).

    `rules()` is asked once per batch: a reload while the batch is routed applies to the next one.
    Each mention also feeds the crisis detector; the alerts it raises are published on heed.alerts
    with the batch's events and then handed to the notifier, which never holds routing up. An
    alert whose publish failed stays pending and goes out with the batch's next attempt.
    """
    table = rules()
    batch = sorted(batch, key=lambda item: posting_order(item.event))
    known = await store.customers([identity_of(item.event) for item in batch])
    assignments = [assign(table, item.event, known.get(identity_of(item.event), KnownCustomer()))
                   for item in batch]
    first_mentions = await store.record_routing(assignments)
    now = clock.now()
    out = []
    for item, assignment in zip(batch, assignments, strict=True):
        routed, case_event = announce(assignment, first_mentions[assignment.case_id], now)
        out.append(Outgoing(topics.CASES_ROUTED, routed, routed.mention.conversation_key, item.context))
        out.append(Outgoing(topics.CASE_EVENTS, case_event, str(routed.case_id), item.context))
    for item in sorted(batch, key=lambda item: item.event.mention.received_at):
        alerts.observe(item.event)
    raised = list(alerts.pending)
    context = batch[-1].context if batch else None  # an alert's trace joins the batch that raised it
    out.extend(Outgoing(topics.ALERTS, alert, str(alert.alert_id), context) for alert in raised)
    await publisher.publish(out)
    alerts.acknowledge(raised)
    for alert in raised:
        notifier.notify(alert)


async def learn_customers(batch: list[Incoming[CustomerUpdate]], *, store: CaseStore) -> None:
    """Remember each identity's newest tier and owner, which route its next mentions."""
    await store.apply_customer_updates([item.event for item in batch])
