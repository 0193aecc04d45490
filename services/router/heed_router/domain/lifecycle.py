"""A case's lifecycle: every change to a case, as a pure function from the case as it stands to
the case as it becomes, with the case events that announce it, the timers it sets or cancels and
the answers it hands to the responder. No I/O: handlers and the desk load a case (locked), call
one of these, and save the `Change` with its events in one transaction.

    new ──ack sent──▶ acknowledged ──▶ pending_department ──agent answers──▶ answered
     │                                   ▲      ▲                              │ sent
     │ (ignore: spam) ▶ closed           │      └──answer failed───────────────┤
     │                                   │                                     ▼
     │            customer writes again ─┴──────────────────────────── awaiting_customer
     │                                                                         │ resolve
     └──ack sent (acknowledge mode: praise, suggestions) ─────────────▶ resolved ──▶ closed
                                                    reopened ◀─ customer writes ─┘  (close timer,
                                                                                     or rated)

The department owes an answer while the case is new, acknowledged or pending_department (its
queue); an agent's answer moves it to answered, the responder's sent reply to awaiting_customer.
First response is the first *substantive* answer sent — an agent's, or an automatic reply the
responder marks substantive — never the acknowledgement. Event ids derive from the case and the
cause (mention, reply, timer, command), so replaying a cause announces the same events.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from heed.contracts.events import (
    AnswerKind,
    CaseAnswer,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    Channel,
    ClassifierLabels,
    CustomerVerified,
    HandlingMode,
    Mention,
    Reply,
    ReplyKind,
    ReplyStatus,
    Urgency,
    Visibility,
    derive_id,
)

URGENCY_RANK: dict[Urgency, int] = {Urgency.LOW: 0, Urgency.NORMAL: 1, Urgency.HIGH: 2, Urgency.CRITICAL: 3}
# the department owes an answer: the case is in its queue
QUEUE_STATUSES = frozenset({CaseStatus.NEW, CaseStatus.ACKNOWLEDGED, CaseStatus.PENDING_DEPARTMENT})
FINISHED = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})
ROUTER = "heed:router"


class Timer(StrEnum):
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"
    CLAIM_EXPIRY = "claim_expiry"
    FOLLOW_UP = "follow_up"
    CLOSE = "close"


class LifecycleError(Exception):
    """A command the case's state does not allow; `conflict` says whether it is a state conflict."""


@dataclass(frozen=True)
class DueTimer:
    case_id: uuid.UUID
    timer: Timer
    due_at: datetime


@dataclass(frozen=True)
class Deadlines:
    """When a turn's answer is due, and when the warning fires (business hours already applied)."""

    warn_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class Escalate:
    """What a breach does (from the SLA policy): raise the priority, move the case, notify."""

    raise_priority: int = 10
    move_to: str | None = None
    notify: bool = True


@dataclass(frozen=True)
class ReplyTarget:
    """The customer's mention an answer replies to: the case's latest."""

    mention_id: uuid.UUID
    channel: Channel
    native_id: str
    author_id: str
    visibility: Visibility
    language: str
    script: str | None
    received_at: datetime
    account: str | None = None  # the brand account the customer wrote to


# Not frozen, but never changed in place: every change is a copy (`evolve`, below). A frozen
# dataclass's __init__ sets each of these 40-odd fields through object.__setattr__, which made
# replace() the router's largest cost per reply (py-spy, docs/BENCHMARKS.md issue 9).
@dataclass(slots=True)
class Case:
    """A case as the router keeps it (one row of `cases`)."""

    case_id: uuid.UUID
    channel: str
    thread_root: str
    generation: int
    customer: str
    department: str
    status: CaseStatus
    mode: HandlingMode
    rule_id: str
    priority: int
    urgency: Urgency
    first_mention_id: uuid.UUID
    opened_at: datetime
    sla_policy: str | None = None
    sla_due_at: datetime | None = None
    first_due_at: datetime | None = None
    sla_warned_at: datetime | None = None
    sla_breached_at: datetime | None = None
    escalated_at: datetime | None = None
    acknowledged_at: datetime | None = None
    first_response_at: datetime | None = None
    first_response_by: str | None = None
    answered_by: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    closed_at: datetime | None = None
    reopened: int = 0
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    claim_expires_at: datetime | None = None
    queued_at: datetime | None = None
    last_mention_id: uuid.UUID | None = None
    last_customer_at: datetime | None = None
    language: str | None = None
    script: str | None = None
    follow_up_after: timedelta | None = None
    follow_up_answer_id: uuid.UUID | None = None
    follow_up_sent_at: datetime | None = None
    rating: int | None = None
    rated_at: datetime | None = None
    reserved_for: str | None = None  # the customer's owner (agent:<name>): the case waits for them …
    reserved_until: datetime | None = None  # … until then (the first SLA warning); then it is anyone's
    version: int = 0

    @property
    def owes_answer(self) -> bool:
        return self.status in QUEUE_STATUSES

    def claimed_by_other(self, actor: str, now: datetime) -> bool:
        return (self.claimed_by is not None and self.claimed_by != actor
                and self.claim_expires_at is not None and self.claim_expires_at > now)


