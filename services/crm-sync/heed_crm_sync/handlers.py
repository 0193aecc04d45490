"""crm-sync's handlers: plain async functions over an event batch and the ports they use.

Each topic lands in its own part of the customer record, keyed by mention, so a mention, its
routing and its reply can arrive in any order. `bootstrap.py` hands each handler its ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from heed.contracts import topics
from heed.contracts.events import CaseEvent, CaseEventKind, Mention, Reply, RoutedCase
from heed.runtime.messaging import Incoming, Outgoing
from heed.runtime.ports import Clock, EventPublisher
from heed.secure_link import LinkClaims
from heed_crm_sync.adapters.postgres import PostgresCustomerRecords
from heed_crm_sync.data_keys import DataKeys
from heed_crm_sync.domain.preferences import extract_preferences
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
# a mention is read once its transaction has surely committed: recorded_at is its transaction's start
PREFERENCES_SETTLE = timedelta(seconds=10)


async def record_mentions(batch: list[Incoming[Mention]], *, records: CustomerRecords,
                          publisher: EventPublisher, announcing: asyncio.Lock | None = None) -> None:
    """Record each mention as an interaction of its author's customer, then announce on
    heed.crm.customers every customer whose version was not announced yet (from this batch or
    one that failed after recording): ids and tier, never what a customer wrote. While the 2-second
    round is announcing (it holds `announcing`), the batch leaves its customers to that round instead
    of waiting for it."""
    await records.record_mentions([item.event for item in batch])
    if announcing is None or not announcing.locked():
        await announce_customers(records=records, publisher=publisher, announcing=announcing)


async def announce_customers(*, records: CustomerRecords, publisher: EventPublisher,
                             announcing: asyncio.Lock | None = None) -> int:
    """Publish every customer version not announced yet (new customers, changes, merges, erasures) on
    heed.crm.customers: ids, tier, owner, name, language, tags, consent, confirmed preferences. An
    erasure goes on heed.crm.erasures as well, for the services that need nothing else.

    `announcing` is the process's one lock for this: the mentions handler and the 2-second round both
    announce, and without it both could read the same versions before either marked them."""
    async with announcing or contextlib.nullcontext():
        updates = await records.unpublished_customers()
        if updates:
            await publisher.publish([Outgoing(topics.CRM_CUSTOMERS, u, str(u.customer_id)) for u in updates]
                                    + [Outgoing(topics.CRM_ERASURES, u, str(u.customer_id))
                                       for u in updates if u.erased])
            # marked only once the broker has them: a crash in between announces them again, never not at all
            await records.mark_customers_published(updates)
        return len(updates)


async def read_preferences(*, records: PostgresCustomerRecords, limit: int = 500,
                           settle: timedelta = PREFERENCES_SETTLE) -> int:
    """Read what customers said they prefer from the mentions recorded since the last round, at most
    `limit`, and keep it (sure statements confirmed and announced, the rest proposed to an agent).
    The extractor is pure CPU (60 µs a Chinese post, 150 µs an English one), so it runs beside the
    pipeline at a bounded pace; it follows a keyset cursor, so no interaction is written again."""
    unread = await records.unread_for_preferences(limit, settle)
    if not unread:
        return 0
    stated = [(u.mention_id, u.customer_id, p, u.occurred_at) for u in unread for p in extract_preferences(u.text)]
    await records.record_preferences(stated, unread[-1])
    return len(unread)


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
        on_file = await attempt.identity_on_record(claims.customer_id, keys.lookup_hashes("order", order))
        matched = [r.root for r in on_file.records if identity_matches(
            True, [keys.open(sealed, contact_context(member, "phone")).decode() for member, sealed in r.phones],
            submission.last4)]
        # the link's own record first; another record only when exactly one holds both the order and
        # the phone (an order number shared by two records proves nothing)
        merge_with = None if on_file.link_root in matched else matched[0] if len(matched) == 1 else None
        if on_file.link_root not in matched and merge_with is None:
            failures = await attempt.refuse(now)
            if failures >= policy.max_attempts:
                await attempt.lock(claims, now)
                return Decision(Outcome.LOCKED, 0)
            return Decision(Outcome.WRONG_IDENTITY, policy.max_attempts - failures)
        details = keys.seal(submission.details.encode(), details_context(claims)) if submission.details else None
        await attempt.verify(claims, details, now, merge_with)
    try:
        await announce_verifications(verifications=verifications, publisher=publisher, link_id=claims.link_id)
    except Exception as error:  # the customer is verified; the service's announcer retries until it is out
        log.warning("verification recorded, its announcement is retried",
                    extra={"fields": {"error_type": type(error).__name__}})
    return Decision(Outcome.VERIFIED)


async def announce_verifications(*, verifications: Verifications, publisher: EventPublisher,
                                 link_id: uuid.UUID | None = None, verified_before: datetime | None = None) -> int:
    """Publish verifications not yet on heed.crm.verifications (one link's, or those verified before a
    time, or all); how many were published. The page announces its own link at once and the retry
    loop only leftovers older than a publish in flight, so the two never send one twice."""
    events = await verifications.unpublished(link_id=link_id, verified_before=verified_before)
    if events:
        await publisher.publish([Outgoing(topics.CRM_VERIFICATIONS, e, str(e.case_id)) for e in events])
        # marked only once the broker has them: a crash in between announces them again, never not at all
        await verifications.mark_published(events)
    return len(events)
