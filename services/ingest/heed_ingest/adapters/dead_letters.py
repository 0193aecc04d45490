"""The dead-letter archive in PostgreSQL (table `dead_letters`): what ingest stores from the DLQ
and what `heed dlq` lists, shows, replays and purges."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from heed.contracts.events import DeadLetter
from heed_ingest.ports import DeadLetterArchive

log = logging.getLogger(__name__)


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

    async def archive(self, letters: Sequence[DeadLetter]) -> int:
        """Store DLQ records once each; returns how many were new."""
        if not letters:
            return 0
        result = await self.pool.fetch(
            "INSERT INTO dead_letters (event_id, source_topic, partition, \"offset\", service, error_type,"
            " error, origin, original, failed_at, key, raw_source, raw_content_type)"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::text[],"
            " $7::text[], $8::text[], $9::bytea[], $10::timestamptz[], $11::text[], $12::text[], $13::text[])"
            " ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
            [d.event_id for d in letters], [d.source_topic for d in letters], [d.partition for d in letters],
            [d.offset for d in letters], [d.service for d in letters], [d.error_type for d in letters],
            [d.error for d in letters], [d.origin for d in letters], [d.original for d in letters],
            [d.occurred_at for d in letters], [d.key for d in letters], [d.raw_source for d in letters],
            [d.raw_content_type for d in letters])
        return len(result)

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


async def purge_on_schedule(archive: DeadLetterArchive, retention: timedelta,
                            every_s: float = PURGE_EVERY_S) -> None:
    """Ingest's retention task: purge now and every `every_s` until cancelled.

    A failed purge (database away) is logged and tried again at the next interval: nothing is
    lost by waiting, and it must not take the service down.
    """
    while True:
        try:
            purged = await archive.purge(retention)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("dead-letter purge failed; trying again at the next interval", exc_info=True)
        else:
            if purged:
                log.info("dead letters purged", extra={"fields": {
                    "purged": purged, "retention_days": retention.days}})
        await asyncio.sleep(every_s)
