"""Ingest's tables: the mention dedupe ledger and the dead-letter archive."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from heed.contracts.events import DeadLetter


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
        " error, origin, original, failed_at)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::bigint[], $5::text[], $6::text[],"
        " $7::text[], $8::text[], $9::bytea[], $10::timestamptz[])"
        " ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
        [d.event_id for d in letters], [d.source_topic for d in letters], [d.partition for d in letters],
        [d.offset for d in letters], [d.service for d in letters], [d.error_type for d in letters],
        [d.error for d in letters], [d.origin for d in letters], [d.original for d in letters],
        [d.occurred_at for d in letters])
    return len(result)
