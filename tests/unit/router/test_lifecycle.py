"""The case lifecycle as pure functions: every transition, its events, its timers, its refusals."""

from __future__ import annotations

import uuid
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from heed.contracts.events import (
    AnswerKind,
    Author,
    CaseEventKind,
    CaseStatus,
    Category,
    Channel,
    ClassifierLabels,
    HandlingMode,
    IssueType,
    Mention,
    Reply,
    ReplyKind,
    ReplyStatus,
    Urgency,
    Visibility,
    derive_id,
)
from heed_router.domain import lifecycle as lc
from heed_router.domain.lifecycle import Case, Deadlines, Escalate, LifecycleError, ReplyTarget, Timer
from tests.unit.factories import mention

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
WINDOW = timedelta(days=3)


def customer_mention(text: str = "My order never arrived", native_id: str = "p1", minutes: int = 0) -> Mention:
    at = T0 + timedelta(minutes=minutes)
    return mention(text, native_id=native_id, thread_root="p1", created_at=at, received_at=at,
                   author=Author(platform_id="u1", handle="amy"))


def opened(mode: HandlingMode = HandlingMode.HOLDING, follow_up: timedelta | None = timedelta(days=1)) -> lc.Change:
    m = customer_mention()
    return lc.open_case(case_id=derive_id("case", "x", "p1"), generation=0, customer="x:u1", mention=m,
                        urgency=Urgency.NORMAL, language="zh", script="Hant", department="logistics", mode=mode,
                        rule_id="delivery", priority=70, sla_policy="standard",
                        deadlines=Deadlines(T0 + timedelta(minutes=22), T0 + timedelta(minutes=30)),
                        follow_up_after=follow_up, now=T0)


def reply(case: Case, *, kind: ReplyKind = ReplyKind.AUTO, status: ReplyStatus = ReplyStatus.SENT,
          substantive: bool = False, answer_id: uuid.UUID | None = None, author: str = "heed:responder",
          minutes: int = 1, error: str | None = None) -> Reply:
    return Reply(event_id=uuid.uuid4(), reply_id=uuid.uuid4(), mention_id=case.first_mention_id, case_id=case.case_id,
                 channel=Channel.X, visibility=Visibility.PUBLIC, handling_mode=HandlingMode.HOLDING,
                 in_reply_to="p1", recipient_platform_id="u1", text="…", language="zh", script="Hant",
                 template_id="t", status=status, error=error, received_at=T0,
                 sent_at=T0 + timedelta(minutes=minutes) if status is ReplyStatus.SENT else None, kind=kind,
                 answer_id=answer_id, author=author, substantive=substantive)


def target() -> ReplyTarget:
    m = customer_mention()
    return ReplyTarget(mention_id=m.mention_id, channel=Channel.X, native_id="p1", author_id="u1",
                       visibility=Visibility.PUBLIC, language="zh", script="Hant", received_at=T0, account="lumo_hk")


def kinds(change: lc.Change) -> list[CaseEventKind]:
    return [e.kind for e in change.events]


def acknowledged_and_queued() -> Case:
    case = opened().case
    return lc.on_reply(case, reply(case), reopen_window=WINDOW, now=T0).case


def test_a_first_mention_opens_a_new_case_with_both_sla_timers_armed():
    change = opened()
    assert change.created and change.case.status is CaseStatus.NEW
    assert kinds(change) == [CaseEventKind.OPENED]
    assert change.timers == {Timer.SLA_WARNING: T0 + timedelta(minutes=22),
                             Timer.SLA_BREACH: T0 + timedelta(minutes=30)}
    assert change.case.first_due_at == T0 + timedelta(minutes=30)


def test_spam_is_closed_at_once_and_owes_nothing():
    change = opened(HandlingMode.IGNORE)
    assert change.case.status is CaseStatus.CLOSED
    assert kinds(change) == [CaseEventKind.OPENED, CaseEventKind.CLOSED]
    assert change.timers == {} and change.case.follow_up_after is None