def _evolver() -> Callable[..., Case]:
    """`dataclasses.replace` for a Case, written out field by field: replace() builds the keyword
    arguments of all 40-odd fields and calls __init__ with them (4.7 µs); the copy sets the slots
    (0.45 µs), and routing and each acknowledgement make several. A name that is no field raises,
    as replace() would (`test_lifecycle.py` compares the two)."""
    source = ("def evolve(case, /, **changes):\n    new = new_case(Case)\n"
              + "".join(f"    new.{f.name} = case.{f.name}\n" for f in fields(Case))
              + "    for name, value in changes.items():\n        setattr(new, name, value)\n    return new\n")
    namespace: dict[str, object] = {"new_case": object.__new__, "Case": Case}
    exec(source, namespace)  # the way dataclasses writes __init__
    return namespace["evolve"]  # type: ignore[return-value]


evolve = _evolver()


@dataclass
class Change:
    """What one cause did to a case: the case after, its events, timers set (a time) or cancelled
    (None), answers for the responder, and whether people outside Heed are to be told (a breach)."""

    case: Case
    events: list[CaseEvent] = field(default_factory=list)
    timers: dict[Timer, datetime | None] = field(default_factory=dict)
    answers: list[CaseAnswer] = field(default_factory=list)
    notify: bool = False
    created: bool = False  # the case is new: insert, not update

    def emit(self, kind: CaseEventKind, cause: object, now: datetime, *, previous: CaseStatus | None = None,
             **fields: object) -> None:
        c = self.case
        self.events.append(CaseEvent(
            event_id=derive_id("case-event", c.case_id, kind.value, cause), occurred_at=now, case_id=c.case_id,
            kind=kind, department=c.department, status=c.status, previous_status=previous,
            priority=c.priority, urgency=c.urgency, **fields))  # type: ignore[arg-type]

    def move(self, status: CaseStatus, kind: CaseEventKind, cause: object, now: datetime, **fields: object) -> None:
        """Change the status and announce it."""
        previous = self.case.status
        self.case = evolve(self.case, status=status)
        self.emit(kind, cause, now, previous=previous, **fields)


def accumulate(changes: dict[uuid.UUID, Change], change: Change) -> None:
    """Fold a change into what a batch already did to the same case (computed from its case after)."""
    current = changes.get(change.case.case_id)
    if current is None:
        changes[change.case.case_id] = change
        return
    current.case = change.case
    current.events.extend(change.events)
    current.timers.update(change.timers)
    current.answers.extend(change.answers)
    current.notify = current.notify or change.notify


def raise_urgency(current: Urgency, *others: Urgency | None) -> Urgency:
    return max((u for u in (current, *others) if u is not None), key=URGENCY_RANK.__getitem__)


# --- the customer's side: mentions ------------------------------------------------------------

_RATING = re.compile(r"^\s*(?:[^\w\s]{0,3})\s*([1-5])\s*(?:/\s*5|分|星|stars?|ดาว|คะแนน)?\s*[^\w]{0,3}\s*$",
                     re.IGNORECASE)
_CJK_DIGITS = {"一": "1", "二": "2", "两": "2", "兩": "2", "三": "3", "四": "4", "五": "5"}


def parse_rating(text: str) -> int | None:
    """The 1–5 rating in a customer's answer to the follow-up: "4", "５", "5/5", "4分", "五星", "5 ดาว".

    Only a short answer that is a rating: "5 stars, but the room was dirty" is a message, not a rating.
    """
    folded = unicodedata.normalize("NFKC", text).strip()
    if len(folded) > 12:
        return None
    for word, digit in _CJK_DIGITS.items():
        if folded.startswith(word):
            folded = digit + folded[1:]
    found = _RATING.match(folded)
    return int(found.group(1)) if found else None


