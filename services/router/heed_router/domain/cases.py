"""Which case a classified mention joins, how it is routed, and what the router announces: pure, no I/O.

A case is one conversation at a time: its id derives from the channel, the thread's first post and
the conversation's generation (0 until a case of the thread closes), so every mention of a thread,
however often it is delivered, lands on the same case. A mention already routed keeps its first
routing (the store's record, never memory).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from heed.contracts.events import (
    CaseStatus,
    ClassifiedMention,
    CustomerTier,
    HandlingMode,
    Mention,
    RoutedCase,
    Urgency,
    Visibility,
    derive_id,
)
from heed_router.domain.business_hours import sla_due
from heed_router.domain.customers import OwnerAgents
from heed_router.domain.lifecycle import (
    Case,
    Change,
    Deadlines,
    Escalate,
    accumulate,
    add_mention,
    close_stale,
    open_case,
)
from heed_router.domain.rules import RuleTable, is_chaser, route


@dataclass(frozen=True)
class KnownCustomer:
    """What the router learnt about an identity from the CRM: its tier and owner."""

    tier: CustomerTier = CustomerTier.STANDARD
    owner: str | None = None
    follow_up_consent: bool | None = None  # None: not stated, which does not refuse a follow-up


def identity_of(classified: ClassifiedMention) -> str:
    """The author's identity as the CRM names it in customer updates: `channel:platform_id`."""
    m = classified.mention
    return f"{m.channel.value}:{m.author.platform_id}"


def case_id_of(mention: Mention, generation: int = 0) -> uuid.UUID:
    """The case of the mention's conversation (channel and thread root); a conversation whose case
    closed starts its next case at the next generation."""
    if generation == 0:
        return derive_id("case", mention.channel.value, mention.thread_root)
    return derive_id("case", mention.channel.value, mention.thread_root, generation)


def posting_order(classified: ClassifiedMention) -> tuple[datetime, str]:
    """Sort key putting a conversation's first mention first, so that it opens the case."""
    return classified.mention.created_at, classified.mention.native_id


def deadlines(table: RuleTable, department: str, start: datetime, due: timedelta, warning_share: float) -> Deadlines:
    """When a turn starting at `start` is due and warned, counting the department's business hours."""
    return Deadlines(warn_at=sla_due(table, department, start, due * warning_share),
                     due_at=sla_due(table, department, start, due))


def turn_deadlines(table: RuleTable, case: Case, start: datetime) -> Deadlines:
    """A later turn's deadlines (the customer wrote again): the case's SLA policy from its start."""
    policy = table.sla_policies.get(case.sla_policy or "")
    if policy is None:  # the policy was removed from the rules since: the shortest one left
        policy = min(table.sla_policies.values(), key=lambda p: p.due)
    return deadlines(table, case.department, start, policy.due, policy.warning_share)


def escalation_of(table: RuleTable, case: Case) -> Escalate:
    policy = table.sla_policies.get(case.sla_policy or "")
    if policy is None:
        return Escalate()
    e = policy.escalation
    return Escalate(raise_priority=e.raise_priority, move_to=e.move_to, notify=e.notify)


@dataclass(frozen=True)
class RoutedRow:
    """A mention's routing as recorded: what the router announced for it, and whether it opened its case."""

    mention_id: uuid.UUID
    case_id: uuid.UUID
    department: str
    mode: HandlingMode
    priority: int
    sla_due_at: datetime
    rule_id: str
    native_id: str
    author_id: str
    visibility: Visibility
    language: str
    script: str | None
    urgency: Urgency
    received_at: datetime
    new_case: bool = False
    account: str | None = None  # the brand account addressed: answers go out from it
    # the classifier's verdict as the router received it: the console shows it beside the rule it chose,
    # and an agent's correction sends the classifier the text with the model's own labels
    text: str = ""
    category: str | None = None
    issue_type: str | None = None
    sentiment: float | None = None
    explanation: str | None = None
    model_version: str | None = None


