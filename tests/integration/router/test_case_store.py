"""The case lifecycle on the real PostgreSQL: the router's handlers and the desk over its tables.

A mention is acknowledged, claimed, answered, resolved, followed up and rated; an SLA breach fires
from its persisted timer after the router's store is rebuilt on a new pool (a restart); two agents
taking the next case at once get different cases. Events are captured by an in-memory publisher:
this test is about what the store keeps, `test_case_loop.py` about the services on the broker.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from heed.contracts import topics
from heed.contracts.events import (
    AnswerKind,
    Author,
    CaseAnswer,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    Category,
    Channel,
    ClassifiedMention,
    HandlingMode,
    IssueType,
    Reply,
    ReplyKind,
    ReplyStatus,
    RoutedCase,
    Urgency,
    Visibility,
)
from heed.runtime.db import create_pool
from heed_router.adapters.desk import PostgresDesk
from heed_router.adapters.postgres import PostgresCases
from heed_router.domain.alerts import AlertDetector
from heed_router.handlers import fire_timers, route, track_replies
from tests.unit.factories import batch, classification, mention
from tests.unit.router.builtin_rules import SHIPPED_RULES
from tests.unit.router.fakes import HASHES, FakeNotifier, FakePublisher, FixedClock
from tests.unit.router.test_case_handlers import OWNERS

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def complaint(native_id: str, thread_root: str, text: str, *, author: str = "u1", minutes: float = 0,
              script: str | None = "Hant") -> ClassifiedMention:
    at = T0 + timedelta(minutes=minutes)
    m = mention(text, channel=Channel.X, native_id=native_id, thread_root=thread_root, created_at=at,
                received_at=at, author=Author(platform_id=author, handle=author))
    c = classification(Category.COMPLAINT, issue_type=IssueType.SHIPPING_DELIVERY, sentiment=-0.4, language="zh",
                       script=script)
    return ClassifiedMention(event_id=uuid.uuid4(), mention_id=m.mention_id, mention=m, classification=c)


def sent(case_id: uuid.UUID, mention_id: uuid.UUID, at: datetime, *, kind: ReplyKind = ReplyKind.AUTO,
         answer_id: uuid.UUID | None = None, author: str = "heed:responder") -> Reply:
    return Reply(event_id=uuid.uuid4(), reply_id=uuid.uuid4(), mention_id=mention_id, case_id=case_id,
                 channel=Channel.X, visibility=Visibility.PUBLIC, handling_mode=HandlingMode.HOLDING,
                 in_reply_to="p1", recipient_platform_id="u1", text="…", language="zh", script="Hant",
                 template_id="t", status=ReplyStatus.SENT, received_at=T0, sent_at=at, kind=kind,
                 answer_id=answer_id, author=author, substantive=kind is ReplyKind.AGENT)


class Router:
    """The router's handlers and desk over one store, at a clock the test moves."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.store = PostgresCases(pool, HASHES)
        self.publisher = FakePublisher()
        self.clock = FixedClock(T0)
        self.notifier = FakeNotifier()
        self.desk = PostgresDesk(self.store, rules=lambda: SHIPPED_RULES, publisher=self.publisher, clock=self.clock)

    def at(self, when: datetime) -> Router:
        self.clock.time = when
        return self

    async def route(self, *mentions: ClassifiedMention) -> None:
        await route(batch(*mentions, topic=topics.MENTIONS_CLASSIFIED), rules=lambda: SHIPPED_RULES,
                    store=self.store, publisher=self.publisher, clock=self.clock, alerts=AlertDetector(),
                    notifier=self.notifier, owners=OWNERS)

    async def replies(self, *replies: Reply) -> None:
        await track_replies(batch(*replies, topic=topics.REPLIES), rules=lambda: SHIPPED_RULES, store=self.store,
                            publisher=self.publisher, clock=self.clock)

    async def tick(self) -> int:
        return await fire_timers(rules=lambda: SHIPPED_RULES, store=self.store, publisher=self.publisher,
                                 clock=self.clock, notifier=self.notifier)

    def kinds(self) -> list[CaseEventKind]:
        return [e.kind for e in self.publisher.events(topics.CASE_EVENTS, CaseEvent)]


