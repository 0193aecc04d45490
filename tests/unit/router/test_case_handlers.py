"""The router's lifecycle handlers with in-memory fakes: replies move cases, timers fire once and
escalate, a failed publish is sent later by the tick, a closed conversation's next mention opens a
new case, a chaser raises urgency without moving the case."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka.errors import KafkaTimeoutError

from heed.contracts import topics
from heed.contracts.events import (
    Author,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    Category,
    ClassifiedMention,
    CustomerUpdate,
    HandlingMode,
    IssueType,
    Reply,
    ReplyKind,
    ReplyStatus,
    RoutedCase,
    Urgency,
    Visibility,
)
from heed_router.domain import lifecycle
from heed_router.domain.alerts import AlertDetector
from heed_router.domain.customers import OwnerAgents
from heed_router.domain.lifecycle import Timer
from heed_router.handlers import fire_timers, learn_customers, publish_leftovers, route, track_replies
from tests.unit.factories import batch, classification, mention
from tests.unit.router.builtin_rules import SHIPPED_RULES
from tests.unit.router.fakes import FakeCases, FakeNotifier, FakePublisher, FakeUnit, FixedClock

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def complaint(native_id: str = "p1", thread_root: str = "p1", text: str = "My parcel is late", *,
              minutes: float = 0, author: str = "u1") -> ClassifiedMention:
    at = T0 + timedelta(minutes=minutes)
    m = mention(text, native_id=native_id, thread_root=thread_root, created_at=at, received_at=at,
                author=Author(platform_id=author))
    return ClassifiedMention(event_id=uuid.uuid4(), mention_id=m.mention_id, mention=m, classification=classification(
        Category.COMPLAINT, issue_type=IssueType.SHIPPING_DELIVERY, sentiment=-0.3))


# HEED_ROUTER_OWNER_AGENTS for the agents of HEED_API_TOKENS: a Salesforce OwnerId mapped to kam
OWNERS = OwnerAgents.parse("005Hs00000AbCdE=kam", agents=["kam", "li", "bo"])


class Router:
    def __init__(self) -> None:
        self.cases, self.publisher, self.clock, self.notifier = FakeCases(), FakePublisher(), FixedClock(T0), \
            FakeNotifier()
        self.owners = OWNERS

    async def route(self, *events: ClassifiedMention, publisher: FakePublisher | None = None) -> None:
        await route(batch(*events, topic=topics.MENTIONS_CLASSIFIED), rules=lambda: SHIPPED_RULES, store=self.cases,
                    publisher=publisher or self.publisher, clock=self.clock, alerts=AlertDetector(),
                    notifier=self.notifier, owners=self.owners)

    async def replies(self, *replies: Reply, publisher: FakePublisher | None = None) -> None:
        await track_replies(batch(*replies, topic=topics.REPLIES), rules=lambda: SHIPPED_RULES, store=self.cases,
                            publisher=publisher or self.publisher, clock=self.clock)

    async def tick(self, at: datetime) -> int:
        self.clock.time = at
        return await fire_timers(rules=lambda: SHIPPED_RULES, store=self.cases, publisher=self.publisher,
                                 clock=self.clock, notifier=self.notifier)

    def kinds(self) -> list[CaseEventKind]:
        return [e.kind for e in self.publisher.events(topics.CASE_EVENTS, CaseEvent)]


def ack(routed: RoutedCase, status: ReplyStatus = ReplyStatus.SENT) -> Reply:
    return Reply(event_id=uuid.uuid4(), reply_id=uuid.uuid4(), mention_id=routed.mention_id, case_id=routed.case_id,
                 channel=routed.mention.channel, visibility=Visibility.PUBLIC, handling_mode=routed.handling_mode,
                 in_reply_to=routed.mention.native_id, recipient_platform_id="u1", text="…", language="en",
                 template_id="holding", status=status, received_at=T0,
                 sent_at=T0 + timedelta(seconds=30) if status is ReplyStatus.SENT else None,
                 error=None if status is ReplyStatus.SENT else "rate limited", kind=ReplyKind.AUTO)


async def test_the_acknowledgement_queues_the_case_and_a_redelivered_reply_changes_nothing():
    router = Router()
    await router.route(complaint())
    [routed] = router.publisher.events(topics.CASES_ROUTED, RoutedCase)
    reply = ack(routed)
    await router.replies(reply)
    await router.replies(reply)
    case = router.cases.cases[routed.case_id]
    assert case.status is CaseStatus.PENDING_DEPARTMENT and case.first_response_at is None
    assert router.kinds() == [CaseEventKind.OPENED, CaseEventKind.ACKNOWLEDGED, CaseEventKind.QUEUED]
    assert set(router.cases.events) <= router.cases.published


async def test_timers_warn_then_breach_once_escalating_and_notifying():
    router = Router()
    await router.route(complaint())
    [routed] = router.publisher.events(topics.CASES_ROUTED, RoutedCase)
    assert await router.tick(T0 + timedelta(minutes=10)) == 0
    assert await router.tick(T0 + timedelta(minutes=23)) == 1
    assert await router.tick(T0 + timedelta(minutes=31)) == 1
    assert await router.tick(T0 + timedelta(minutes=45)) == 0
    assert router.kinds()[1:3] == [CaseEventKind.SLA_WARNING, CaseEventKind.SLA_BREACHED]
    breach = router.publisher.events(topics.CASE_EVENTS, CaseEvent)[2]
    assert breach.due_at == routed.sla_due_at and router.notifier.notified == [breach]
    case = router.cases.cases[routed.case_id]
    assert case.sla_breached_at is not None and case.priority > routed.priority


async def test_an_answered_case_does_not_breach():
    router = Router()
    await router.route(complaint())
    [routed] = router.publisher.events(topics.CASES_ROUTED, RoutedCase)
    await router.replies(ack(routed))
    case = router.cases.cases[routed.case_id]
    [target] = (await FakeUnit(router.cases).targets([case.case_id])).values()
    answered = lifecycle.answer(case, "agent:li", text="done", visibility=None, target=target, command=uuid.uuid4(),
                                now=T0)
    router.cases.cases[case.case_id] = answered.case
    agent_reply = ack(routed).model_copy(update={"kind": ReplyKind.AGENT, "answer_id": answered.answers[0].answer_id,
                                                 "substantive": True, "author": "agent:li"})
    await router.replies(agent_reply)
    assert router.cases.cases[case.case_id].status is CaseStatus.AWAITING_CUSTOMER
    assert (case.case_id, Timer.SLA_BREACH) not in router.cases.timers
    assert await router.tick(T0 + timedelta(hours=1)) == 0


async def test_a_failed_publish_rolls_a_consumed_change_back_and_the_redelivery_makes_it_once():
    router = Router()
    await router.route(complaint())
    [routed] = router.publisher.events(topics.CASES_ROUTED, RoutedCase)
    reply = ack(routed)
    with pytest.raises(KafkaTimeoutError):
        await router.replies(reply, publisher=FakePublisher(failures=1))
    assert router.cases.cases[routed.case_id].status is CaseStatus.NEW  # rolled back, nothing announced
    await router.replies(reply)  # the broker delivers the batch again
    assert router.cases.cases[routed.case_id].status is CaseStatus.PENDING_DEPARTMENT
    assert router.kinds() == [CaseEventKind.OPENED, CaseEventKind.ACKNOWLEDGED, CaseEventKind.QUEUED]
    assert await publish_leftovers(store=router.cases, publisher=router.publisher,
                                   clock=FixedClock(T0 + timedelta(minutes=1))) == 0


async def test_a_timers_events_whose_publish_failed_after_the_commit_are_sent_by_the_tick():
    router = Router()
    await router.route(complaint())
    router.clock.time = T0 + timedelta(minutes=31)
    with pytest.raises(KafkaTimeoutError):
        await fire_timers(rules=lambda: SHIPPED_RULES, store=router.cases, publisher=FakePublisher(failures=1),
                          clock=router.clock, notifier=router.notifier)
    case = next(iter(router.cases.cases.values()))
    assert case.sla_breached_at is not None  # committed: a timer has no redelivery to fall back on
    sent = await publish_leftovers(store=router.cases, publisher=router.publisher,
                                   clock=FixedClock(T0 + timedelta(minutes=32)))
    assert sent == 4 and router.kinds()[1:] == [CaseEventKind.SLA_WARNING, CaseEventKind.SLA_BREACHED,
                                                CaseEventKind.ESCALATED, CaseEventKind.TRANSFERRED]
    assert await publish_leftovers(store=router.cases, publisher=router.publisher,
                                   clock=FixedClock(T0 + timedelta(minutes=33))) == 0


async def test_a_chaser_raises_the_urgency_and_the_case_keeps_its_department():
    router = Router()
    await router.route(complaint())
    await router.route(complaint("p2", "p1", "still waiting for an answer, this is ridiculous", minutes=120))
    first, chaser = router.publisher.events(topics.CASES_ROUTED, RoutedCase)
    case = router.cases.cases[first.case_id]
    assert case.urgency is Urgency.HIGH and case.department == first.department == chaser.department
    assert CaseEventKind.URGENCY_RAISED in router.kinds()


async def test_a_closed_conversations_next_mention_opens_a_new_case():
    router = Router()
    spam = complaint("s1", "s1", "buy followers cheap")
    spam = spam.model_copy(update={"classification": classification(Category.SPAM)})
    await router.route(spam)
    await router.route(complaint("s2", "s1", "actually my parcel is late", minutes=5))
    first, second = router.publisher.events(topics.CASES_ROUTED, RoutedCase)
    assert first.handling_mode is HandlingMode.IGNORE and router.cases.cases[first.case_id].status is CaseStatus.CLOSED
    assert second.new_case and second.case_id != first.case_id
    assert router.cases.case_of("weibo", "s1").generation == 1


async def test_a_declined_follow_up_consent_learnt_from_the_crm_is_kept_for_the_resolution():
    router = Router()
    declined = CustomerUpdate(event_id=uuid.uuid4(), customer_id=uuid.uuid4(), identities=["weibo:u1"],
                              consent={"follow_up": False}, version=2)
    await learn_customers(batch(declined, topic=topics.CRM_CUSTOMERS), store=router.cases,
                          publisher=router.publisher, clock=router.clock)
    assert (await router.cases.customers(["weibo:u1"]))["weibo:u1"].follow_up_consent is False