@dataclass
class RoutingPlan:
    """What routing a batch does: each case's change and each new mention's routing."""

    changes: dict[uuid.UUID, Change] = field(default_factory=dict)
    routed: list[RoutedRow] = field(default_factory=list)

    def add(self, change: Change) -> None:
        accumulate(self.changes, change)


def plan_routing(table: RuleTable, fresh: list[ClassifiedMention], known: dict[str, KnownCustomer],
                 current: dict[tuple[str, str], Case], now: datetime, owners: OwnerAgents = OwnerAgents()
                 ) -> RoutingPlan:
    """Put each mention (in posting order, none routed before) on its conversation's case.

    A conversation with no case, or whose case closed, opens one (reserved for the customer's owner,
    when the CRM names one that `owners` knows as an agent); a resolved case whose reopen window
    passed is closed first. A mention joining a case keeps the case's department: its own rule
    decides only how the responder acknowledges it (and a rating is not answered at all).
    """
    plan = RoutingPlan()
    cases = dict(current)
    window = table.lifecycle.reopen_window
    for classified in fresh:
        m, c = classified.mention, classified.classification
        customer = known.get(identity_of(classified), KnownCustomer())
        decision = route(table, m, c, customer.tier, customer.owner)
        key = (m.channel.value, m.thread_root)
        case = cases.get(key)
        if case is not None and case.status is CaseStatus.RESOLVED and case.resolved_at is not None \
                and now - case.resolved_at > window + (case.follow_up_after or timedelta(0)):
            stale = close_stale(case, now, "the reopen window passed")
            plan.add(stale)
            case = stale.case
        mode = decision.mode
        if case is None or case.status is CaseStatus.CLOSED:
            generation = 0 if case is None else case.generation + 1
            change = open_case(
                case_id=case_id_of(m, generation), generation=generation, customer=identity_of(classified),
                mention=m, urgency=c.urgency, language=c.language, script=c.script,
                department=decision.department, mode=decision.mode, rule_id=decision.rule_id,
                priority=decision.priority, sla_policy=decision.sla_policy,
                deadlines=deadlines(table, decision.department, m.received_at, decision.sla,
                                    decision.sla_warning_share),
                follow_up_after=decision.follow_up, now=now, reserved_for=owners.actor(customer.owner))
        else:
            followed = add_mention(
                case, mention=m, urgency=c.urgency, priority=decision.priority, department=decision.department,
                rule_id=decision.rule_id, chaser=is_chaser(table, m.text), chaser_urgency=table.chasers.raise_to,
                next_turn=turn_deadlines(table, case, m.received_at), now=now)
            change = followed.change
            if followed.is_rating:
                mode = HandlingMode.IGNORE
        plan.add(change)
        case = cases[key] = change.case
        plan.routed.append(RoutedRow(
            mention_id=m.mention_id, case_id=case.case_id, department=case.department, mode=mode,
            priority=case.priority, sla_due_at=case.sla_due_at or m.received_at + decision.sla,
            rule_id=decision.rule_id if mode is decision.mode else RATING_RULE, native_id=m.native_id,
            author_id=m.author.platform_id, visibility=m.visibility, language=c.language, script=c.script,
            urgency=c.urgency, received_at=m.received_at, new_case=case.first_mention_id == m.mention_id,
            account=m.account, text=m.text, category=c.category.value,
            issue_type=c.issue_type.value if c.issue_type else None, sentiment=c.sentiment,
            explanation=c.explanation, model_version=c.model_version))
    return plan


RATING_RULE = "follow-up-rating"  # a customer's rating after the follow-up: recorded, never answered


def routed_case(row: RoutedRow, classified: ClassifiedMention, tier: CustomerTier, now: datetime) -> RoutedCase:
    """The heed.cases.routed event of a recorded routing; its id derives from the mention, so a
    redelivered mention announces the same event."""
    return RoutedCase(
        event_id=derive_id("routed", row.mention_id), occurred_at=now, mention_id=row.mention_id,
        case_id=row.case_id, mention=classified.mention, classification=classified.classification,
        department=row.department, handling_mode=row.mode, priority=row.priority, sla_due_at=row.sla_due_at,
        rule_id=row.rule_id, customer_tier=tier, new_case=row.new_case)
