"""The responder's real subscription on faststream's in-memory TestKafkaBroker, wired with fakes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from faststream.kafka import TestKafkaBroker

from heed.contracts import topics
from heed.contracts.events import (
    AnswerKind,
    CaseAnswer,
    CaseEvent,
    Channel,
    CustomerUpdate,
    HandlingMode,
    Reply,
    ReplyKind,
    ReplyStatus,
    RoutedCase,
    Visibility,
)
from heed_responder.app import ResponderService
from heed_responder.bootstrap import Overrides
from heed_responder.settings import ResponderSettings
from tests.unit.factories import classification, mention
from tests.unit.responder.fakes import FakeChannel, FakeCustomers, FakeOutbox, FixedClock


def _registered() -> tuple[ResponderService, FakeChannel]:
    """The responder subscribed, wired with fakes, and its channel."""
    clock = FixedClock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    channel = FakeChannel(clock)
    service = ResponderService(ResponderSettings(kafka_bootstrap="127.0.0.1:1"),
                               overrides=Overrides(outbox=FakeOutbox(), channel=channel, clock=clock,
                                                   customers=FakeCustomers()))
    service.register()
    return service, channel

async def test_a_routed_case_delivered_twice_on_the_broker_is_answered_once():
    service, channel = _registered()
    replies: list[Reply] = []
    case_events: list[CaseEvent] = []

    @service.broker.subscriber(topics.REPLIES)
    async def on_reply(event: Reply) -> None:
        replies.append(event)

    @service.broker.subscriber(topics.CASE_EVENTS)
    async def on_case_event(event: CaseEvent) -> None:
        case_events.append(event)

    m = mention("How do I reset my robot vacuum?", Channel.FACEBOOK)
    routed = RoutedCase(event_id=uuid.uuid4(), mention_id=m.mention_id, case_id=uuid.uuid4(), mention=m,
                        classification=classification(), department="technical-support",
                        handling_mode=HandlingMode.ANSWER, priority=60,
                        sla_due_at=m.received_at + timedelta(minutes=15), rule_id="usage-general")
    async with TestKafkaBroker(service.broker) as broker:
        for _ in range(2):
            await broker.publish(routed.model_dump_json().encode(), topic=topics.CASES_ROUTED)

    [sent] = channel.sent
    # a question the knowledge base knows is answered, not only promised an answer
    assert sent.text is not None and "hold the power and home buttons" in sent.text and sent.text.endswith("– Lumo")
    assert sent.substantive and sent.template_id is not None and sent.template_id.startswith("kb:reset-vacuum/en")
    assert {(r.mention_id, r.status, r.text) for r in replies} == {(m.mention_id, ReplyStatus.SENT, sent.text)}
    assert case_events == []  # the router announces what a reply did to the case


async def test_an_answer_on_heed_cases_answers_is_sent_once_and_reported_on_heed_replies():
    service, channel = _registered()
    replies: list[Reply] = []

    @service.broker.subscriber(topics.REPLIES)
    async def on_reply(event: Reply) -> None:
        replies.append(event)

    answer = CaseAnswer(event_id=uuid.uuid4(), answer_id=uuid.uuid4(), case_id=uuid.uuid4(), kind=AnswerKind.AGENT,
                        mention_id=uuid.uuid4(), channel=Channel.X, in_reply_to="p1", recipient_platform_id="u1",
                        visibility=Visibility.PUBLIC, text="Refund sent today.", language="en", author="agent:li",
                        department="billing", received_at=channel.clock.now())
    async with TestKafkaBroker(service.broker) as broker:
        for _ in range(2):
            await broker.publish(answer.model_dump_json().encode(), topic=topics.CASE_ANSWERS)

    [sent] = channel.sent
    assert sent.text == "Refund sent today." and sent.answer_id == answer.answer_id
    assert {(r.answer_id, r.kind, r.status) for r in replies} == {(answer.answer_id, ReplyKind.AGENT, ReplyStatus.SENT)}


async def test_a_customer_update_on_heed_crm_customers_names_the_customer_in_the_next_private_reply():
    service, channel = _registered()
    m = mention("my parcel is late", Channel.FACEBOOK, visibility=Visibility.PRIVATE)
    update = CustomerUpdate(event_id=uuid.uuid4(), customer_id=uuid.uuid4(), identities=["facebook:u1"], version=3,
                            display_name="Mei-Ling Chan", language="en")
    routed = RoutedCase(event_id=uuid.uuid4(), mention_id=m.mention_id, case_id=uuid.uuid4(), mention=m,
                        classification=classification(), department="logistics", handling_mode=HandlingMode.HOLDING,
                        priority=60, sla_due_at=m.received_at + timedelta(hours=2), rule_id="r")
    async with TestKafkaBroker(service.broker) as broker:
        await broker.publish(update.model_dump_json().encode(), topic=topics.CRM_CUSTOMERS)
        await broker.publish(routed.model_dump_json().encode(), topic=topics.CASES_ROUTED)

    [sent] = channel.sent
    assert (sent.text or "").startswith("Hi Mei-Ling Chan,")