def test_the_acknowledgement_is_not_a_first_response_it_queues_the_case_for_the_department():
    case = opened().case
    change = lc.on_reply(case, reply(case), reopen_window=WINDOW, now=T0)
    assert kinds(change) == [CaseEventKind.ACKNOWLEDGED, CaseEventKind.QUEUED]
    assert change.case.status is CaseStatus.PENDING_DEPARTMENT
    assert change.case.first_response_at is None and change.case.acknowledged_at == T0 + timedelta(minutes=1)
    assert Timer.SLA_BREACH not in change.timers  # still armed: the department owes the answer


def test_praise_is_resolved_by_its_acknowledgement_with_no_follow_up():
    case = opened(HandlingMode.ACKNOWLEDGE, follow_up=None).case
    assert Timer.SLA_BREACH not in opened(HandlingMode.ACKNOWLEDGE).timers
    change = lc.on_reply(case, reply(case), reopen_window=WINDOW, now=T0)
    assert kinds(change) == [CaseEventKind.ACKNOWLEDGED, CaseEventKind.RESOLVED]
    assert change.timers[Timer.CLOSE] == T0 + WINDOW and Timer.FOLLOW_UP not in change.timers


def test_a_failed_automatic_reply_puts_the_case_in_the_queue_with_the_reason():
    case = opened().case
    change = lc.on_reply(case, reply(case, status=ReplyStatus.FAILED, error="window closed"), reopen_window=WINDOW,
                         now=T0)
    assert change.case.status is CaseStatus.PENDING_DEPARTMENT
    assert "window closed" in change.events[0].detail


def test_an_agents_answer_goes_to_the_responder_and_its_sending_is_the_first_response():
    case = lc.claim(acknowledged_and_queued(), "agent:li", timeout=timedelta(minutes=15), command=uuid.uuid4(),
                    now=T0).case
    answered = lc.answer(case, "agent:li", text="已為您補寄", visibility=None, target=target(), command=uuid.uuid4(),
                         now=T0 + timedelta(minutes=5))
    [out] = answered.answers
    assert out.kind is AnswerKind.AGENT and out.script == "Hant" and out.visibility is Visibility.PUBLIC
    assert out.in_reply_to == "p1" and out.recipient_platform_id == "u1" and out.author == "agent:li"
    # sent from the brand account the customer wrote to, on the conversation's thread
    assert (out.account, out.thread_root) == ("lumo_hk", case.thread_root)
    assert answered.case.status is CaseStatus.ANSWERED and answered.case.claimed_by is None
    sent = lc.on_reply(answered.case, reply(answered.case, kind=ReplyKind.AGENT, answer_id=out.answer_id,
                                            substantive=True, author="agent:li", minutes=6),
                       reopen_window=WINDOW, now=T0 + timedelta(minutes=6))
    assert kinds(sent) == [CaseEventKind.FIRST_RESPONSE, CaseEventKind.AWAITING_CUSTOMER]
    assert sent.case.status is CaseStatus.AWAITING_CUSTOMER
    assert sent.case.first_response_at == T0 + timedelta(minutes=6) and sent.case.first_response_by == "agent:li"
    assert sent.timers[Timer.SLA_BREACH] is None and sent.timers[Timer.SLA_WARNING] is None
    assert sent.events[0].detail == "on time"


def test_a_failed_answer_returns_the_case_to_the_queue_and_the_second_answer_is_still_the_first_response():
    answered = lc.answer(acknowledged_and_queued(), "agent:li", text="hi", visibility=None, target=target(),
                         command=uuid.uuid4(), now=T0)
    failed = lc.on_reply(answered.case, reply(answered.case, kind=ReplyKind.AGENT, status=ReplyStatus.FAILED,
                                              error="token expired"), reopen_window=WINDOW, now=T0)
    assert failed.case.status is CaseStatus.PENDING_DEPARTMENT and kinds(failed) == [CaseEventKind.ANSWER_FAILED]
    assert failed.case.first_response_at is None


