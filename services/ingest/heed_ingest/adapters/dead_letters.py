"""The dead-letter archive in PostgreSQL (table `dead_letters`): what ingest stores from the DLQ
and what `heed dlq` lists, shows, replays and purges."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from heed_ingest.domain.erasure import AttributedLetter, withheld
from heed_ingest.ports import Archived, CustomerErasures, DeadLetterArchive

log = logging.getLogger(__name__)

# The advisory lock that orders archiving dead letters against erasing a customer's (any 64-bit
# number no other lock of Heed's uses)
ERASURE_LOCK = int.from_bytes(hashlib.sha256(b"heed ingest: dead letters and erasures").digest()[:8], "big",
                              signed=True)


@dataclass(frozen=True)
class ArchivedDeadLetter:
    """A row of the dead-letter archive, without its body (personal data) unless asked for."""

    event_id: uuid.UUID
    failed_at: datetime
    source_topic: str
    partition: int | None
    offset: int | None
    key: str | None
    service: str
    error_type: str
    error: str
    origin: str | None
    raw_source: str | None
    raw_content_type: str | None
    replayed_at: datetime | None
    size: int


_SELECT_DEAD_LETTERS = (
    "SELECT event_id, failed_at, source_topic, partition, \"offset\", key, service, error_type, error, origin,"
    " raw_source, raw_content_type, replayed_at, octet_length(original) AS size FROM dead_letters"
    " WHERE ($1::uuid[] IS NULL OR event_id = ANY($1::uuid[]))"
    " AND ($2::timestamptz IS NULL OR failed_at >= $2)"
    " AND ($3::text IS NULL OR source_topic = $3)"
    " AND ($4::text IS NULL OR service = $4)"
    " AND ($5::boolean IS NULL OR (replayed_at IS NOT NULL) = $5)")


class PostgresDeadLetterArchive:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def archive(self, letters: Sequence[AttributedLetter]) -> Archived:
        """Store DLQ records once each with their identity hashes, except those about an erased customer."""
        if not letters:
            return Archived(0)
        async with self.pool.acquire() as conn, conn.transaction():
            # shared with other archives, exclusive with an erasure: a letter is either stored before
            # the erasure (which deletes it) or judged after it (and withheld), never between
            await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", ERASURE_LOCK)
            erased = await conn.fetch(
                "SELECT identity_hash, platform_id_hash FROM erased_identities"
                " WHERE identity_hash = ANY($1::bytea[]) OR platform_id_hash = ANY($2::bytea[])",
                list({h for a in letters for h in a.screen_identities}),
                list({h for a in letters for h in a.screen_platform_ids}))
            out = withheld(letters, {bytes(r["identity_hash"]) for r in erased},
                           {bytes(r["platform_id_hash"]) for r in erased})
            kept = [a for a in letters if a.letter.event_id not in out]
            d = [a.letter for a in kept]
            result = await conn.fetch(
                "INSERT INTO dead_letters (event_id, source_topic, partition, \"offset\", service, error_type,"
                " error, origin, original, failed_at, key, raw_source, raw_content_type, identity_hashes,"
                " identities_complete)"
                " SELECT event_id, source_topic, partition, \"offset\", service, error_type, error, origin,"
                " original, failed_at, key, raw_source, raw_content_type,"
                " ARRAY(SELECT decode(h, 'hex') FROM unnest(string_to_array(hashes, ',')) AS h WHERE h <> ''),"
                " complete"
                " FROM unnest($1::uuid[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::text[],"
                " $7::text[], $8::text[], $9::bytea[], $10::timestamptz[], $11::text[], $12::text[], $13::text[],"
                " $14::text[], $15::boolean[])"
                " AS l(event_id, source_topic, partition, \"offset\", service, error_type, error, origin, original,"
                " failed_at, key, raw_source, raw_content_type, hashes, complete)"
                " ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
                [x.event_id for x in d], [x.source_topic for x in d], [x.partition for x in d],
                [x.offset for x in d], [x.service for x in d], [x.error_type for x in d],
                [x.error for x in d], [x.origin for x in d], [x.original for x in d],
                [x.occurred_at for x in d], [x.key for x in d], [x.raw_source for x in d],
                [x.raw_content_type for x in d],
                # unnest cannot carry an array per row: each letter's hashes travel as one hex list
                [",".join(h.hex() for h in a.identity_hashes) for a in kept], [a.complete for a in kept])
        return Archived(len(result), withheld=len(out))

    async def select(
            self, *, ids: Sequence[uuid.UUID] | None = None, since: datetime | None = None,
            topic: str | None = None, service: str | None = None, replayed: bool | None = None,
            limit: int | None = None, newest_first: bool = False) -> list[ArchivedDeadLetter]:
        """Archived dead letters matching every filter given, oldest first unless `newest_first`."""
        order = " ORDER BY failed_at DESC, event_id DESC" if newest_first else " ORDER BY failed_at, event_id"
        rows = await self.pool.fetch(_SELECT_DEAD_LETTERS + order + " LIMIT $6",
                                     None if ids is None else list(ids), since, topic, service, replayed, limit)
        return [ArchivedDeadLetter(
            event_id=uuid.UUID(str(r["event_id"])), failed_at=r["failed_at"], source_topic=r["source_topic"],
            partition=r["partition"], offset=r["offset"], key=r["key"], service=r["service"],
            error_type=r["error_type"], error=r["error"], origin=r["origin"], raw_source=r["raw_source"],
            raw_content_type=r["raw_content_type"], replayed_at=r["replayed_at"], size=r["size"]) for r in rows]

    async def bodies(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, bytes]:
        """The original bytes of the dead letters `ids`."""
        rows = await self.pool.fetch(
            "SELECT event_id, original FROM dead_letters WHERE event_id = ANY($1::uuid[])", list(ids))
        return {uuid.UUID(str(r["event_id"])): bytes(r["original"]) for r in rows}

    async def mark_replayed(self, ids: Sequence[uuid.UUID]) -> int:
        """Record that the dead letters `ids` were published back to their topics just now."""
        if not ids:
            return 0
        rows = await self.pool.fetch(
            "UPDATE dead_letters SET replayed_at = now() WHERE event_id = ANY($1::uuid[]) RETURNING event_id",
            list(ids))
        return len(rows)

    async def purge(self, older_than: timedelta) -> int:
        """Delete dead letters that failed more than `older_than` ago; returns how many went."""
        return int(await self.pool.fetchval(
            "WITH gone AS (DELETE FROM dead_letters WHERE failed_at < now() - $1::interval RETURNING 1)"
            " SELECT count(*) FROM gone", older_than))


PURGE_EVERY_S = 3600.0


async def purge_on_schedule(archive: DeadLetterArchive, retention: timedelta, every_s: float = PURGE_EVERY_S, *,
                            erasures: CustomerErasures | None = None) -> None:
    """Ingest's retention task: purge now and every `every_s` until cancelled; with `erasures`, the
    hashes of identities erased longer ago than `retention` are forgotten too.

    A failed purge (database away) is logged and tried again at the next interval: nothing is
    lost by waiting, and it must not take the service down.
    """
    while True:
        try:
            purged = await archive.purge(retention)
            expired = await erasures.expire(retention) if erasures is not None else 0
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("dead-letter purge failed; trying again at the next interval", exc_info=True)
        else:
            if purged or expired:
                log.info("dead letters purged", extra={"fields": {
                    "purged": purged, "erased_identities_expired": expired, "retention_days": retention.days}})
        await asyncio.sleep(every_s)
