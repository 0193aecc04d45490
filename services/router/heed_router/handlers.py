"""The router's handlers: plain async functions over an event batch (or a tick) and the ports they use.

The decisions are pure functions in `domain/`; a handler reads what they need from the store (in
one transaction, the cases it changes locked), calls them and saves the outcome with its events
and answers. A consumer's handler publishes them before the transaction commits: if the publish
fails the change rolls back and the broker delivers the batch again; if the commit fails after
the publish, the redelivery announces the same events again (their ids derive from their causes).
The timer tick and the desk have no redelivery: they publish after the commit and mark what the
broker took; `publish_leftovers` sends what a failed publish left behind.
`bootstrap.py` hands each handler its ports.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta

from heed.contracts import topics
from heed.contracts.events import (
    CaseAnswer,
    CaseEvent,
    CaseEventKind,
    ClassifiedMention,
    CustomerUpdate,
    CustomerVerified,
    Reply,
)
from heed.runtime.messaging import Incoming, Outgoing
from heed.runtime.ports import Clock, EventPublisher
from heed_router.domain.alerts import AlertDetector
from heed_router.domain.cases import (
    KnownCustomer,
    escalation_of,
    identity_of,
    plan_routing,
    posting_order,
    routed_case,
)
from heed_router.domain.customers import OwnerAgents, asked, forget_cases, learn
from heed_router.domain.lifecycle import Change, Timer, accumulate, on_reply, on_timer, on_verified
from heed_router.domain.rules import RuleTable
from heed_router.ports import AlertNotifier, CaseStore

LEFTOVER_AGE = timedelta(seconds=5)  # a publish still in flight is younger than this


def outgoing(events: Iterable[CaseEvent], answers: Iterable[CaseAnswer], context: object = None) -> list[Outgoing]:
    """Case events and answers as messages, keyed by case: one case's events keep their order."""
    out = [Outgoing(topics.CASE_EVENTS, e, str(e.case_id), context) for e in events]  # type: ignore[arg-type]
    out += [Outgoing(topics.CASE_ANSWERS, a, str(a.case_id), context) for a in answers]  # type: ignore[arg-type]
    return out


async def publish_changes(changes: Sequence[Change], *, store: CaseStore, publisher: EventPublisher,
                          notifier: AlertNotifier | None = None) -> None:
    """Publish committed changes' events and answers (the tick's, the desk's), then mark them published."""
    events = [e for c in changes for e in c.events]
    answers = [a for c in changes for a in c.answers]
    await publisher.publish(outgoing(events, answers))
    await store.mark_published([e.event_id for e in events], [a.answer_id for a in answers])
    if notifier is not None:
        for change in changes:
            if change.notify:
                notifier.notify(next(e for e in reversed(change.events) if e.kind is CaseEventKind.SLA_BREACHED))


async def route(batch: list[Incoming[ClassifiedMention]], *, rules: Callable[[], RuleTable], store: CaseStore,
                publisher: EventPublisher, clock: Clock, alerts: AlertDetector, notifier: AlertNotifier,
                owners: OwnerAgents = OwnerAgents()) -> None:
    """Put each classified mention on its conversation's case (opening, joining, reopening it) and
    announce its routing and the case's events.

    `rules()` is asked once per batch: a reload while the batch is routed applies to the next one.
    A mention already routed (a redelivery) keeps its recorded routing and announces it again.
    Each mention also feeds the crisis detector; the alerts it raises are published on heed.alerts
    with the batch's events and then handed to the notifier, which never holds routing up. An
    alert whose publish failed stays pending and goes out with the batch's next attempt. A new case
    of a customer whose CRM owner `owners` knows as an agent is reserved for them.
    """
    table = rules()
    batch = sorted(batch, key=lambda item: posting_order(item.event))
    known = await store.customers([identity_of(item.event) for item in batch])
    now = clock.now()
    async with store.unit() as unit:
        recorded = await unit.routed([item.event.mention_id for item in batch])
        fresh: dict[uuid.UUID, ClassifiedMention] = {}
        for item in batch:
            if item.event.mention_id not in recorded:
                fresh.setdefault(item.event.mention_id, item.event)
        current = await unit.conversations(sorted({(m.mention.channel.value, m.mention.thread_root)
                                                   for m in fresh.values()}))
        plan = plan_routing(table, list(fresh.values()), known, current, now, owners)
        changes = list(plan.changes.values())
        await unit.save(changes, plan.routed, published=True)
        rows = {**recorded, **{r.mention_id: r for r in plan.routed}}
        out = []
        for item in batch:
            tier = known.get(identity_of(item.event), KnownCustomer()).tier
            routed = routed_case(rows[item.event.mention_id], item.event, tier, now)
            out.append(Outgoing(topics.CASES_ROUTED, routed, routed.mention.conversation_key, item.context))
        for item in sorted(batch, key=lambda item: item.event.mention.received_at):
            alerts.observe(item.event)
        raised = list(alerts.pending)
        context = batch[-1].context if batch else None  # an alert's trace joins the batch that raised it
        out.extend(Outgoing(topics.ALERTS, alert, str(alert.alert_id), context) for alert in raised)
        if raised:
            await store.record_alerts(raised)
        # published before the commit: a failed publish rolls the routing back and the batch comes again
        await publisher.publish([*out, *outgoing([e for c in changes for e in c.events], [], context)])
    alerts.acknowledge(raised)
    for alert in raised:
        notifier.notify(alert)