def open_case(*, case_id: uuid.UUID, generation: int, customer: str, mention: Mention, urgency: Urgency,
              language: str, script: str | None, department: str, mode: HandlingMode, rule_id: str,
              priority: int, sla_policy: str, deadlines: Deadlines, follow_up_after: timedelta | None,
              now: datetime, reserved_for: str | None = None) -> Change:
    """A new case for the conversation's first mention (or its first after the last case closed).

    A customer with an owner in the CRM (`reserved_for`, an agent) has a case that owes an answer
    reserved for that agent until the first SLA warning: their next case is this one, and other
    agents' next case skips it until then (docs/QUEUES.md)."""
    case = Case(case_id=case_id, channel=mention.channel.value, thread_root=mention.thread_root,
                generation=generation, customer=customer, department=department, status=CaseStatus.NEW,
                mode=mode, rule_id=rule_id, priority=priority, urgency=urgency,
                first_mention_id=mention.mention_id, opened_at=mention.received_at, sla_policy=sla_policy,
                queued_at=mention.received_at, last_mention_id=mention.mention_id,
                last_customer_at=mention.received_at, language=language, script=script,
                follow_up_after=follow_up_after if mode is not HandlingMode.IGNORE else None)
    change = Change(case, created=True)
    change.emit(CaseEventKind.OPENED, mention.mention_id, now, mention_id=mention.mention_id, actor="customer")
    if mode is HandlingMode.IGNORE:
        change.case = evolve(change.case, closed_at=now)
        change.move(CaseStatus.CLOSED, CaseEventKind.CLOSED, mention.mention_id, now, actor=ROUTER,
                    detail=f"rule {rule_id}: ignored (counted, never answered)")
    elif mode is not HandlingMode.ACKNOWLEDGE:  # an acknowledgement owes no further answer
        _arm_sla(change, deadlines, first=True)
        if reserved_for is not None and deadlines.warn_at > mention.received_at:
            change.case = evolve(change.case, reserved_for=reserved_for, reserved_until=deadlines.warn_at)
            change.emit(CaseEventKind.RESERVED, mention.mention_id, now, mention_id=mention.mention_id, actor=ROUTER,
                        detail=f"for {reserved_for}, the customer's owner in the CRM, until "
                               f"{deadlines.warn_at.isoformat()} (the first SLA warning)")
    return change


def _arm_sla(change: Change, deadlines: Deadlines, *, first: bool = False) -> None:
    if first:
        change.case = evolve(change.case, sla_due_at=deadlines.due_at, sla_warned_at=None,
                              first_due_at=deadlines.due_at)
    else:
        change.case = evolve(change.case, sla_due_at=deadlines.due_at, sla_warned_at=None)
    change.timers[Timer.SLA_WARNING] = deadlines.warn_at
    change.timers[Timer.SLA_BREACH] = deadlines.due_at


def _disarm_sla(change: Change) -> None:
    change.timers[Timer.SLA_WARNING] = None
    change.timers[Timer.SLA_BREACH] = None


def _unclaim(change: Change) -> None:
    change.case = evolve(change.case, claimed_by=None, claimed_at=None, claim_expires_at=None)
    change.timers[Timer.CLAIM_EXPIRY] = None


@dataclass(frozen=True)
class Followed:
    """What a later mention on a case was: a rating (the responder does not answer it) or a message."""

    change: Change
    is_rating: bool


