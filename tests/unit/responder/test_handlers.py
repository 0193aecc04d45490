"""The responder's handler with in-memory fakes: one reply per mention, sent once, reported once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

import asyncpg
import pytest

from heed.contracts import topics
from heed.contracts.events import (
    AnswerKind,
    Author,
    CaseAnswer,
    Category,
    Channel,
    CustomerTier,
    CustomerUpdate,
    HandlingMode,
    Reply,
    ReplyKind,
    ReplyStatus,
    RoutedCase,
    Visibility,
)
from heed_responder.bootstrap import bootstrap
from heed_responder.domain.outbox import ERASED, OutboxStatus
from heed_responder.domain.planning import plan, plan_answer
from heed_responder.handlers import deliver_due, learn_customers, respond, send_answers
from heed_responder.settings import ResponderSettings
from tests.unit.factories import batch, classification, mention
from tests.unit.responder.fakes import (
    FakeChannel,
    FakeCustomers,
    FakeOutbox,
    FakePublisher,
    FixedClock,
    shipped_context,
)

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LUMO = shipped_context()
CASE = uuid.uuid4()


class Responder:
    """The handler with its fakes, as bootstrap would wire it."""

    def __init__(self) -> None:
        self.clock = FixedClock(NOW)
        self.outbox, self.channel, self.publisher = FakeOutbox(), FakeChannel(self.clock), FakePublisher()
        self.customers = FakeCustomers()

    async def respond(self, *routed: RoutedCase) -> None:
        await respond(batch(*routed, topic=topics.CASES_ROUTED), outbox=self.outbox, channel=self.channel,
                      customers=self.customers, publisher=self.publisher, context=LUMO, clock=self.clock)

    def replies(self) -> list[Reply]:
        return self.publisher.events(topics.REPLIES, Reply)

    async def answer(self, *answers: CaseAnswer) -> None:
        await send_answers(batch(*answers, topic=topics.CASE_ANSWERS), outbox=self.outbox, channel=self.channel,
                           customers=self.customers, publisher=self.publisher, context=LUMO, clock=self.clock)

    async def learn(self, *updates: CustomerUpdate) -> None:
        await learn_customers(batch(*updates, topic=topics.CRM_CUSTOMERS), customers=self.customers,
                              outbox=self.outbox, channel=self.channel)


def routed_case(mode: HandlingMode = HandlingMode.ANSWER, new_case: bool = True, native_id: str = "n1",
                category: Category = Category.QUESTION, author: str = "u1", received_at: datetime | None = None,
                visibility: Visibility = Visibility.PUBLIC) -> RoutedCase:
    m = mention("Do you ship to Macau?", native_id=native_id, visibility=visibility,
                author=Author(platform_id=author, handle="amy", name="Amy"))
    if received_at is not None:
        m = m.model_copy(update={"received_at": received_at})
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


async def test_a_send_the_channel_refuses_is_reported_failed_with_its_reason():
    responder = Responder()
    responder.channel.refuse("the user blocked the brand")
    await responder.respond(routed_case())

    [reply] = responder.replies()
    assert (reply.status, reply.error, reply.sent_at) == (ReplyStatus.FAILED, "the user blocked the brand", None)
    assert responder.channel.sent == []
    assert [r.status for r in responder.outbox.replies.values()] == [OutboxStatus.FAILED]


async def test_automatic_replies_report_only_themselves_never_a_case_event_and_never_substantive():
    responder = Responder()
    opening, follow_up = routed_case(native_id="n1"), routed_case(new_case=False, native_id="n2")
    await responder.respond(opening, follow_up)

    assert len(responder.channel.sent) == 2
    assert responder.publisher.on(topics.CASE_EVENTS) == []  # the router owns the case's lifecycle
    replies = responder.replies()
    assert [(r.kind, r.author, r.substantive) for r in replies] == [(ReplyKind.AUTO, "heed:responder", False)] * 2
    assert [o.key for o in responder.publisher.on(topics.REPLIES)] == [str(CASE)] * 2


def case_answer(text: str | None = "已經為您補寄，明天送到", *, kind: AnswerKind = AnswerKind.AGENT,
                language: str = "zh", script: Literal["Hans", "Hant"] | None = "Hant", channel: Channel = Channel.WEIBO,
                visibility: Visibility = Visibility.PUBLIC) -> CaseAnswer:
    answer_id = uuid.uuid4()
    return CaseAnswer(event_id=uuid.uuid4(), answer_id=answer_id, case_id=CASE, kind=kind, mention_id=uuid.uuid4(),
                      channel=channel, in_reply_to="n1", recipient_platform_id="u1", visibility=visibility,
                      text=text, language=language, script=script, author="agent:li", department="logistics",
                      received_at=NOW - timedelta(hours=1))


async def test_an_agents_answer_is_sent_once_in_the_customers_traditional_script():
    responder = Responder()
    answer = case_answer("已经为您补寄，明天送到")  # typed in Simplified
    await responder.answer(answer)
    await responder.answer(answer)  # redelivered

    [sent] = responder.channel.sent
    assert sent.text == "已經爲您補寄，明天送到" or sent.text == "已經為您補寄，明天送到"
    assert (sent.kind, sent.author, sent.answer_id, sent.in_reply_to) == ("agent", "agent:li", answer.answer_id, "n1")
    first, again = responder.replies()
    assert first.event_id == again.event_id
    assert (first.kind, first.substantive, first.answer_id, first.status) == (
        ReplyKind.AGENT, True, answer.answer_id, ReplyStatus.SENT)


async def test_a_public_answer_too_long_for_the_channel_fails_with_the_reason_and_is_not_cut():
    responder = Responder()
    await responder.answer(case_answer("很" * 141, script="Hans"))

    assert responder.channel.sent == []
    [reply] = responder.replies()
    assert reply.status is ReplyStatus.FAILED
    assert reply.error == "held by the reply guard: length: 141 of 140 weighted characters on weibo (public reply)"


async def test_a_private_answer_may_be_longer_than_a_public_one():
    responder = Responder()
    await responder.answer(case_answer("Sorry! " * 100, language="en", script=None, channel=Channel.X,
                                       visibility=Visibility.PRIVATE))
    [sent] = responder.channel.sent
    assert len(sent.text or "") == 700 and sent.visibility == "private"


@pytest.mark.parametrize(("language", "script", "expected"), [
    ("th", None, "ตอบกลับด้วยตัวเลข 1"), ("zh", "Hant", "這次服務打分"), ("zh", "Hans", "请为这次服务打分"),
    ("en", None, "Reply with one number from 1"), ("fr", None, "Reply with one number from 1"),
])
async def test_the_follow_up_asks_for_a_rating_in_the_customers_language_and_script(language, script, expected):
    responder = Responder()
    await responder.answer(case_answer(None, kind=AnswerKind.FOLLOW_UP, language=language, script=script))
    [sent] = responder.channel.sent
    assert expected in (sent.text or "") and "Lumo" in (sent.text or "") and len(sent.text or "") <= 140
    [reply] = responder.replies()
    assert (reply.kind, reply.substantive) == (ReplyKind.FOLLOW_UP, False)


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


def customer_update(identity: str, version: int, *, name: str | None = None, language: str | None = None,
                    erased: bool = False) -> CustomerUpdate:
    return CustomerUpdate(event_id=uuid.uuid4(), occurred_at=NOW, customer_id=uuid.uuid4(), identities=[identity],
                          version=version, display_name=name, language=language, erased=erased)


async def test_a_customer_is_greeted_in_private_by_the_name_on_record_in_the_language_on_record():
    responder = Responder()
    await responder.learn(customer_update("weibo:u1", 7, name="Mei-Ling Chan", language="zh-Hant"))
    await responder.respond(routed_case(visibility=Visibility.PRIVATE))

    [sent] = responder.channel.sent
    assert (sent.text or "").startswith("Mei-Ling Chan您好") and (sent.language, sent.script) == ("zh", "Hant")
    [reply] = responder.replies()
    assert (reply.language, reply.script, reply.text) == ("zh", "Hant", sent.text)


async def test_an_older_announcement_never_overwrites_a_newer_one():
    responder = Responder()
    await responder.learn(customer_update("weibo:u1", 7, name="Mei-Ling Chan"))
    await responder.learn(customer_update("weibo:u1", 6, name="M. Chan", language="th"))  # late, out of order
    await responder.respond(routed_case(visibility=Visibility.PRIVATE))
    [sent] = responder.channel.sent
    assert (sent.text or "").startswith("Hi Mei-Ling Chan,") and sent.language == "en"


async def test_an_erasure_forgets_the_customer_and_cancels_what_was_not_sent():
    responder = Responder()
    await responder.learn(customer_update("weibo:u1", 7, name="Mei-Ling Chan"))
    answered, other = routed_case(native_id="n1"), routed_case(native_id="n9", author="u2")
    await responder.respond(answered, other)  # both sent
    waiting = routed_case(native_id="n2")
    await responder.outbox.enqueue([plan(waiting, LUMO)])  # queued, not yet sent
    answer = case_answer()
    await responder.outbox.enqueue([plan_answer(answer, LUMO)])
    reported = len(responder.replies())

    await responder.learn(customer_update("weibo:u1", 8, erased=True))

    theirs = [r for r in responder.outbox.replies.values() if r.case_id == CASE and r.mention_id != other.mention_id]
    assert len(theirs) == 3 and all(r.erased and (r.text, r.recipient, r.in_reply_to) == (None, "", "")
                                    for r in theirs)
    assert sorted(r.status for r in theirs) == [OutboxStatus.FAILED, OutboxStatus.FAILED, OutboxStatus.SENT]
    assert {r.error for r in theirs if r.status is OutboxStatus.FAILED} == {ERASED}
    assert [r.recipient for r in responder.channel.sent] == ["u2"]  # the channel's copies to u1 are gone
    [kept] = [r for r in responder.outbox.replies.values() if r.mention_id == other.mention_id]
    assert kept.recipient == "u2" and kept.text is not None and not kept.erased  # another customer's stays
    # nothing is sent or said of them again: a redelivery, a late answer, the tick
    await responder.respond(answered, waiting)
    await responder.answer(answer, case_answer())
    await deliver_due(outbox=responder.outbox, channel=responder.channel, publisher=responder.publisher,
                      clock=responder.clock)
    assert [r.recipient for r in responder.channel.sent] == ["u2"] and len(responder.replies()) == reported
    assert "Mei-Ling Chan" not in str(responder.outbox.replies) + str(responder.customers.versions)


async def test_an_older_announcement_never_brings_an_erased_customer_back():
    responder = Responder()
    await responder.learn(customer_update("weibo:u1", 8, erased=True))
    await responder.learn(customer_update("weibo:u1", 7, name="Mei-Ling Chan", language="th"))
    later = routed_case(received_at=NOW + timedelta(minutes=5))  # written after the erasure: a new conversation
    await responder.respond(later)
    [sent] = responder.channel.sent
    assert (sent.text or "").startswith("Hi Amy,") and sent.language == "en"  # the greeting before any record
