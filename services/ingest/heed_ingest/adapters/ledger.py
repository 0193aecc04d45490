"""The mention dedupe ledger in PostgreSQL (table `mentions`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager

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

    @asynccontextmanager
    async def recording(self, rows: Sequence[LedgerRow]) -> AsyncIterator[dict[uuid.UUID, str]]:
        if not rows:
            yield {}
            return
        async with self.pool.acquire() as conn, conn.transaction():
            result = await conn.fetch(_RECORD, [r.channel for r in rows], [r.native_id for r in rows],
                                      [r.mention_id for r in rows], [r.thread_root for r in rows],
                                      [r.raw_event_id for r in rows], [r.received_at for r in rows],
                                      [r.author_hash for r in rows])
            # the caller publishes inside the transaction: a refused publish rolls the rows back
            yield {uuid.UUID(str(r["mention_id"])): r["thread_root"] for r in result}


# Rows are written published: the transaction commits only after the broker has them. Written so,
# a mention costs one row version; marking it published after the publish was a second, and that
# UPDATE was the costliest statement of a `heed bench` run. Returned: the new rows (xmax 0: not
# the conflict's update), and rows an earlier version of ingest recorded unpublished (the CTE reads
# the snapshot from before the insert; a row another transaction is inserting meanwhile is theirs
# to publish: the insert waits for it and then counts it as seen).
_RECORD = """
WITH arrival AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::uuid[], $6::timestamptz[],
                         $7::bytea[]) AS a(channel, native_id, mention_id, thread_root, raw_event_id, received_at,
                                          author_hash)),
unpublished AS (
    SELECT m.channel, m.native_id FROM mentions m JOIN arrival a USING (channel, native_id) WHERE NOT m.published),
recorded AS (
    INSERT INTO mentions (channel, native_id, mention_id, thread_root, raw_event_id, received_at, author_hash,
                          published)
    SELECT *, true FROM arrival
    -- a row recorded before authors were hashed learns its author when the post comes again
    ON CONFLICT (channel, native_id) DO UPDATE SET seen = mentions.seen + 1, published = true,
        author_hash = coalesce(mentions.author_hash, excluded.author_hash)
    RETURNING channel, native_id, mention_id, thread_root, xmax = 0 AS inserted)
SELECT r.mention_id, r.thread_root FROM recorded r
WHERE r.inserted OR (r.channel, r.native_id) IN (SELECT channel, native_id FROM unpublished)
"""
