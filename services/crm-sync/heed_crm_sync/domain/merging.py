"""Identity merge: when two customer records are one person, and which record survives.

Only deterministic evidence merges (docs/CUSTOMERS.md):
- the same email or phone from a trusted source — the verification page, an agent, an external CRM —
  on both records (a value seen in a public post is never a contact point, so never evidence);
- the same contact in an external CRM (both records linked to one HubSpot or Salesforce contact);
- a secure-link verification whose order number and phone match another record;
- an agent's confirmed link.
A display name, a handle or a photo never merges anything: two people share names.

The survivor is the record created first (then the smaller id), so the same pair always merges the
same way whichever record the evidence arrived on. A merge moves no rows: the other record becomes an
alias that points at the survivor, and an unmerge clears the pointer.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class MergeRule(StrEnum):
    SAME_EMAIL = "same-verified-email"
    SAME_PHONE = "same-verified-phone"
    SAME_CRM_CONTACT = "same-crm-contact"
    VERIFIED_ORDER_AND_PHONE = "verified-order-and-phone"
    AGENT_CONFIRMED = "agent-confirmed"


# where a contact point may come from to count as evidence; what a customer wrote publicly is not one
TRUSTED_SOURCES = frozenset({"verification", "agent", "hubspot", "salesforce"})
CONTACT_RULES = {"email": MergeRule.SAME_EMAIL, "phone": MergeRule.SAME_PHONE}


class MergeRefused(ValueError):
    """The merge cannot be made (the same record, an erased one, no such record…)."""


@dataclass(frozen=True)
class RecordFacts:
    """What the merge decision reads of a customer record."""

    customer_id: uuid.UUID
    created_at: datetime
    merged_into: uuid.UUID | None = None
    erased: bool = False


@dataclass(frozen=True)
class MergePlan:
    survivor: uuid.UUID
    merged: uuid.UUID
    rule: MergeRule


def root_of(customer_id: uuid.UUID, records: Mapping[uuid.UUID, RecordFacts]) -> uuid.UUID:
    """The record an id finally stands for, following alias pointers (a cycle stops where it repeats)."""
    seen: set[uuid.UUID] = set()
    current = customer_id
    while current not in seen:
        seen.add(current)
        facts = records.get(current)
        if facts is None or facts.merged_into is None:
            return current
        current = facts.merged_into
    return current


def plan_merge(a: uuid.UUID, b: uuid.UUID, rule: MergeRule,
               records: Mapping[uuid.UUID, RecordFacts]) -> MergePlan | None:
    """The merge of the records `a` and `b` stand for; None when they are already one record."""
    root_a, root_b = root_of(a, records), root_of(b, records)
    if root_a == root_b:
        return None
    first, second = records.get(root_a), records.get(root_b)
    if first is None or second is None:
        raise MergeRefused("no such customer")
    if first.erased or second.erased:
        raise MergeRefused("an erased customer cannot be merged")
    older, newer = sorted((first, second), key=lambda f: (f.created_at, f.customer_id.bytes))
    return MergePlan(survivor=older.customer_id, merged=newer.customer_id, rule=rule)


@dataclass(frozen=True)
class ContactPointSeen:
    """A contact point on a record: its kind, its keyed hash (never the value) and where it came from."""

    customer_id: uuid.UUID
    kind: str
    lookup_hash: bytes
    source: str


def merges_for_contact_points(points: Iterable[ContactPointSeen],
                              records: Mapping[uuid.UUID, RecordFacts]) -> list[MergePlan]:
    """Merges the trusted contact points call for: every set of records sharing an email or a phone
    becomes one, oldest surviving. Applied in order, each plan sees the ones before it."""
    groups: dict[tuple[str, bytes], list[uuid.UUID]] = {}
    for point in points:
        if point.source in TRUSTED_SOURCES and point.kind in CONTACT_RULES:
            groups.setdefault((point.kind, point.lookup_hash), []).append(point.customer_id)
    return _chain_merges(((CONTACT_RULES[kind], ids) for (kind, _), ids in sorted(groups.items())), records)


def merges_for_crm_links(links: Iterable[tuple[str, str, uuid.UUID]],
                         records: Mapping[uuid.UUID, RecordFacts]) -> list[MergePlan]:
    """Merges for records linked to the same external contact: (system, external id, customer id)."""
    groups: dict[tuple[str, str], list[uuid.UUID]] = {}
    for system, external_id, customer_id in links:
        groups.setdefault((system, external_id), []).append(customer_id)
    return _chain_merges(((MergeRule.SAME_CRM_CONTACT, ids) for _, ids in sorted(groups.items())), records)


def _chain_merges(groups: Iterable[tuple[MergeRule, list[uuid.UUID]]],
                  records: Mapping[uuid.UUID, RecordFacts]) -> list[MergePlan]:
    view = dict(records)
    plans: list[MergePlan] = []
    for rule, ids in groups:
        for other in ids[1:]:
            try:
                plan = plan_merge(ids[0], other, rule, view)
            except MergeRefused:
                continue  # an erased or unknown record takes part in no merge
            if plan is None:
                continue
            plans.append(plan)
            merged = view[plan.merged]
            view[plan.merged] = RecordFacts(merged.customer_id, merged.created_at, plan.survivor, merged.erased)
    return plans