def add_mention(case: Case, *, mention: Mention, urgency: Urgency, priority: int, department: str, rule_id: str,
                chaser: bool, chaser_urgency: Urgency, next_turn: Deadlines, now: datetime) -> Followed:
    """A later mention in the case's thread: it joins the case and never moves it to another department.

    A rating after the follow-up closes the case; a message while it is the customer's turn puts the
    case back in the queue with a new SLA; a message on a resolved case reopens it. A chaser ("still
    waiting") or a more urgent mention raises the case's urgency and priority.
    """
    m = mention
    change = Change(evolve(case, last_mention_id=m.mention_id, last_customer_at=m.received_at))
    stays = "" if department == case.department else \
        f"rule {rule_id} suggests {department}; the case stays with {case.department} (transfer to move it)"
    change.emit(CaseEventKind.MENTION_ADDED, m.mention_id, now, mention_id=m.mention_id, actor="customer",
                detail=stays)
    rating = parse_rating(m.text) if case.follow_up_answer_id is not None and case.rating is None else None
    if rating is not None and case.status is CaseStatus.RESOLVED:
        change.case = evolve(change.case, rating=rating, rated_at=m.received_at)
        change.emit(CaseEventKind.RATED, m.mention_id, now, mention_id=m.mention_id, actor="customer",
                    rating=rating)
        change.case = evolve(change.case, closed_at=now)
        change.move(CaseStatus.CLOSED, CaseEventKind.CLOSED, m.mention_id, now, actor=ROUTER, detail="rated")
        change.timers[Timer.CLOSE] = None
        return Followed(change, True)

    raised = raise_urgency(case.urgency, urgency, chaser_urgency if chaser else None)
    if raised is not case.urgency or priority > case.priority:
        change.case = evolve(change.case, urgency=raised, priority=max(case.priority, priority))
        if raised is not case.urgency:
            change.emit(CaseEventKind.URGENCY_RAISED, m.mention_id, now, mention_id=m.mention_id,
                        actor=ROUTER, detail="the customer is chasing an answer" if chaser else
                        f"a mention classified {urgency.value}")
    if case.status is CaseStatus.AWAITING_CUSTOMER:
        change.case = evolve(change.case, queued_at=m.received_at)
        change.move(CaseStatus.PENDING_DEPARTMENT, CaseEventKind.CUSTOMER_REPLIED, m.mention_id, now,
                    mention_id=m.mention_id, actor="customer")
        _arm_sla(change, next_turn)
    elif case.status is CaseStatus.RESOLVED:
        change.case = evolve(change.case, queued_at=m.received_at, reopened=case.reopened + 1, resolved_at=None,
                              resolved_by=None, follow_up_answer_id=None, follow_up_sent_at=None)
        change.move(CaseStatus.PENDING_DEPARTMENT, CaseEventKind.REOPENED, m.mention_id, now,
                    mention_id=m.mention_id, actor="customer")
        change.timers[Timer.FOLLOW_UP] = None
        change.timers[Timer.CLOSE] = None
        _arm_sla(change, next_turn)
    return Followed(change, False)


def erase(case: Case, *, forgotten_root: str, cause: uuid.UUID, now: datetime) -> Change:
    """The customer was erased on request: the case keeps only what reports count (ids, department,
    times, SLA figures, the rating). Its customer and thread root are forgotten (the root becomes
    `forgotten_root`, a one-way key), its claim ends, every timer is cancelled (no follow-up goes
    to a person who is forgotten), and a case not closed yet closes."""
    change = Change(evolve(case, customer="", thread_root=forgotten_root, claimed_by=None, claimed_at=None,
                            claim_expires_at=None))
    if case.status is not CaseStatus.CLOSED:
        change.case = evolve(change.case, closed_at=now)
        change.move(CaseStatus.CLOSED, CaseEventKind.CLOSED, ("erased", cause), now, actor=ROUTER,
                    detail="the customer's data was erased on request")
    change.timers = {t: None for t in Timer}
    return change


def close_stale(case: Case, now: datetime, reason: str) -> Change:
    """Close a resolved case whose reopen window has passed (its close timer had not fired yet)."""
    change = Change(evolve(case, closed_at=now))
    change.move(CaseStatus.CLOSED, CaseEventKind.CLOSED, ("stale", now.isoformat()), now, actor=ROUTER,
                detail=reason)
    change.timers = {t: None for t in Timer}
    return change


# --- what the responder sent ------------------------------------------------------------------

