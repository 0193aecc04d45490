"""The responder's handler with in-memory fakes: one reply per mention, sent once, reported once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from heed.contracts import topics
from heed.contracts.events import (
    CaseEvent,
    CaseEventKind,
    Category,
    CustomerTier,
    HandlingMode,
    Reply,
    ReplyStatus,
    RoutedCase,
)
from heed_responder.bootstrap import bootstrap
from heed_responder.domain.outbox import OutboxStatus
from heed_responder.domain.planning import ReplyContext
from heed_responder.handlers import respond
from heed_responder.settings import ResponderSettings
from tests.unit.factories import batch, classification, mention
from tests.unit.responder.fakes import FakeChannel, FakeOutbox, FakePublisher, FixedClock

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LUMO = ReplyContext(brand="Lumo", hotline="400-820-0000")
CASE = uuid.uuid4()


class Responder:
    """The handler with its fakes, as bootstrap would wire it."""

    def __init__(self) -> None:
        self.clock = FixedClock(NOW)
        self.outbox, self.channel, self.publisher = FakeOutbox(), FakeChannel(self.clock), FakePublisher()

    async def respond(self, *routed: RoutedCase) -> None:
        await respond(batch(*routed, topic=topics.CASES_ROUTED), outbox=self.outbox, channel=self.channel,
                      publisher=self.publisher, context=LUMO, clock=self.clock)

    def replies(self) -> list[Reply]:
        return self.publisher.events(topics.REPLIES, Reply)

    def first_responses(self) -> list[CaseEvent]:
        return [e for e in self.publisher.events(topics.CASE_EVENTS, CaseEvent)
                if e.kind is CaseEventKind.FIRST_RESPONSE]


def routed_case(mode: HandlingMode = HandlingMode.ANSWER, new_case: bool = True, native_id: str = "n1",
                category: Category = Category.QUESTION) -> RoutedCase:
    m = mention("How do I reset my robot vacuum?", native_id=native_id)
    return RoutedCase(event_id=uuid.uuid4(), mention_id=m.mention_id, case_id=CASE, mention=m,
                      classification=classification(category), department="customer-service",
                      handling_mode=mode, priority=50, sla_due_at=m.received_at + timedelta(minutes=15),
                      rule_id="question", customer_tier=CustomerTier.STANDARD, new_case=new_case)


async def test_a_routed_case_gets_one_reply_sent_through_the_channel_and_reported_sent():
    responder, question = Responder(), routed_case()
    await responder.respond(question)

    [sent] = responder.channel.sent
    assert sent.text is not None and sent.text.startswith("Hi Amy") and "customer service" in sent.text
    assert (sent.in_reply_to, sent.recipient, sent.visibility) == ("n1", "u1", "public")
    [reply] = responder.replies()
    assert (reply.status, reply.text, reply.sent_at) == (ReplyStatus.SENT, sent.text, NOW)
    assert reply.mention_id == question.mention_id and reply.occurred_at == NOW
    assert [r.status for r in responder.outbox.replies.values()] == [OutboxStatus.SENT]


async def test_a_redelivered_case_is_sent_nothing_twice_and_reports_the_same_reply():
    responder, question = Responder(), routed_case()
    await responder.respond(question)
    await responder.respond(question)
    await responder.respond(question, question)

    assert len(responder.channel.sent) == 1
    assert len({r.event_id for r in responder.replies()}) == 1


async def test_a_send_the_channel_refuses_is_reported_failed_with_its_reason_and_no_first_response():
    responder = Responder()
    responder.channel.refuse("the user blocked the brand")
    await responder.respond(routed_case())

    [reply] = responder.replies()
    assert (reply.status, reply.error, reply.sent_at) == (ReplyStatus.FAILED, "the user blocked the brand", None)
    assert responder.channel.sent == [] and responder.first_responses() == []
    assert [r.status for r in responder.outbox.replies.values()] == [OutboxStatus.FAILED]


async def test_the_first_response_is_announced_once_for_a_new_case_and_never_for_its_follow_ups():
    responder = Responder()
    opening, follow_up = routed_case(native_id="n1"), routed_case(new_case=False, native_id="n2")
    await responder.respond(opening, follow_up)
    await responder.respond(opening)

    assert len(responder.channel.sent) == 2
    announced = responder.first_responses()
    assert {e.event_id for e in announced} == {announced[0].event_id}
    assert (announced[0].case_id, announced[0].mention_id) == (CASE, opening.mention_id)


async def test_spam_is_never_answered_nor_reported():
    responder = Responder()
    await responder.respond(routed_case(HandlingMode.IGNORE, category=Category.SPAM))

    assert responder.channel.sent == [] and responder.publisher.published == []
    assert [r.status for r in responder.outbox.replies.values()] == [OutboxStatus.IGNORED]


def test_an_unknown_channel_adapter_is_refused_with_the_setting_and_the_choices():
    def no_database() -> asyncpg.Pool:
        raise AssertionError("the database is not needed to refuse a setting")

    with pytest.raises(ValueError, match=r"'carrier-pigeon' \(HEED_RESPONDER_CHANNEL_ADAPTER\); available: sandbox"):
        bootstrap(ResponderSettings(responder_channel_adapter="carrier-pigeon"), pool=no_database,
                  publisher=FakePublisher())
