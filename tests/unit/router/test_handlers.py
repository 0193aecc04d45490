"""The router's handlers with in-memory fakes: cases opened and joined, routing by learnt tiers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka.errors import KafkaTimeoutError

from heed.contracts import topics
from heed.contracts.events import (
    Alert,
    AlertState,
    Author,
    CaseEvent,
    CaseEventKind,
    Category,
    Classification,
    ClassifiedMention,
    CustomerTier,
    CustomerUpdate,
    HandlingMode,
    IssueType,
    RoutedCase,
)
from heed_router.domain.alerts import AlertDetector
from heed_router.handlers import learn_customers, route
from tests.unit.factories import batch, classification, mention
from tests.unit.router.builtin_rules import SHIPPED_RULES
from tests.unit.router.fakes import FakeCases, FakeNotifier, FakePublisher, FixedClock

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
POSTED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def classified(native_id: str = "n1", thread_root: str = "n1", minutes: int = 0, author: str = "u1",
               c: Classification | None = None) -> ClassifiedMention:
    at = POSTED + timedelta(minutes=minutes)
    m = mention("How do I reset my robot vacuum?", native_id=native_id, thread_root=thread_root, created_at=at,
                received_at=at, author=Author(platform_id=author, handle="amy", name="Amy"))
    return ClassifiedMention(event_id=uuid.uuid4(), mention_id=m.mention_id, mention=m,
                             classification=c or classification(Category.QUESTION))


async def run_route(cases: FakeCases, publisher: FakePublisher, *events: ClassifiedMention,
                    alerts: AlertDetector | None = None, notifier: FakeNotifier | None = None) -> None:
    await route(batch(*events, topic=topics.MENTIONS_CLASSIFIED), rules=lambda: SHIPPED_RULES, store=cases,
                publisher=publisher, clock=FixedClock(NOW), alerts=alerts or AlertDetector(),
                notifier=notifier or FakeNotifier())


async def test_a_classified_mention_opens_one_case_and_announces_it_routed_and_opened():
    cases, publisher = FakeCases(), FakePublisher()
    question = classified()
    await run_route(cases, publisher, question)

    [routed] = publisher.events(topics.CASES_ROUTED, RoutedCase)
    [opened] = publisher.events(topics.CASE_EVENTS, CaseEvent)
    assert routed.new_case and routed.mention_id == question.mention_id
    assert (routed.department, routed.handling_mode) == ("customer-service", HandlingMode.ANSWER)
    assert routed.sla_due_at == question.mention.received_at + timedelta(minutes=15)
    assert (opened.kind, opened.case_id, opened.department) == (CaseEventKind.OPENED, routed.case_id,
                                                                "customer-service")
    assert routed.occurred_at == opened.occurred_at == NOW
    assert cases.case_of("weibo", "n1").first_mention_id == question.mention_id
    # the routed case travels with its conversation, the case event with its case
    assert [o.key for o in publisher.published] == [question.mention.conversation_key, str(routed.case_id)]


async def test_a_follow_up_in_the_thread_joins_the_case_and_is_announced_as_added():
    cases, publisher = FakeCases(), FakePublisher()
    first, follow_up = classified("n1"), classified("n2", thread_root="n1", minutes=5)
    await run_route(cases, publisher, first)
    await run_route(cases, publisher, follow_up)

    opening, joining = publisher.events(topics.CASES_ROUTED, RoutedCase)
    assert joining.case_id == opening.case_id and not joining.new_case
    assert [e.kind for e in publisher.events(topics.CASE_EVENTS, CaseEvent)] == [
        CaseEventKind.OPENED, CaseEventKind.MENTION_ADDED]
    assert len(cases.cases) == 1


async def test_the_earliest_mention_opens_the_case_whatever_the_order_in_the_batch():
    cases, publisher = FakeCases(), FakePublisher()
    first, follow_up = classified("n1"), classified("n2", thread_root="n1", minutes=5)
    await run_route(cases, publisher, follow_up, first)

    opened = {r.mention_id: r.new_case for r in publisher.events(topics.CASES_ROUTED, RoutedCase)}
    assert opened == {first.mention_id: True, follow_up.mention_id: False}


async def test_a_redelivered_mention_announces_the_same_routing_and_changes_no_case():
    cases, publisher = FakeCases(), FakePublisher()
    question = classified()
    await run_route(cases, publisher, question)
    await run_route(cases, publisher, question)

    once, again = publisher.events(topics.CASES_ROUTED, RoutedCase)
    assert again.event_id == once.event_id and again.new_case
    [opened] = publisher.events(topics.CASE_EVENTS, CaseEvent)  # the case did not change again
    assert opened.kind is CaseEventKind.OPENED and opened.event_id in cases.published
    assert len(cases.cases) == 1 and len(cases.routed) == 1


async def test_a_vip_tier_learnt_from_the_crm_raises_priority_and_halves_the_sla():
    cases, publisher = FakeCases(), FakePublisher()
    await run_route(cases, publisher, classified("n1", author="u1"))
    vip = CustomerUpdate(event_id=uuid.uuid4(), customer_id=uuid.uuid4(), identities=["weibo:u2"],
                         tier=CustomerTier.VIP, owner="kam", version=2)
    await learn_customers(batch(vip, topic=topics.CRM_CUSTOMERS), store=cases, publisher=publisher,
                          clock=FixedClock(NOW))
    await run_route(cases, publisher, classified("n2", thread_root="n2", author="u2"))

    standard, important = publisher.events(topics.CASES_ROUTED, RoutedCase)
    assert (standard.customer_tier, important.customer_tier) == (CustomerTier.STANDARD, CustomerTier.VIP)
    assert important.priority == standard.priority + 20
    assert important.sla_due_at - important.mention.received_at == timedelta(minutes=7.5)


async def test_an_older_crm_version_arriving_late_does_not_undo_a_newer_tier():
    cases, publisher = FakeCases(), FakePublisher()
    newer = CustomerUpdate(event_id=uuid.uuid4(), customer_id=uuid.uuid4(), identities=["weibo:u1"],
                           tier=CustomerTier.VIP, version=3)
    older = newer.model_copy(update={"event_id": uuid.uuid4(), "tier": CustomerTier.STANDARD, "version": 2})
    await learn_customers(batch(newer, older, topic=topics.CRM_CUSTOMERS), store=cases, publisher=publisher,
                          clock=FixedClock(NOW))
    await run_route(cases, publisher, classified(author="u1"))

    [routed] = publisher.events(topics.CASES_ROUTED, RoutedCase)
    assert routed.customer_tier is CustomerTier.VIP


def complaint(i: int, seconds: float) -> ClassifiedMention:
    at = POSTED + timedelta(seconds=seconds)
    m = mention("My vacuum caught fire", native_id=f"c{i}", thread_root=f"c{i}", created_at=at, received_at=at,
                author=Author(platform_id=f"u{i}"))
    return ClassifiedMention(event_id=uuid.uuid4(), mention_id=m.mention_id, mention=m,
                             classification=classification(Category.COMPLAINT, sentiment=-0.8,
                                                           issue_type=IssueType.PRODUCT_QUALITY))


async def test_a_spike_of_complaints_publishes_one_incident_on_heed_alerts_and_notifies_it():
    cases, publisher, detector, notifier = FakeCases(), FakePublisher(), AlertDetector(), FakeNotifier()
    complaints = [complaint(i, seconds=2 * i) for i in range(60)]
    for start in range(0, 60, 20):  # three batches, as the Stage delivers them
        await run_route(cases, publisher, *complaints[start:start + 20], alerts=detector, notifier=notifier)

    published = publisher.events(topics.ALERTS, Alert)
    assert published[0].state is AlertState.OPENED
    assert len({a.alert_id for a in published}) == 1
    assert {a.state for a in published} <= {AlertState.OPENED, AlertState.UPDATED}
    assert published[0].topic == "product_quality" and published[0].example_mention_ids[0] == complaints[0].mention_id
    assert [o.key for o in publisher.on(topics.ALERTS)] == [str(published[0].alert_id)] * len(published)
    assert notifier.notified == published
    # every mention was still routed
    assert len(publisher.events(topics.CASES_ROUTED, RoutedCase)) == 60


async def test_an_alert_whose_publish_failed_goes_out_with_the_next_attempt_and_only_once():
    cases, detector, notifier = FakeCases(), AlertDetector(), FakeNotifier()
    complaints = batch(*[complaint(i, seconds=2 * i) for i in range(20)], topic=topics.MENTIONS_CLASSIFIED)
    failing = FakePublisher(failures=1)
    kwargs = dict(rules=lambda: SHIPPED_RULES, store=cases, publisher=failing, clock=FixedClock(NOW), alerts=detector,
                  notifier=notifier)
    with pytest.raises(KafkaTimeoutError):
        await route(complaints, **kwargs)  # type: ignore[arg-type]
    assert notifier.notified == []
    await route(complaints, **kwargs)  # type: ignore[arg-type]
    await route(complaints, **kwargs)  # type: ignore[arg-type]

    [opened] = failing.events(topics.ALERTS, Alert)
    assert opened.state is AlertState.OPENED and notifier.notified == [opened]


async def test_routine_questions_raise_no_alert():
    cases, publisher = FakeCases(), FakePublisher()
    await run_route(cases, publisher, *[classified(f"q{i}", thread_root=f"q{i}") for i in range(60)])
    assert publisher.on(topics.ALERTS) == []


async def test_a_routed_mention_keeps_its_classification_for_the_console():
    cases, publisher = FakeCases(), FakePublisher()
    complaint = classified(c=classification(Category.COMPLAINT, issue_type=IssueType.BILLING, sentiment=-0.8,
                                            explanation="category complaint from '扣款'", model_version="lin-5"))
    await run_route(cases, publisher, complaint)
    row = cases.routed[complaint.mention_id]
    assert (row.category, row.issue_type, row.sentiment, row.explanation, row.model_version) == (
        "complaint", "billing", -0.8, "category complaint from '扣款'", "lin-5")