def test_the_customer_writing_back_puts_the_case_in_the_queue_with_a_new_sla():
    case = acknowledged_and_queued()
    answered = lc.answer(case, "agent:li", text="hi", visibility=None, target=target(), command=uuid.uuid4(), now=T0)
    waiting = lc.on_reply(answered.case, reply(answered.case, kind=ReplyKind.AGENT, substantive=True),
                          reopen_window=WINDOW, now=T0).case
    turn = Deadlines(T0 + timedelta(hours=2), T0 + timedelta(hours=3))
    followed = lc.add_mention(waiting, mention=customer_mention("Thanks, but which day?", "p2", 90),
                              urgency=Urgency.NORMAL, priority=50, department="customer-service", rule_id="question",
                              chaser=False, chaser_urgency=Urgency.HIGH, next_turn=turn, now=T0)
    change = followed.change
    assert not followed.is_rating
    assert change.case.status is CaseStatus.PENDING_DEPARTMENT and change.case.department == "logistics"
    assert kinds(change) == [CaseEventKind.MENTION_ADDED, CaseEventKind.CUSTOMER_REPLIED]
    assert "stays with logistics" in change.events[0].detail
    assert change.timers[Timer.SLA_BREACH] == turn.due_at and change.case.first_due_at == T0 + timedelta(minutes=30)


def test_a_chaser_raises_the_urgency_but_never_the_department():
    case = acknowledged_and_queued()
    followed = lc.add_mention(case, mention=customer_mention("still waiting, 3 hours", "p2", 180),
                              urgency=Urgency.NORMAL, priority=65, department="customer-service", rule_id="complaint",
                              chaser=True, chaser_urgency=Urgency.HIGH,
                              next_turn=Deadlines(T0, T0), now=T0)
    change = followed.change
    assert change.case.urgency is Urgency.HIGH and change.case.department == "logistics"
    assert change.case.priority == 70  # the case's own, higher than the chaser's rule
    assert kinds(change) == [CaseEventKind.MENTION_ADDED, CaseEventKind.URGENCY_RAISED]
    assert Timer.SLA_BREACH not in change.timers  # same turn: its SLA keeps running


def resolved(follow_up: bool = True) -> Case:
    case = acknowledged_and_queued()
    change = lc.resolve(case, "agent:li", reason="refunded", follow_up=follow_up, reopen_window=WINDOW,
                        command="r", now=T0 + timedelta(hours=1))
    assert change.case.status is CaseStatus.RESOLVED
    if follow_up:
        assert change.timers[Timer.FOLLOW_UP] == T0 + timedelta(hours=1, days=1)
        assert change.timers[Timer.CLOSE] == T0 + timedelta(hours=1, days=1) + WINDOW
    else:
        assert Timer.FOLLOW_UP not in change.timers
    return change.case


def test_follow_up_then_a_rating_closes_the_case_and_the_rating_is_not_answered():
    case = resolved()
    fired = lc.on_timer(case, Timer.FOLLOW_UP, due=T0, escalation=Escalate(), target=target(), now=T0)
    [ask] = fired.answers
    assert ask.kind is AnswerKind.FOLLOW_UP and ask.text is None and ask.language == "zh" and ask.script == "Hant"
    again = lc.on_timer(fired.case, Timer.FOLLOW_UP, due=T0, escalation=Escalate(), target=target(), now=T0)
    assert again.answers == []  # a timer firing twice (a retried tick) asks once
    sent = lc.on_reply(fired.case, reply(fired.case, kind=ReplyKind.FOLLOW_UP, answer_id=ask.answer_id),
                       reopen_window=WINDOW, now=T0)
    assert kinds(sent) == [CaseEventKind.FOLLOW_UP_SENT] and sent.case.status is CaseStatus.RESOLVED
    rated = lc.add_mention(sent.case, mention=customer_mention("５", "p3", 2000), urgency=Urgency.NORMAL,
                           priority=10, department="customer-service", rule_id="catch-all", chaser=False,
                           chaser_urgency=Urgency.HIGH, next_turn=Deadlines(T0, T0), now=T0)
    assert rated.is_rating and rated.change.case.rating == 5
    assert rated.change.case.status is CaseStatus.CLOSED
    assert kinds(rated.change) == [CaseEventKind.MENTION_ADDED, CaseEventKind.RATED, CaseEventKind.CLOSED]
    assert rated.change.events[1].rating == 5


