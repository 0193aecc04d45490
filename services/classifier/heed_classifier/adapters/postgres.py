"""The classifier's tables in PostgreSQL: its decisions, and agents' corrections with the texts."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from heed.contracts.events import ClassifiedMention
from heed_classifier.corrections import CorrectionRow, ErasedIdentity, not_erased


class PostgresClassifications:
    """ClassificationStore over the `classifications` table; the mention id is the idempotency key."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def record(self, items: Sequence[ClassifiedMention]) -> None:
        if not items:
            return
        c = [i.classification for i in items]
        await self.pool.execute(
            "INSERT INTO classifications"
            " (mention_id, language, script, category, issue_type, urgency, model_version, classification)"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
            " $7::text[], $8::jsonb[])"
            " ON CONFLICT (mention_id) DO NOTHING",
            [i.mention_id for i in items], [x.language for x in c], [x.script for x in c],
            [x.category.value for x in c], [x.issue_type.value if x.issue_type else None for x in c],
            [x.urgency.value for x in c], [x.model_version for x in c],
            # the whole model as JSON text: PII is stored as kinds only, which is what the contract carries
            [x.model_dump_json() for x in c])


# keep and forget take it: a correction and an erasure of its author never interleave
_CORRECTIONS_LOCK = int.from_bytes(b"heedcorr", "big") >> 1


class PostgresCorrections:
    """CorrectionStore over `corrections` and `erased_identities`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def keep(self, rows: Sequence[CorrectionRow]) -> int:
        if not rows:
            return 0
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _CORRECTIONS_LOCK)
            found = await conn.fetch(
                "SELECT identity_hash, erased_before FROM erased_identities WHERE identity_hash = ANY($1::bytea[])",
                sorted({h for r in rows for h in r.identity_hashes}))
            kept = not_erased(rows, {r["identity_hash"]: r["erased_before"] for r in found})
            if not kept:
                return 0
            status = await conn.execute(
                "INSERT INTO corrections (mention_id, field, value, original, text, case_id, channel, identity_hash,"
                " received_at, model_version, actor, corrected_at, event_id)"
                " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[],"
                " $7::text[], $8::bytea[], $9::timestamptz[], $10::text[], $11::text[], $12::timestamptz[],"
                " $13::uuid[])"
                " ON CONFLICT (mention_id, field) DO UPDATE SET value = excluded.value, original = excluded.original,"
                " text = excluded.text, model_version = excluded.model_version, actor = excluded.actor,"
                " corrected_at = excluded.corrected_at, event_id = excluded.event_id"
                " WHERE corrections.corrected_at <= excluded.corrected_at",
                [r.mention_id for r in kept], [r.field.value for r in kept], [r.value for r in kept],
                [r.original for r in kept], [r.text for r in kept], [r.case_id for r in kept],
                [r.channel for r in kept], [r.identity_hash for r in kept], [r.received_at for r in kept],
                [r.model_version for r in kept], [r.actor for r in kept], [r.corrected_at for r in kept],
                [r.event_id for r in kept])
            return int(status.rsplit(" ", 1)[-1])

    async def forget(self, erased: Sequence[ErasedIdentity]) -> int:
        if not erased:
            return 0
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _CORRECTIONS_LOCK)
            await conn.execute(
                "INSERT INTO erased_identities (identity_hash, erased_before) SELECT * FROM unnest($1::bytea[],"
                " $2::timestamptz[]) ON CONFLICT (identity_hash) DO UPDATE SET"
                " erased_before = greatest(erased_identities.erased_before, excluded.erased_before)",
                [e.current for e in erased], [e.before for e in erased])
            every = [(h, e.before) for e in erased for h in e.every]
            status = await conn.execute(
                "DELETE FROM corrections c USING unnest($1::bytea[], $2::timestamptz[]) AS x(identity_hash, before)"
                " WHERE c.identity_hash = x.identity_hash AND c.received_at <= x.before",
                [h for h, _ in every], [b for _, b in every])
            return int(status.rsplit(" ", 1)[-1])
