"""crm-sync's handlers: plain async functions over an event batch and the ports they use.

Each topic lands in its own part of the customer record, keyed by mention, so a mention, its
routing and its reply can arrive in any order. `bootstrap.py` hands each handler its ports.
"""

from __future__ import annotations

from heed.contracts import topics
from heed.contracts.events import CaseEvent, CaseEventKind, Mention, Reply, RoutedCase
from heed.runtime.messaging import Incoming, Outgoing
from heed.runtime.ports import EventPublisher
from heed_crm_sync.ports import CustomerRecords


async def record_mentions(batch: list[Incoming[Mention]], *, records: CustomerRecords,
                          publisher: EventPublisher) -> None:
    """Record each mention as an interaction of its author's customer, then announce on
    heed.crm.customers every customer whose version was not announced yet (from this batch or
    one that failed after recording): ids and tier, never what a customer wrote."""
    await records.record_mentions([item.event for item in batch])
    updates = await records.unpublished_customers()
    await publisher.publish([Outgoing(topics.CRM_CUSTOMERS, u, str(u.customer_id)) for u in updates])
    # marked only once the broker has them: a crash in between announces them again, never not at all
    await records.mark_customers_published(updates)


async def record_routing(batch: list[Incoming[RoutedCase]], *, records: CustomerRecords) -> None:
    """Attach each mention's case, department, handling mode and SLA to its interaction."""
    await records.record_routing([item.event for item in batch])


async def record_replies(batch: list[Incoming[Reply]], *, records: CustomerRecords) -> None:
    """Attach each reply and its status to the interaction it answers."""
    await records.record_replies([item.event for item in batch])


# what a customer record keeps of a case's life; claims, notes, queue moves stay with the router
TIMELINE = frozenset({CaseEventKind.FIRST_RESPONSE, CaseEventKind.SLA_BREACHED,
                      CaseEventKind.TRANSFERRED, CaseEventKind.RESOLVED, CaseEventKind.REOPENED,
                      CaseEventKind.FOLLOW_UP_SENT, CaseEventKind.RATED, CaseEventKind.CLOSED})


async def record_case_events(batch: list[Incoming[CaseEvent]], *, records: CustomerRecords) -> None:
    """Put the case events a customer record needs (first response, breaches, resolution, ratings…)
    on the customer's timeline; a batch with none of them touches nothing."""
    kept = [item.event for item in batch if item.event.kind in TIMELINE]
    if kept:
        await records.record_case_events(kept)
