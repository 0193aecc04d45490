"""The mention dedupe ledger in PostgreSQL (table `mentions`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

import asyncpg

from heed_ingest.ports import LedgerRow


class PostgresLedger:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def known_thread_roots(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        keys = list(keys)
        if not keys:
            return {}
        rows = await self.pool.fetch(
            "SELECT m.channel, m.native_id, m.thread_root FROM mentions m"
            " JOIN unnest($1::text[], $2::text[]) AS k(channel, native_id)"
            " ON m.channel = k.channel AND m.native_id = k.native_id",
            [k[0] for k in keys], [k[1] for k in keys])
        return {(r["channel"], r["native_id"]): r["thread_root"] for r in rows}

    async def record(self, rows: Sequence[LedgerRow]) -> dict[uuid.UUID, str]:
        if not rows:
            return {}
        result = await self.pool.fetch(
            "INSERT INTO mentions (channel, native_id, mention_id, thread_root, raw_event_id, received_at,"
            " author_hash) SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::uuid[],"
            " $6::timestamptz[], $7::bytea[])"
            # a row recorded before authors were hashed learns its author when the post comes again
            " ON CONFLICT (channel, native_id) DO UPDATE SET seen = mentions.seen + 1,"
            " author_hash = coalesce(mentions.author_hash, excluded.author_hash)"
            " RETURNING mention_id, thread_root, published",
            [r.channel for r in rows], [r.native_id for r in rows], [r.mention_id for r in rows],
            [r.thread_root for r in rows], [r.raw_event_id for r in rows], [r.received_at for r in rows],
            [r.author_hash for r in rows])
        return {uuid.UUID(str(r["mention_id"])): r["thread_root"] for r in result if not r["published"]}

    async def mark_published(self, mention_ids: Sequence[uuid.UUID]) -> None:
        if mention_ids:
            await self.pool.execute("UPDATE mentions SET published = true WHERE mention_id = ANY($1::uuid[])",
                                    list(mention_ids))