def on_reply(case: Case, reply: Reply, *, reopen_window: timedelta, now: datetime) -> Change:
    """A reply the responder sent (or could not send) on the case. The acknowledgement that resolves
    praise or a suggestion asks for no rating: there was nothing to rate."""
    change = Change(case)
    cause = (reply.reply_id, reply.status.value)
    sent = reply.status is ReplyStatus.SENT
    if reply.kind is ReplyKind.HANDOFF:
        return change  # the private message beside the public acknowledgement: the acknowledgement moves the case
    if reply.kind is ReplyKind.FOLLOW_UP:
        if sent and case.follow_up_sent_at is None:
            change.case = evolve(case, follow_up_sent_at=reply.sent_at or now)
            change.emit(CaseEventKind.FOLLOW_UP_SENT, cause, now, actor=reply.author, answer_id=reply.answer_id)
        return change
    if reply.kind is ReplyKind.AGENT:
        if case.status is not CaseStatus.ANSWERED:
            return change  # an answer of an earlier turn: nothing to change
        if sent:
            _answer_reached_customer(change, reply, cause, now)
        else:
            change.case = evolve(case, queued_at=case.queued_at or now)
            change.move(CaseStatus.PENDING_DEPARTMENT, CaseEventKind.ANSWER_FAILED, cause, now, actor=reply.author,
                        answer_id=reply.answer_id, detail=reply.error or "the channel refused the answer")
        return change
    # the responder's automatic reply
    if sent and reply.substantive and case.owes_answer:
        change.move(CaseStatus.ANSWERED, CaseEventKind.ANSWERED, cause, now, actor=reply.author,
                    mention_id=reply.mention_id)
        _answer_reached_customer(change, reply, cause, now)
        return change
    if case.status is not CaseStatus.NEW:
        return change
    if not sent:
        change.move(CaseStatus.PENDING_DEPARTMENT, CaseEventKind.QUEUED, cause, now, actor=ROUTER,
                    mention_id=reply.mention_id,
                    detail=f"the automatic reply failed ({reply.error or 'no reason given'}): a person answers")
        return change
    change.case = evolve(case, acknowledged_at=reply.sent_at or now)
    # replies from before the field said it only in their template id
    foreign = reply.language_fallback or reply.template_id.partition("+fallback-from-")[2] or None
    change.move(CaseStatus.ACKNOWLEDGED, CaseEventKind.ACKNOWLEDGED, cause, now, actor=reply.author,
                mention_id=reply.mention_id, language_fallback=foreign,
                detail=f"acknowledged in {reply.language}: the brand has no {foreign} replies; answer in "
                       f"{foreign} if the team can" if foreign else "")
    if case.mode is HandlingMode.ACKNOWLEDGE:
        _resolve(change, ROUTER, "the acknowledgement is the whole answer to praise and suggestions", cause, now,
                 reopen_window=reopen_window, follow_up=False)
    else:
        change.move(CaseStatus.PENDING_DEPARTMENT, CaseEventKind.QUEUED, cause, now, actor=ROUTER,
                    due_at=case.sla_due_at)
    return change


def on_verified(case: Case, verified: CustomerVerified, now: datetime) -> Change:
    """The customer confirmed who they are through the case's secure link: said on the case, once
    per link; the case stays where it is (the team reads what they left in crm-sync)."""
    change = Change(case)
    detail = "identity confirmed through the secure link"
    if verified.details_received:
        detail += "; details left for the team (read them in the customer record)"
    change.emit(CaseEventKind.VERIFIED, verified.link_id, now, actor="customer", detail=detail)
    return change


def _answer_reached_customer(change: Change, reply: Reply, cause: object, now: datetime) -> None:
    at = reply.sent_at or now
    first = change.case.first_response_at is None
    change.case = evolve(change.case, first_response_at=change.case.first_response_at or at,
                          first_response_by=change.case.first_response_by or reply.author)
    if first:
        change.emit(CaseEventKind.FIRST_RESPONSE, "first", now, actor=reply.author, answer_id=reply.answer_id,
                    due_at=change.case.first_due_at,
                    detail="on time" if change.case.first_due_at is None or at <= change.case.first_due_at
                    else "after the SLA")
    change.move(CaseStatus.AWAITING_CUSTOMER, CaseEventKind.AWAITING_CUSTOMER, cause, now, actor=reply.author,
                answer_id=reply.answer_id)
    _disarm_sla(change)


# --- the department's side: the desk's commands --------------------------------------------------

def _require(condition: bool, message: str) -> None:
    if not condition:
        raise LifecycleError(message)


def claim(case: Case, actor: str, *, timeout: timedelta, command: uuid.UUID, now: datetime) -> Change:
    _require(case.owes_answer, f"case is {case.status.value}: only a case in the queue can be claimed")
    _require(not case.claimed_by_other(actor, now), f"case is claimed by {case.claimed_by}")
    change = Change(evolve(case, claimed_by=actor, claimed_at=now, claim_expires_at=now + timeout))
    change.emit(CaseEventKind.CLAIMED, command, now, actor=actor)
    change.timers[Timer.CLAIM_EXPIRY] = now + timeout
    return change