def test_a_message_on_a_resolved_case_reopens_it():
    case = resolved()
    followed = lc.add_mention(case, mention=customer_mention("It broke again", "p4", 300), urgency=Urgency.NORMAL,
                              priority=70, department="product-quality", rule_id="quality", chaser=False,
                              chaser_urgency=Urgency.HIGH, next_turn=Deadlines(T0, T0 + timedelta(hours=9)), now=T0)
    change = followed.change
    assert change.case.status is CaseStatus.PENDING_DEPARTMENT and change.case.reopened == 1
    assert change.timers[Timer.FOLLOW_UP] is None and change.timers[Timer.CLOSE] is None
    assert change.timers[Timer.SLA_BREACH] == T0 + timedelta(hours=9)


def test_no_follow_up_when_the_customer_declined_them():
    resolved(follow_up=False)


def test_the_sla_warning_then_the_breach_escalate_as_the_policy_says():
    case = acknowledged_and_queued()
    warned = lc.on_timer(case, Timer.SLA_WARNING, due=T0, escalation=Escalate(), target=None, now=T0)
    assert kinds(warned) == [CaseEventKind.SLA_WARNING]
    breached = lc.on_timer(warned.case, Timer.SLA_BREACH, due=T0, now=T0, target=None,
                           escalation=Escalate(raise_priority=10, move_to="care-escalations", notify=True))
    assert kinds(breached) == [CaseEventKind.SLA_BREACHED, CaseEventKind.ESCALATED, CaseEventKind.TRANSFERRED]
    assert breached.case.priority == 80 and breached.case.department == "care-escalations"
    assert breached.notify and breached.events[2].previous_department == "logistics"
    assert breached.case.status is CaseStatus.PENDING_DEPARTMENT


def test_a_breach_timer_after_the_answer_does_nothing():
    case = acknowledged_and_queued()
    answered = lc.answer(case, "agent:li", text="hi", visibility=None, target=target(), command=uuid.uuid4(), now=T0)
    late = lc.on_timer(answered.case, Timer.SLA_BREACH, due=T0, escalation=Escalate(), target=None, now=T0)
    assert late.events == [] and late.case == answered.case


def test_claims_are_exclusive_until_they_time_out():
    case = acknowledged_and_queued()
    held = lc.claim(case, "agent:li", timeout=timedelta(minutes=15), command=uuid.uuid4(), now=T0).case
    with pytest.raises(LifecycleError, match="claimed by agent:li"):
        lc.claim(held, "agent:bo", timeout=timedelta(minutes=15), command=uuid.uuid4(), now=T0)
    with pytest.raises(LifecycleError, match="claimed by agent:li"):
        lc.answer(held, "agent:bo", text="x", visibility=None, target=target(), command=uuid.uuid4(), now=T0)
    lapsed = lc.on_timer(held, Timer.CLAIM_EXPIRY, due=T0 + timedelta(minutes=15), escalation=Escalate(),
                         target=None, now=T0 + timedelta(minutes=15))
    assert lapsed.case.claimed_by is None and kinds(lapsed) == [CaseEventKind.RELEASED]
    taken = lc.claim(held, "agent:bo", timeout=timedelta(minutes=15), command=uuid.uuid4(),
                     now=T0 + timedelta(minutes=16))
    assert taken.case.claimed_by == "agent:bo"


