"""The router's real subscriptions on faststream's in-memory TestKafkaBroker, wired with fakes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from faststream.kafka import TestKafkaBroker

from heed.contracts import topics
from heed.contracts.events import (
    CaseEvent,
    CaseEventKind,
    Category,
    ClassifiedMention,
    CustomerTier,
    CustomerUpdate,
    RoutedCase,
)
from heed_router.app import RouterService
from heed_router.bootstrap import Overrides
from heed_router.settings import RouterSettings
from tests.unit.factories import classification, mention
from tests.unit.router.fakes import FakeCases, FixedClock


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
    assert cases.first_mention == {routed[0].case_id: m.mention_id}
