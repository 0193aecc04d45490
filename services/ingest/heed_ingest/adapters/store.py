"""Ingest's tables: the mention dedupe ledger and the dead-letter archive."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from heed.contracts.events import DeadLetter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LedgerRow:
    channel: str
    native_id: str
    mention_id: uuid.UUID
    thread_root: str
    raw_event_id: uuid.UUID
    received_at: datetime


async def known_thread_roots(pool: asyncpg.Pool, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    keys = list(keys)
    if not keys:
        return {}
    rows = await pool.fetch(
        "SELECT m.channel, m.native_id, m.thread_root FROM mentions m"
        " JOIN unnest($1::text[], $2::text[]) AS k(channel, native_id)"
        " ON m.channel = k.channel AND m.native_id = k.native_id",
        [k[0] for k in keys], [k[1] for k in keys])
    return {(r["channel"], r["native_id"]): r["thread_root"] for r in rows}


async def record_mentions(pool: asyncpg.Pool, rows: Sequence[LedgerRow]) -> dict[uuid.UUID, str]:
    """Record arrivals; returns mention_id → thread root for those not yet published downstream.

    A mention already published (the same post by webhook and by poll, or a replayed file) is
    counted as seen again and not returned.
    """
    if not rows:
        return {}
    result = await pool.fetch(
        "INSERT INTO mentions (channel, native_id, mention_id, thread_root, raw_event_id, received_at)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::uuid[], $6::timestamptz[])"
        " ON CONFLICT (channel, native_id) DO UPDATE SET seen = mentions.seen + 1"
        " RETURNING mention_id, thread_root, published",
        [r.channel for r in rows], [r.native_id for r in rows], [r.mention_id for r in rows],
        [r.thread_root for r in rows], [r.raw_event_id for r in rows], [r.received_at for r in rows])
    return {uuid.UUID(str(r["mention_id"])): r["thread_root"] for r in result if not r["published"]}


async def mark_published(pool: asyncpg.Pool, mention_ids: Sequence[uuid.UUID]) -> None:
    if mention_ids:
        await pool.execute("UPDATE mentions SET published = true WHERE mention_id = ANY($1::uuid[])",
                           list(mention_ids))


async def archive_dead_letters(pool: asyncpg.Pool, letters: Sequence[DeadLetter]) -> int:
    """Store DLQ records once each; returns how many were new."""
    if not letters:
        return 0
    result = await pool.fetch(
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


async def select_dead_letters(
        pool: asyncpg.Pool, *, ids: Sequence[uuid.UUID] | None = None, since: datetime | None = None,
        topic: str | None = None, service: str | None = None, replayed: bool | None = None,
        limit: int | None = None, newest_first: bool = False) -> list[ArchivedDeadLetter]:
    """Archived dead letters matching every filter given, oldest first unless `newest_first`."""
    order = " ORDER BY failed_at DESC, event_id DESC" if newest_first else " ORDER BY failed_at, event_id"
    rows = await pool.fetch(_SELECT_DEAD_LETTERS + order + " LIMIT $6",
                            None if ids is None else list(ids), since, topic, service, replayed, limit)
    return [ArchivedDeadLetter(
        event_id=uuid.UUID(str(r["event_id"])), failed_at=r["failed_at"], source_topic=r["source_topic"],
        partition=r["partition"], offset=r["offset"], key=r["key"], service=r["service"],
        error_type=r["error_type"], error=r["error"], origin=r["origin"], raw_source=r["raw_source"],
        raw_content_type=r["raw_content_type"], replayed_at=r["replayed_at"], size=r["size"]) for r in rows]


async def dead_letter_bodies(pool: asyncpg.Pool, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, bytes]:
    """The original bytes of the dead letters `ids`."""
    rows = await pool.fetch("SELECT event_id, original FROM dead_letters WHERE event_id = ANY($1::uuid[])",
                            list(ids))
    return {uuid.UUID(str(r["event_id"])): bytes(r["original"]) for r in rows}


async def mark_replayed(pool: asyncpg.Pool, ids: Sequence[uuid.UUID]) -> int:
    """Record that the dead letters `ids` were published back to their topics just now."""
    if not ids:
        return 0
    rows = await pool.fetch("UPDATE dead_letters SET replayed_at = now() WHERE event_id = ANY($1::uuid[])"
                            " RETURNING event_id", list(ids))
    return len(rows)


async def purge_dead_letters(pool: asyncpg.Pool, older_than: timedelta) -> int:
    """Delete dead letters that failed more than `older_than` ago; returns how many went."""
    return int(await pool.fetchval(
        "WITH gone AS (DELETE FROM dead_letters WHERE failed_at < now() - $1::interval RETURNING 1)"
        " SELECT count(*) FROM gone", older_than))


PURGE_EVERY_S = 3600.0


async def purge_on_schedule(pool: asyncpg.Pool, retention: timedelta, every_s: float = PURGE_EVERY_S) -> None:
    """Ingest's retention task: purge now and every `every_s` until cancelled.

    A failed purge (database away) is logged and tried again at the next interval: nothing is
    lost by waiting, and it must not take the service down.
    """
    while True:
        try:
            purged = await purge_dead_letters(pool, retention)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("dead-letter purge failed; trying again at the next interval", exc_info=True)
        else:
            if purged:
                log.info("dead letters purged", extra={"fields": {
                    "purged": purged, "retention_days": retention.days}})
        await asyncio.sleep(every_s)
