"""Which case a classified mention joins, how it is routed, and what the router announces: pure, no I/O.

A case is one conversation: its id derives from the channel and the thread's first post, so every
mention of a thread, however often it is delivered, lands on the same case. Whether a mention
opened its case is the store's answer (the first mention recorded for the case), never memory.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from heed.contracts.events import (
    CaseEvent,
    CaseEventKind,
    ClassifiedMention,
    CustomerTier,
    Mention,
    RoutedCase,
    derive_id,
)
from heed_router.domain.rules import Decision, RuleTable, route


@dataclass(frozen=True)
class KnownCustomer:
    """What the router learnt about an identity from the CRM: its tier and owner."""

    tier: CustomerTier = CustomerTier.STANDARD
    owner: str | None = None


def identity_of(classified: ClassifiedMention) -> str:
    """The author's identity as the CRM names it in customer updates: `channel:platform_id`."""
    m = classified.mention
    return f"{m.channel.value}:{m.author.platform_id}"


def case_id_of(mention: Mention) -> uuid.UUID:
    """The case of the mention's conversation (channel and thread root)."""
    return derive_id("case", mention.channel.value, mention.thread_root)


def posting_order(classified: ClassifiedMention) -> tuple[datetime, str]:
    """Sort key putting a conversation's first mention first, so that it opens the case."""
    return classified.mention.created_at, classified.mention.native_id


@dataclass(frozen=True)
class Assignment:
    """A mention's case and routing decision, before the store says whether it opened the case."""

    classified: ClassifiedMention
    case_id: uuid.UUID
    tier: CustomerTier
    decision: Decision

    @property
    def mention(self) -> Mention:
        return self.classified.mention

    @property
    def sla_due_at(self) -> datetime:
        return self.mention.received_at + self.decision.sla


def assign(rules: RuleTable, classified: ClassifiedMention, customer: KnownCustomer) -> Assignment:
    """The case the mention joins and the department, mode, priority and SLA its rules decide."""
    decision = route(rules, classified.mention, classified.classification, customer.tier, customer.owner)
    return Assignment(classified, case_id_of(classified.mention), customer.tier, decision)


def announce(assignment: Assignment, first_mention_id: uuid.UUID, now: datetime) -> tuple[RoutedCase, CaseEvent]:
    """The routed case and its case event: OPENED if this mention is the case's first, else MENTION_ADDED.

    Event ids derive from the mention, so a redelivered mention announces the same events again.
    """
    a, m, d = assignment, assignment.mention, assignment.decision
    opened = first_mention_id == m.mention_id
    routed = RoutedCase(
        event_id=derive_id("routed", m.mention_id), occurred_at=now, mention_id=m.mention_id, case_id=a.case_id,
        mention=m, classification=a.classified.classification, department=d.department, handling_mode=d.mode,
        priority=d.priority, sla_due_at=a.sla_due_at, rule_id=d.rule_id, customer_tier=a.tier, new_case=opened)
    kind = CaseEventKind.OPENED if opened else CaseEventKind.MENTION_ADDED
    event = CaseEvent(event_id=derive_id("case-event", kind.value, m.mention_id), occurred_at=now,
                      case_id=a.case_id, mention_id=m.mention_id, kind=kind, department=d.department)
    return routed, event
