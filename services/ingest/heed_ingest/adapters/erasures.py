"""Erasure in ingest's schema: an erased customer's ledger rows (`mentions`) and dead letters
(`dead_letters`) deleted, their hashes remembered (`erased_identities`), the audit (`erasures`)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from heed_ingest.adapters.dead_letters import ERASURE_LOCK
from heed_ingest.domain.erasure import Erasure, ErasureReport, holds_platform_id, letter_bytes

Conn = asyncpg.Connection | PoolConnectionProxy
SCAN_CHUNK = 200  # dead letters whose bytes are read into memory at once while scanning


def _count(status: str) -> int:
    return int(status.split()[-1])


class PostgresErasures:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def forget(self, erasure: Erasure) -> ErasureReport:
        """One transaction: remember the hashes, delete what they and the ids find, record the audit."""
        identities = erasure.identities
        every_hash = [h for i in identities for h in i.identity_hashes]
        channels = [i.identity.channel for i in identities]
        platform_ids = [i.identity.platform_id for i in identities]
        async with self.pool.acquire() as conn, conn.transaction():
            # the same rule as domain.erasure.ledger_row_embeds, for rows from before authors were hashed
            # and for other people's rows in a thread rooted on the identity; a scan of the table (no
            # index on the hot insert path), before the lock so the archive waits only for the rest
            mentions = _count(await conn.execute(
                "DELETE FROM mentions m WHERE m.author_hash = ANY($1::bytea[])"
                " OR EXISTS (SELECT 1 FROM unnest($2::text[], $3::text[]) AS i(channel, platform_id)"
                " WHERE m.channel = i.channel AND (m.thread_root = 'dm:' || i.platform_id"
                " OR starts_with(m.thread_root, i.platform_id || ':')))",
                every_hash, channels, platform_ids))
            # exclusive: no dead letter is being archived while this looks for them
            await conn.execute("SELECT pg_advisory_xact_lock($1)", ERASURE_LOCK)
            await conn.execute(
                "INSERT INTO erased_identities (identity_hash, platform_id_hash, erased_at)"
                " SELECT identity_hash, platform_id_hash, now()"
                " FROM unnest($1::bytea[], $2::bytea[]) AS e(identity_hash, platform_id_hash)"
                " ON CONFLICT (identity_hash) DO UPDATE SET erased_at = now(),"
                " platform_id_hash = excluded.platform_id_hash",
                [i.identity_hash for i in identities], [i.platform_id_hash for i in identities])
            letters = _count(await conn.execute(
                "DELETE FROM dead_letters WHERE identity_hashes && $1::bytea[]", every_hash))
            letters += await self._delete_scanned(conn, platform_ids)
            report = ErasureReport(mentions=mentions, dead_letters=letters)
            await conn.execute(
                "INSERT INTO erasures (erasure_id, subject_hash, identities, rows_removed) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (erasure_id) DO NOTHING",
                erasure.erasure_id, erasure.subject_hash, len(identities), json.dumps(report.fields()))
        return report

    async def _delete_scanned(self, conn: Conn, platform_ids: list[str]) -> int:
        """Dead letters that name no customer in typed fields and hold one of `platform_ids`.

        Bounded: only letters not attributed completely are read (raw platform bodies, bytes that did
        not decode, letters archived before migration 005), and the archive holds at most
        HEED_DLQ_RETENTION_DAYS of them. PostgreSQL narrows them to those holding the id's bytes
        anywhere; `holds_platform_id` then wants it as a whole token (why, and what it misses, is
        said there). The scan costs one pass over those letters per erasure, in chunks.
        """
        needles = [p.encode() for p in platform_ids]
        gone, after = 0, uuid.UUID(int=0)
        while True:
            rows = await conn.fetch(
                "SELECT event_id, original, key, origin, error FROM dead_letters d"
                " WHERE NOT identities_complete AND event_id > $2"
                " AND EXISTS (SELECT 1 FROM unnest($1::bytea[], $4::text[]) AS n(id, text)"
                " WHERE position(n.id IN d.original) > 0"
                " OR strpos(concat_ws(E'\\n', d.key, d.origin, d.error), n.text) > 0)"
                " ORDER BY event_id LIMIT $3", needles, after, SCAN_CHUNK, platform_ids)
            if not rows:
                return gone
            after = rows[-1]["event_id"]
            found = [r["event_id"] for r in rows
                     if any(holds_platform_id(letter_bytes(bytes(r["original"]), r["key"], r["origin"], r["error"]),
                                              p) for p in platform_ids)]
            if found:
                gone += _count(await conn.execute("DELETE FROM dead_letters WHERE event_id = ANY($1::uuid[])",
                                                  found))

    async def expire(self, older_than: timedelta) -> int:
        return _count(await self.pool.execute(
            "DELETE FROM erased_identities WHERE erased_at < now() - $1::interval", older_than))