def test_commands_refused_by_the_state():
    case = resolved()
    with pytest.raises(LifecycleError):
        lc.claim(case, "agent:li", timeout=timedelta(minutes=1), command=uuid.uuid4(), now=T0)
    with pytest.raises(LifecycleError):
        lc.transfer(case, "agent:li", department="billing", reason="", command="t", now=T0)
    with pytest.raises(LifecycleError):
        lc.resolve(case, "agent:li", reason="", follow_up=True, reopen_window=WINDOW, command="r", now=T0)
    with pytest.raises(LifecycleError, match="already with logistics"):
        lc.transfer(acknowledged_and_queued(), "agent:li", department="logistics", reason="", command="t", now=T0)


def test_a_transfer_moves_the_case_and_frees_its_claim():
    case = lc.claim(acknowledged_and_queued(), "agent:li", timeout=timedelta(minutes=5), command=uuid.uuid4(),
                    now=T0).case
    moved = lc.transfer(case, "agent:li", department="billing", reason="a refund", command="t", now=T0)
    assert moved.case.department == "billing" and moved.case.claimed_by is None
    assert moved.events[0].previous_department == "logistics" and moved.events[0].department == "billing"


def test_the_same_cause_gives_the_same_event_ids():
    case = opened().case
    first = lc.on_reply(case, reply(case), reopen_window=WINDOW, now=T0)
    r = reply(case)
    a = lc.on_reply(case, r, reopen_window=WINDOW, now=T0)
    b = lc.on_reply(case, r, reopen_window=WINDOW, now=T0 + timedelta(seconds=5))
    assert [e.event_id for e in a.events] == [e.event_id for e in b.events]
    assert [e.event_id for e in a.events] != [e.event_id for e in first.events]


@pytest.mark.parametrize(("text", "rating"), [
    ("5", 5), ("４", 4), (" 3 ", 3), ("5/5", 5), ("4分", 4), ("五星", 5), ("2 stars", 2), ("5 ดาว", 5),
    ("1!", 1), ("6", None), ("0", None), ("5 stars but the room was dirty", None), ("room 5", None), ("", None),
    ("12", None),
])
def test_a_rating_is_a_short_answer_that_is_only_a_rating(text, rating):
    assert lc.parse_rating(text) == rating


def test_an_acknowledgement_in_the_brands_fallback_language_is_said_on_the_case():
    case = opened().case
    fallback = reply(case).model_copy(update={"template_id": "holding/en+fallback-from-fr", "language": "en"})
    change = lc.on_reply(case, fallback, reopen_window=WINDOW, now=T0)
    [acknowledged] = [e for e in change.events if e.kind is CaseEventKind.ACKNOWLEDGED]
    assert acknowledged.detail.startswith("acknowledged in en: the brand has no fr replies")
    assert acknowledged.language_fallback == "fr"
    # the reply event's own field marks the case as well (the template id need not say it)
    marked = reply(case).model_copy(update={"language": "en", "language_fallback": "ja"})
    [event] = [e for e in lc.on_reply(case, marked, reopen_window=WINDOW, now=T0).events
               if e.kind is CaseEventKind.ACKNOWLEDGED]
    assert event.language_fallback == "ja" and "no ja replies" in event.detail
    plain = lc.on_reply(case, reply(case), reopen_window=WINDOW, now=T0)
    assert [(e.detail, e.language_fallback) for e in plain.events if e.kind is CaseEventKind.ACKNOWLEDGED] == [
        ("", None)]


def test_an_owner_reserves_a_new_case_until_its_first_sla_warning_and_spam_is_never_reserved():
    m = customer_mention()
    args = dict(case_id=derive_id("case", "x", "p1"), generation=0, customer="x:u1", mention=m, urgency=Urgency.NORMAL,
                language="zh", script="Hant", department="logistics", rule_id="delivery", priority=70,
                sla_policy="standard", deadlines=Deadlines(T0 + timedelta(minutes=22), T0 + timedelta(minutes=30)),
                follow_up_after=None, now=T0, reserved_for="agent:kam")
    change = lc.open_case(mode=HandlingMode.HOLDING, **args)  # type: ignore[arg-type]
    assert (change.case.reserved_for, change.case.reserved_until) == ("agent:kam", T0 + timedelta(minutes=22))
    assert kinds(change) == [CaseEventKind.OPENED, CaseEventKind.RESERVED]
    spam = lc.open_case(mode=HandlingMode.IGNORE, **args)  # type: ignore[arg-type]
    assert spam.case.reserved_for is None and CaseEventKind.RESERVED not in kinds(spam)