async def track_replies(batch: list[Incoming[Reply]], *, rules: Callable[[], RuleTable], store: CaseStore,
                        publisher: EventPublisher, clock: Clock) -> None:
    """Move each case on by what the responder sent: acknowledged and queued, answered and awaiting
    the customer (the first substantive answer is the first response), follow-up sent; a failed
    answer goes back to the queue."""
    table = rules()
    replies = sorted((item.event for item in batch), key=lambda r: (r.sent_at or r.occurred_at, str(r.reply_id)))
    now = clock.now()
    async with store.unit() as unit:
        cases = await unit.cases(sorted({r.case_id for r in replies}))
        changes: dict[uuid.UUID, Change] = {}
        for reply in replies:
            case = cases.get(reply.case_id)
            if case is None:  # a reply to a case this router never saw: nothing to move
                continue
            change = on_reply(case, reply, reopen_window=table.lifecycle.reopen_window, now=now)
            cases[case.case_id] = change.case
            if change.events or change.case != case:
                accumulate(changes, change)
        await unit.save(list(changes.values()), published=True)
        await unit.answer_outcomes([r for r in replies if r.answer_id is not None])
        # published before the commit: a failed publish rolls the change back and the batch comes again
        await publisher.publish(outgoing([e for c in changes.values() for e in c.events], [],
                                         batch[-1].context if batch else None))


async def track_verifications(batch: list[Incoming[CustomerVerified]], *, store: CaseStore,
                              publisher: EventPublisher, clock: Clock) -> None:
    """Say on each case that its customer confirmed who they are (crm-sync's secure page)."""
    now = clock.now()
    async with store.unit() as unit:
        cases = await unit.cases(sorted({item.event.case_id for item in batch}))
        changes: dict[uuid.UUID, Change] = {}
        for item in batch:
            case = cases.get(item.event.case_id)
            if case is not None:  # a case this router never saw: nothing to say it on
                change = on_verified(case, item.event, now)
                cases[case.case_id] = change.case
                accumulate(changes, change)
        await unit.save(list(changes.values()), published=True)
        await publisher.publish(outgoing([e for c in changes.values() for e in c.events], [],
                                         batch[-1].context if batch else None))


async def learn_customers(batch: list[Incoming[CustomerUpdate]], *, store: CaseStore, publisher: EventPublisher,
                          clock: Clock) -> None:
    """Remember each identity's newest tier, owner, follow-up consent and customer (a merge's
    survivor), which route its next mentions and give it its queue turns; forget erased customers:
    their identities, and their cases' personal data (the cases close, their figures stay)."""
    updates = [item.event for item in batch]
    now = clock.now()
    async with store.unit() as unit:
        learning = learn(updates, await unit.held_customers(*asked(updates)))
        erased = sorted({i for e in learning.erasures for i in e.identities})
        cases = await unit.customer_cases(erased) if erased else {}
        forgetting, changes = forget_cases(learning.erasures, cases, now)
        if forgetting:
            await unit.forget(forgetting)  # before the changes: their own events keep their details
        await unit.save(changes, published=True)
        await unit.remember(learning)
        # published before the commit: a failed publish rolls it all back and the batch comes again
        await publisher.publish(outgoing([e for c in changes for e in c.events], [],
                                         batch[-1].context if batch else None))


async def fire_timers(*, rules: Callable[[], RuleTable], store: CaseStore, publisher: EventPublisher, clock: Clock,
                      notifier: AlertNotifier, limit: int = 200) -> int:
    """Fire the timers due now (persisted, so a restart only delays them): SLA warnings and breaches
    with their escalation, lapsed claims, follow-ups, closes. Returns how many fired."""
    table = rules()
    now = clock.now()
    async with store.unit() as unit:
        due = await unit.take_due_timers(now, limit)
        if not due:
            return 0
        ids = sorted({t.case_id for t in due})
        cases = await unit.cases(ids)
        targets = await unit.targets([t.case_id for t in due if t.timer is Timer.FOLLOW_UP])
        changes: dict[uuid.UUID, Change] = {}
        for timer in due:
            case = cases.get(timer.case_id)
            if case is None:
                continue
            change = on_timer(case, timer.timer, due=timer.due_at, escalation=escalation_of(table, case),
                              target=targets.get(case.case_id), now=now)
            cases[case.case_id] = change.case
            accumulate(changes, change)
        await unit.save(list(changes.values()), fired=due)
    await publish_changes(list(changes.values()), store=store, publisher=publisher, notifier=notifier)
    return len(due)


async def publish_leftovers(*, store: CaseStore, publisher: EventPublisher, clock: Clock, limit: int = 500) -> int:
    """Publish events and answers saved but never published (the broker failed after a commit)."""
    events, answers = await store.unpublished(clock.now() - LEFTOVER_AGE, limit)
    if not events and not answers:
        return 0
    await publisher.publish(outgoing(events, answers))
    await store.mark_published([e.event_id for e in events], [a.answer_id for a in answers])
    return len(events) + len(answers)
