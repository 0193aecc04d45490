"""crm-sync's handlers: plain async functions over an event batch and the ports they use.

Each topic lands in its own part of the customer record, keyed by mention, so a mention, its
routing and its reply can arrive in any order. `bootstrap.py` hands each handler its ports.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from heed.contracts import topics
from heed.contracts.events import CaseEvent, CaseEventKind, Mention, Reply, RoutedCase
from heed.runtime.messaging import Incoming, Outgoing
from heed.runtime.ports import Clock, EventPublisher
from heed.secure_link import LinkClaims
from heed_crm_sync.data_keys import DataKeys
from heed_crm_sync.ports import CustomerRecords, Verifications
from heed_crm_sync.verification import (
    Decision,
    LinkUse,
    Outcome,
    Submission,
    contact_context,
    details_context,
    form_token_valid,
    identity_matches,
    normalise_order_number,
)

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class VerificationPolicy:
    """The keys and limits the verification page works with (from CrmSyncSettings)."""

    data_keys: DataKeys
    link_keys: Sequence[bytes]
    max_attempts: int = 5
    form_ttl_s: int = 1800


async def submit_verification(claims: LinkClaims, submission: Submission, *, verifications: Verifications,
                              publisher: EventPublisher, clock: Clock, policy: VerificationPolicy) -> Decision:
    """Judge one submitted verification form for a genuine, unexpired link.

    The order number and the last 4 digits of a phone on record must both match; a miss counts
    against the link and the last allowed miss spends it. A match spends the link, keeps the
    details sealed and marks the customer and the case verified, all in one transaction; the
    announcement on heed.crm.verifications follows the commit (and is retried until it is out).
    """
    now = clock.now()
    if not form_token_valid(policy.link_keys, submission.form_token, claims.link_id, now, policy.form_ttl_s):
        return Decision(Outcome.STALE_FORM)
    async with verifications.attempt(claims.link_id) as attempt:
        if attempt.spent is LinkUse.VERIFIED:
            return Decision(Outcome.ALREADY_USED)
        if attempt.spent is LinkUse.LOCKED or attempt.failures >= policy.max_attempts:
            return Decision(Outcome.LOCKED, 0)
        keys = policy.data_keys
        order = normalise_order_number(submission.order_number)
        record = await attempt.identity_on_record(claims.customer_id, keys.lookup_hashes("order", order))
        context = contact_context(claims.customer_id, "phone")
        phones = [keys.open(sealed, context).decode() for sealed in record.phones]
        if not identity_matches(record.order_known, phones, submission.last4):
            failures = await attempt.refuse(now)
            if failures >= policy.max_attempts:
                await attempt.lock(claims, now)
                return Decision(Outcome.LOCKED, 0)
            return Decision(Outcome.WRONG_IDENTITY, policy.max_attempts - failures)
        details = keys.seal(submission.details.encode(), details_context(claims)) if submission.details else None
        await attempt.verify(claims, details, now)
    try:
        await announce_verifications(verifications=verifications, publisher=publisher)
    except Exception as error:  # the customer is verified; the service's announcer retries until it is out
        log.warning("verification recorded, its announcement is retried",
                    extra={"fields": {"error_type": type(error).__name__}})
    return Decision(Outcome.VERIFIED)


async def announce_verifications(*, verifications: Verifications, publisher: EventPublisher) -> int:
    """Publish every verification not yet on heed.crm.verifications; how many were published."""
    events = await verifications.unpublished()
    if events:
        await publisher.publish([Outgoing(topics.CRM_VERIFICATIONS, e, str(e.case_id)) for e in events])
        # marked only once the broker has them: a crash in between announces them again, never not at all
        await verifications.mark_published(events)
    return len(events)
