"""The classifier's table of decisions, in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from heed.contracts.events import ClassifiedMention


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
