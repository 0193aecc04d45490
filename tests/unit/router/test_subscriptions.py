"""The router's real subscriptions on faststream's in-memory TestKafkaBroker, wired with fakes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from faststream.kafka import TestKafkaBroker

from heed.contracts import topics
from heed.contracts.events import (
    Alert,
    AlertState,
    CaseEvent,
    CaseEventKind,
    Category,
    ClassifiedMention,
    CustomerTier,
    CustomerUpdate,
    IssueType,
    RoutedCase,
)
from heed_router.app import RouterService
from heed_router.bootstrap import Overrides
from heed_router.settings import RouterSettings
from tests.unit.factories import classification, mention
from tests.unit.router.fakes import FakeCases, FakeNotifier, FixedClock


async def test_a_customer_update_and_a_classified_mention_on_the_broker_route_a_vip_case():
    cases = FakeCases()
    service = RouterService(RouterSettings(kafka_bootstrap="127.0.0.1:1"),
                            overrides=Overrides(store=cases, clock=FixedClock(datetime(2026, 11, 20, tzinfo=UTC))))
    service.register()
    routed: list[RoutedCase] = []
    case_events: list[CaseEvent] = []

    @service.broker.subscriber(topics.CASES_ROUTED)
    async def on_routed(event: RoutedCase) -> None:
        routed.append(event)

    @service.broker.subscriber(topics.CASE_EVENTS)
    async def on_case_event(event: CaseEvent) -> None:
        case_events.append(event)

    m = mention("Where is my parcel?")
    vip = CustomerUpdate(event_id=uuid.uuid4(), customer_id=uuid.uuid4(),
                         identities=[f"{m.channel.value}:{m.author.platform_id}"], tier=CustomerTier.VIP)
    question = ClassifiedMention(event_id=uuid.uuid4(), mention_id=m.mention_id, mention=m,
                                 classification=classification(Category.QUESTION))
    async with TestKafkaBroker(service.broker) as broker:
        await broker.publish(vip.model_dump_json().encode(), topic=topics.CRM_CUSTOMERS)
        await broker.publish(question.model_dump_json().encode(), topic=topics.MENTIONS_CLASSIFIED)

    assert [(r.mention_id, r.customer_tier, r.new_case) for r in routed] == [
        (m.mention_id, CustomerTier.VIP, True)]
    assert [e.kind for e in case_events] == [CaseEventKind.OPENED]
    assert cases.case_of(m.channel.value, m.thread_root).first_mention_id == m.mention_id


async def test_a_burst_of_complaints_on_the_broker_publishes_an_opened_alert_on_heed_alerts():
    notifier = FakeNotifier()
    service = RouterService(RouterSettings(kafka_bootstrap="127.0.0.1:1"),
                            overrides=Overrides(store=FakeCases(), notifier=notifier,
                                                clock=FixedClock(datetime(2026, 11, 20, tzinfo=UTC))))
    service.register()
    alerts: list[Alert] = []

    @service.broker.subscriber(topics.ALERTS)
    async def on_alert(event: Alert) -> None:
        alerts.append(event)

    start = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    async with TestKafkaBroker(service.broker) as broker:
        for i in range(20):
            at = start + timedelta(seconds=3 * i)
            m = mention("It overheated", native_id=f"c{i}", thread_root=f"c{i}", created_at=at, received_at=at)
            complaint = ClassifiedMention(event_id=uuid.uuid4(), mention_id=m.mention_id, mention=m,
                                          classification=classification(Category.COMPLAINT, sentiment=-0.7,
                                                                        issue_type=IssueType.PRODUCT_QUALITY))
            await broker.publish(complaint.model_dump_json().encode(), topic=topics.MENTIONS_CLASSIFIED)

    assert [(a.state, a.topic) for a in alerts] == [(AlertState.OPENED, "product_quality")]
    assert notifier.notified == alerts
