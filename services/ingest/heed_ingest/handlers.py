"""Ingest's handlers: plain async functions of an event batch and the ports they use.

`bootstrap.py` binds the ports (PostgreSQL, the broker, the Graph API); unit tests bind the fakes of
`tests/unit/ingest/fakes.py` and call them directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from heed.contracts import topics
from heed.contracts.events import CustomerUpdate, DeadLetter, RawMention
from heed.runtime.messaging import Incoming, Outgoing, Rejected
from heed.runtime.ports import EventPublisher
from heed_ingest.domain.drafts import InstagramLookup, MentionDraft, UnparseableBody
from heed_ingest.domain.erasure import IdentityHashes, attribute, erasure_of
from heed_ingest.domain.normalise import build_mentions, first_arrivals, parents
from heed_ingest.parsing import parse_raw
from heed_ingest.ports import CustomerErasures, DeadLetterArchive, InstagramResolver, LedgerRow, MentionLedger

log = logging.getLogger(__name__)

NO_GRAPH_TOKEN = ("an Instagram @mention needs a Graph API call for its text: set HEED_META_ACCESS_TOKEN, "
                  "restart ingest, then run `heed dlq replay <id>` (the id from "
                  "`heed dlq list --topic heed.mentions.raw`)")


@dataclass
class Counts:
    """What the normaliser saw that is counted, not published."""

    engagement: int = 0  # likes, reactions, follows and other events that are not mentions


async def normalise(batch: list[Incoming[RawMention]], *, ledger: MentionLedger, publisher: EventPublisher,
                    instagram: InstagramResolver | None, counts: Counts, hashes: IdentityHashes) -> list[Rejected]:
    """Raw bodies → mentions on heed.mentions, each post once, with its thread root.

    A body that cannot be read comes back Rejected with its authentic bytes (the Stage dead-letters
    it). An Instagram @mention's text is fetched (`instagram`; None when no Graph token is set) and
    goes round again as a raw event. Mentions are recorded only once the broker has them.
    The ledger records each author as a keyed hash (`hashes`), which an erasure finds it by.
    """
    parsed: list[tuple[Incoming[RawMention], MentionDraft]] = []
    rejected: list[Rejected] = []
    lookups: list[RawMention] = []
    for item in batch:
        try:
            result = parse_raw(item.event)
            counts.engagement += result.engagement
            lookups += await resolve_instagram_mentions(result.lookups, instagram)
        except UnparseableBody as exc:
            # the authentic body is what an operator needs; the source is what `heed dlq replay`
            # wraps it in again
            rejected.append(Rejected(item, exc, original=item.event.body, origin=item.event.origin, details={
                "raw_source": item.event.source, "raw_content_type": item.event.content_type}))
            continue
        parsed.extend((item, draft) for draft in result.drafts)
    arrivals = first_arrivals(parsed)
    roots = await ledger.known_thread_roots(parents(draft for _, draft in arrivals))
    mentions = build_mentions(((item.event, draft) for item, draft in arrivals), roots)
    async with ledger.recording([LedgerRow.of(m, hashes) for m in mentions]) as pending:
        out = []
        for (item, _), mention in zip(arrivals, mentions, strict=True):
            if mention.mention_id not in pending:
                continue  # published before: by webhook and poll both, or a replayed file
            if pending[mention.mention_id] != mention.thread_root:
                # recorded by an earlier, unpublished attempt: the root it was recorded with stays
                mention = mention.model_copy(update={"thread_root": pending[mention.mention_id]})
            out.append(Outgoing(topics.MENTIONS, mention, mention.conversation_key, item.context))
        out.extend(Outgoing(topics.MENTIONS_RAW, raw, f"instagram:{raw.event_id}") for raw in lookups)
        # inside the ledger's transaction: a refused publish records nothing, and the redelivery
        # publishes the batch again
        await publisher.publish(out)
    return rejected


async def resolve_instagram_mentions(lookups: list[InstagramLookup],
                                     instagram: InstagramResolver | None) -> list[RawMention]:
    """The text of Instagram @mentions as raw events; without a Graph token the body is unparseable."""
    if not lookups:
        return []
    if instagram is None:
        raise UnparseableBody(NO_GRAPH_TOKEN)
    return [await instagram.resolve(lookup) for lookup in lookups]


async def archive_dead_letters(batch: list[Incoming[DeadLetter]], *, archive: DeadLetterArchive,
                               hashes: IdentityHashes) -> None:
    """Every dead letter on heed.dlq into the archive `heed dlq` reads, once each, with the hashes of
    the customers it names; one about a customer erased within retention is not kept."""
    archived = await archive.archive([attribute(item.event, hashes) for item in batch])
    if archived.withheld:
        log.info("dead letters of erased customers not archived", extra={"fields": {"withheld": archived.withheld}})


async def forget_erased_customers(batch: list[Incoming[CustomerUpdate]], *, erasures: CustomerErasures,
                                  hashes: IdentityHashes) -> None:
    """An erased customer's identities: their ledger rows and dead letters deleted, their later dead
    letters kept out. Every other customer update is not ingest's business."""
    for item in batch:
        erasure = erasure_of(item.event, hashes)
        if erasure is None:
            continue
        report = await erasures.forget(erasure)
        # counts only: an id, even the customer's, would say who was erased
        log.info("erased customer forgotten", extra={"fields": {
            "identities": len(erasure.identities), "unreadable_identities": erasure.unreadable, **report.fields()}})