def release(case: Case, actor: str, *, force: bool, reason: str, command: object, now: datetime) -> Change:
    _require(case.claimed_by is not None, "case is not claimed")
    _require(force or case.claimed_by == actor, f"case is claimed by {case.claimed_by}, not {actor}")
    change = Change(case)
    _unclaim(change)
    change.emit(CaseEventKind.RELEASED, command, now, actor=actor, detail=reason)
    return change


def answer(case: Case, actor: str, *, text: str, visibility: Visibility | None, target: ReplyTarget,
           command: uuid.UUID, now: datetime) -> Change:
    """The department answers: the answer goes to the responder, the case waits for it to be sent."""
    _require(case.owes_answer or case.status is CaseStatus.AWAITING_CUSTOMER,
             f"case is {case.status.value}: it cannot be answered now")
    _require(not case.claimed_by_other(actor, now), f"case is claimed by {case.claimed_by}")
    answer_id = derive_id("answer", case.case_id, command)
    change = Change(evolve(case, answered_by=actor))
    _unclaim(change)
    change.answers.append(CaseAnswer(
        event_id=derive_id("case-answer", answer_id), occurred_at=now, answer_id=answer_id, case_id=case.case_id,
        kind=AnswerKind.AGENT, mention_id=target.mention_id, channel=target.channel, in_reply_to=target.native_id,
        recipient_platform_id=target.author_id, visibility=visibility or target.visibility, text=text,
        language=target.language, script=_script(target.script), author=actor, department=case.department,
        received_at=target.received_at, thread_root=case.thread_root, account=target.account))
    change.move(CaseStatus.ANSWERED, CaseEventKind.ANSWERED, command, now, actor=actor, answer_id=answer_id,
                mention_id=target.mention_id)
    return change


def _script(script: str | None) -> Literal["Hans", "Hant"] | None:
    if script == "Hans":
        return "Hans"
    return "Hant" if script == "Hant" else None


def note(case: Case, actor: str, *, command: uuid.UUID, now: datetime) -> Change:
    """An internal note (its text stays in the router; the event says only that there is one)."""
    change = Change(case)
    change.emit(CaseEventKind.NOTE_ADDED, command, now, actor=actor)
    return change


def correct(case: Case, actor: str, *, mention_id: uuid.UUID, original: ClassifierLabels,
            corrected: ClassifierLabels, command: object, now: datetime) -> Change:
    """An agent corrects the classifier's labels of one of the case's mentions (any status: a closed
    case's labels still teach the classifier). A corrected urgency becomes the case's, which orders the
    queue (the rule's priority stays); a corrected language becomes the case's, which answers and
    follow-ups use (a language other than Chinese has no script). Category and issue type are the
    mention's only: the case stays with its department (transfer to move it)."""
    updates: dict[str, object] = {}
    if corrected.urgency is not None:
        updates["urgency"] = corrected.urgency
    if corrected.language is not None:
        updates["language"] = corrected.language
        if corrected.language.partition("-")[0] != "zh":
            updates["script"] = None
    change = Change(evolve(case, **updates))  # type: ignore[arg-type]
    was = original.given()
    detail = "; ".join(f"{field.value} {was.get(field, 'none')} → {value}"
                       for field, value in corrected.given().items())
    change.emit(CaseEventKind.CORRECTED, command, now, mention_id=mention_id, actor=actor, detail=detail)
    return change


def transfer(case: Case, actor: str, *, department: str, reason: str, command: object, now: datetime) -> Change:
    _require(case.status not in FINISHED, f"case is {case.status.value}: reopen it by a customer message first")
    _require(case.status is not CaseStatus.ANSWERED, "an answer is being sent; transfer after it is")
    _require(department != case.department, f"case is already with {department}")
    change = Change(evolve(case, department=department))
    _unclaim(change)
    previous = case.status
    if case.status is CaseStatus.AWAITING_CUSTOMER:
        change.case = evolve(change.case, status=CaseStatus.PENDING_DEPARTMENT, queued_at=now)
    change.emit(CaseEventKind.TRANSFERRED, command, now, previous=previous, actor=actor,
                previous_department=case.department, detail=reason)
    return change