async def test_a_case_is_acknowledged_claimed_answered_resolved_followed_up_and_rated(pool):
    router = Router(pool)
    first = complaint("p1", "p1", "等咗三日都未收到貨")
    first = first.model_copy(update={"mention": first.mention.model_copy(update={"account": "lumo_hk"})})
    await router.route(first)
    [routed] = router.publisher.events(topics.CASES_ROUTED, RoutedCase)
    case_id = routed.case_id
    assert routed.department == "logistics" and routed.new_case

    await router.at(T0 + timedelta(minutes=1)).replies(sent(case_id, first.mention_id, T0 + timedelta(minutes=1)))
    assert (await router.desk.get_case(case_id)).status is CaseStatus.PENDING_DEPARTMENT

    claimed = await router.at(T0 + timedelta(minutes=3)).desk.claim_next("logistics", "agent:li")
    assert claimed is not None and claimed.case_id == case_id and claimed.claimed_by == "agent:li"
    assert await router.desk.claim_next("logistics", "agent:bo") is None  # the only case is taken

    await router.at(T0 + timedelta(minutes=5)).desk.answer(case_id, "agent:li", "已经为您补寄，明天送到", None)
    [answer] = router.publisher.events(topics.CASE_ANSWERS, CaseAnswer)
    assert (answer.kind, answer.script, answer.in_reply_to, answer.recipient_platform_id) == (
        AnswerKind.AGENT, "Hant", "p1", "u1")
    assert (answer.account, answer.thread_root) == ("lumo_hk", "p1")  # sent from the account written to

    await router.at(T0 + timedelta(minutes=6)).replies(
        sent(case_id, first.mention_id, T0 + timedelta(minutes=6), kind=ReplyKind.AGENT, answer_id=answer.answer_id,
             author="agent:li"))
    detail = await router.desk.get_case(case_id)
    assert detail.status is CaseStatus.AWAITING_CUSTOMER
    assert detail.first_response_at == T0 + timedelta(minutes=6)
    assert [a.reply_status for a in detail.answers] == ["sent"]

    resolved = await router.at(T0 + timedelta(minutes=10)).desk.resolve(case_id, "agent:li", "re-sent")
    assert resolved.status is CaseStatus.RESOLVED
    assert await router.at(T0 + timedelta(hours=2)).tick() == 0  # the follow-up is a day later

    await router.at(T0 + timedelta(days=1, minutes=11)).tick()
    follow_up = router.publisher.events(topics.CASE_ANSWERS, CaseAnswer)[-1]
    assert follow_up.kind is AnswerKind.FOLLOW_UP and follow_up.language == "zh" and follow_up.script == "Hant"
    await router.replies(sent(case_id, first.mention_id, T0 + timedelta(days=1, minutes=11),
                              kind=ReplyKind.FOLLOW_UP, answer_id=follow_up.answer_id, author="system:follow-up"))

    rating = complaint("p9", "p1", "5", minutes=60 * 25)
    await router.at(T0 + timedelta(days=1, hours=1)).route(rating)
    rated = router.publisher.events(topics.CASES_ROUTED, RoutedCase)[-1]
    assert rated.case_id == case_id and rated.handling_mode is HandlingMode.IGNORE  # a rating is not answered
    detail = await router.desk.get_case(case_id)
    assert (detail.status, detail.rating) == (CaseStatus.CLOSED, 5)
    assert [t.kind for t in detail.transitions] == [
        CaseEventKind.OPENED, CaseEventKind.ACKNOWLEDGED, CaseEventKind.QUEUED, CaseEventKind.CLAIMED,
        CaseEventKind.ANSWERED, CaseEventKind.FIRST_RESPONSE, CaseEventKind.AWAITING_CUSTOMER,
        CaseEventKind.RESOLVED, CaseEventKind.FOLLOW_UP_SENT, CaseEventKind.MENTION_ADDED, CaseEventKind.RATED,
        CaseEventKind.CLOSED]
    assert router.kinds() == [t.kind for t in detail.transitions]  # each published, in order
    unpublished = await pool.fetchval("SELECT count(*) FROM case_events WHERE published_at IS NULL")
    assert unpublished == 0

    # the thread's next mention, after the case closed, opens a new case
    await router.route(complaint("p10", "p1", "又冇收到", minutes=60 * 26))
    newest = router.publisher.events(topics.CASES_ROUTED, RoutedCase)[-1]
    assert newest.new_case and newest.case_id != case_id


async def test_an_sla_breach_fires_from_its_persisted_timer_after_a_restart(database_url, pool):
    before = Router(pool)
    await before.route(complaint("b1", "b1", "still no parcel", script=None))
    [routed] = before.publisher.events(topics.CASES_ROUTED, RoutedCase)
    assert routed.sla_due_at == T0 + timedelta(minutes=30)

    # a new pool and store: what the router finds after a restart is only what PostgreSQL kept
    restarted_pool = await create_pool(database_url, "router")
    try:
        after = Router(restarted_pool)
        assert await after.at(T0 + timedelta(minutes=20)).tick() == 0
        assert await after.at(T0 + timedelta(minutes=31)).tick() == 2  # warning and breach, both late
        assert after.kinds() == [CaseEventKind.SLA_WARNING, CaseEventKind.SLA_BREACHED, CaseEventKind.ESCALATED,
                                 CaseEventKind.TRANSFERRED]
        breach = after.publisher.events(topics.CASE_EVENTS, CaseEvent)[1]
        assert breach.due_at == T0 + timedelta(minutes=30) and breach.case_id == routed.case_id
        assert after.notifier.notified == [breach]
        assert await after.at(T0 + timedelta(minutes=40)).tick() == 0  # fired once
        detail = await after.desk.get_case(routed.case_id)
        assert detail.sla_breached and detail.priority > routed.priority
        assert detail.urgency in (Urgency.NORMAL, Urgency.HIGH)
    finally:
        await restarted_pool.close()


async def test_two_agents_taking_the_next_case_at_once_get_different_cases(pool):
    router = Router(pool)
    await router.route(complaint("c1", "c1", "late parcel", author="a"), complaint("c2", "c2", "late too", author="b"))
    li, bo = await asyncio.gather(router.desk.claim_next("logistics", "agent:li"),
                                  router.desk.claim_next("logistics", "agent:bo"))
    assert li is not None and bo is not None and li.case_id != bo.case_id