def test_erasing_a_case_closes_it_forgets_its_customer_and_thread_and_cancels_every_timer():
    case = lc.claim(acknowledged_and_queued(), "agent:li", timeout=timedelta(minutes=15), command=uuid.uuid4(),
                    now=T0).case
    cause = uuid.uuid4()
    change = lc.erase(case, forgotten_root="erased:k", cause=cause, now=T0 + timedelta(hours=1))
    after = change.case
    assert (after.status, after.customer, after.thread_root, after.claimed_by) == (
        CaseStatus.CLOSED, "", "erased:k", None)
    assert (after.department, after.opened_at, after.first_due_at) == (case.department, case.opened_at,
                                                                       case.first_due_at)
    assert kinds(change) == [CaseEventKind.CLOSED] and change.timers == {t: None for t in Timer}
    # a closed case only forgets; the same erasure gives the same event
    assert lc.erase(after, forgotten_root="erased:k", cause=cause, now=T0).events == []
    assert lc.erase(case, forgotten_root="erased:k", cause=cause, now=T0 + timedelta(hours=1)).events == change.events


def test_a_correction_sets_the_cases_urgency_and_language_and_says_what_changed_without_any_text():
    case = opened().case
    original = ClassifierLabels(category=Category.QUESTION, urgency=Urgency.NORMAL, language="zh")
    corrected = ClassifierLabels(category=Category.SALES_LEAD, urgency=Urgency.HIGH, language="fr")
    change = lc.correct(case, "agent:li", mention_id=case.first_mention_id, original=original, corrected=corrected,
                        command="c1", now=T0 + timedelta(minutes=3))
    assert (change.case.urgency, change.case.language, change.case.script) == (Urgency.HIGH, "fr", None)
    assert (change.case.status, change.case.department, change.case.priority) == (
        case.status, case.department, case.priority)  # the queue it is in and the rule's priority stay
    [event] = change.events
    assert (event.kind, event.actor, event.mention_id, event.urgency) == (
        CaseEventKind.CORRECTED, "agent:li", case.first_mention_id, Urgency.HIGH)
    assert event.detail == "category question → sales_lead; urgency normal → high; language zh → fr"
    assert "never arrived" not in event.model_dump_json()


def test_a_correction_of_the_category_alone_leaves_the_case_as_it_was_and_a_closed_case_can_be_corrected():
    case = replace(opened().case, status=CaseStatus.CLOSED)
    change = lc.correct(case, "agent:li", mention_id=case.first_mention_id,
                        original=ClassifierLabels(issue_type=None),
                        corrected=ClassifierLabels(issue_type=IssueType.BILLING),
                        command="c2", now=T0)
    assert change.case == case
    assert change.events[0].detail == "issue_type none → billing"
    zh = lc.correct(case, "agent:li", mention_id=case.first_mention_id, original=ClassifierLabels(),
                    corrected=ClassifierLabels(language="zh-Hant"), command="c3", now=T0)
    assert (zh.case.language, zh.case.script) == ("zh-Hant", "Hant")  # Chinese keeps its script


def test_evolve_copies_a_case_as_dataclasses_replace_does_and_refuses_a_name_that_is_no_field():
    case = acknowledged_and_queued()
    for f in fields(Case):
        value: Any = object()  # a value no field holds
        changed = lc.evolve(case, **{f.name: value})
        assert changed == replace(case, **{f.name: value}) and changed is not case
        assert getattr(changed, f.name) is value and getattr(case, f.name) is not value
    assert lc.evolve(case) == case and lc.evolve(case) is not case
    with pytest.raises(AttributeError):
        lc.evolve(case, not_a_field=1)