def resolve(case: Case, actor: str, *, reason: str, follow_up: bool, reopen_window: timedelta, command: object,
            now: datetime) -> Change:
    """Resolve the case; the follow-up is scheduled when the rule asks for one and the customer allows it."""
    _require(case.status not in FINISHED, f"case is already {case.status.value}")
    _require(case.status is not CaseStatus.ANSWERED, "an answer is being sent; resolve after it is")
    change = Change(case)
    _resolve(change, actor, reason, command, now, reopen_window=reopen_window, follow_up=follow_up)
    return change


def _resolve(change: Change, actor: str, reason: str, cause: object, now: datetime, *, reopen_window: timedelta,
             follow_up: bool) -> None:
    change.case = evolve(change.case, resolved_at=now, resolved_by=actor)
    _unclaim(change)
    _disarm_sla(change)
    change.move(CaseStatus.RESOLVED, CaseEventKind.RESOLVED, cause, now, actor=actor, detail=reason)
    after = change.case.follow_up_after
    if follow_up and after is not None:
        change.timers[Timer.FOLLOW_UP] = now + after
        # the customer gets the whole window to rate after the follow-up
        change.timers[Timer.CLOSE] = now + after + reopen_window
    else:
        change.timers[Timer.CLOSE] = now + reopen_window


# --- timers -----------------------------------------------------------------------------------

def on_timer(case: Case, timer: Timer, *, due: datetime, escalation: Escalate, target: ReplyTarget | None,
             now: datetime) -> Change:
    """A persisted timer fired (possibly late, after a restart): do what it stands for if it still applies."""
    change = Change(case)
    cause = (timer.value, due.isoformat())
    if timer is Timer.SLA_WARNING and case.owes_answer and case.sla_warned_at is None:
        change.case = evolve(case, sla_warned_at=now)
        change.emit(CaseEventKind.SLA_WARNING, cause, now, actor=ROUTER, due_at=case.sla_due_at)
    elif timer is Timer.SLA_BREACH and case.owes_answer:
        _breach(change, escalation, cause, now)
    elif timer is Timer.CLAIM_EXPIRY and case.claimed_by is not None and case.claim_expires_at is not None \
            and case.claim_expires_at <= now:
        _unclaim(change)
        change.emit(CaseEventKind.RELEASED, cause, now, actor="system:claim-timeout",
                    detail="the claim timed out; the case is back in the queue")
    elif timer is Timer.FOLLOW_UP and case.status is CaseStatus.RESOLVED and case.follow_up_answer_id is None \
            and target is not None:
        answer_id = derive_id("answer", case.case_id, "follow_up", case.reopened)
        change.case = evolve(case, follow_up_answer_id=answer_id)
        change.answers.append(CaseAnswer(
            event_id=derive_id("case-answer", answer_id), occurred_at=now, answer_id=answer_id,
            case_id=case.case_id, kind=AnswerKind.FOLLOW_UP, mention_id=target.mention_id, channel=target.channel,
            in_reply_to=target.native_id, recipient_platform_id=target.author_id, visibility=target.visibility,
            text=None, language=target.language, script=_script(target.script), author="system:follow-up",
            department=case.department, received_at=target.received_at, thread_root=case.thread_root,
            account=target.account))
    elif timer is Timer.CLOSE and case.status is CaseStatus.RESOLVED:
        change.case = evolve(case, closed_at=now)
        change.move(CaseStatus.CLOSED, CaseEventKind.CLOSED, cause, now, actor=ROUTER,
                    detail="the reopen window passed")
    return change


def _breach(change: Change, escalation: Escalate, cause: tuple[str, str], now: datetime) -> None:
    case = change.case
    change.case = evolve(case, sla_breached_at=now, escalated_at=now,
                          priority=min(100, case.priority + escalation.raise_priority))
    change.emit(CaseEventKind.SLA_BREACHED, cause, now, actor=ROUTER, due_at=case.sla_due_at)
    done = [f"priority {case.priority} → {change.case.priority}"]
    moved = escalation.move_to is not None and escalation.move_to != case.department
    if moved:
        done.append(f"moved to {escalation.move_to}")
    if escalation.notify:
        done.append("notified")
        change.notify = True
    change.emit(CaseEventKind.ESCALATED, cause, now, actor=ROUTER, detail="; ".join(done))
    if moved:
        assert escalation.move_to is not None
        change.case = evolve(change.case, department=escalation.move_to)
        _unclaim(change)
        change.emit(CaseEventKind.TRANSFERRED, ("escalation", *cause), now, actor=ROUTER,
                    previous_department=case.department, detail="SLA breached")
