"""The router's tables in PostgreSQL: cases, routing decisions, customer tiers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from heed.contracts.events import CustomerTier, CustomerUpdate
from heed_router.domain.cases import Assignment, KnownCustomer


class PostgresCases:
    """The CaseStore over the router's schema."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def customers(self, identities: Sequence[str]) -> dict[str, KnownCustomer]:
        if not identities:
            return {}
        rows = await self.pool.fetch(
            "SELECT identity, tier, owner FROM customer_tiers WHERE identity = ANY($1::text[])",
            list(set(identities)))
        return {r["identity"]: KnownCustomer(CustomerTier(r["tier"]), r["owner"]) for r in rows}

    async def record_routing(self, assignments: Sequence[Assignment]) -> dict[uuid.UUID, uuid.UUID]:
        """Open cases and record decisions in one transaction; returns case_id → its first mention."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO cases (case_id, channel, thread_root, department, first_mention_id)"
                " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[])"
                " ON CONFLICT DO NOTHING",
                [a.case_id for a in assignments], [a.mention.channel.value for a in assignments],
                [a.mention.thread_root for a in assignments], [a.decision.department for a in assignments],
                [a.mention.mention_id for a in assignments])
            await conn.execute(
                "INSERT INTO routed (mention_id, case_id, department, mode, priority, sla_due_at, rule_id)"
                " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[],"
                " $6::timestamptz[], $7::text[]) ON CONFLICT (mention_id) DO NOTHING",
                [a.mention.mention_id for a in assignments], [a.case_id for a in assignments],
                [a.decision.department for a in assignments], [a.decision.mode.value for a in assignments],
                [a.decision.priority for a in assignments], [a.sla_due_at for a in assignments],
                [a.decision.rule_id for a in assignments])
            found = await conn.fetch(
                "SELECT case_id, first_mention_id FROM cases WHERE case_id = ANY($1::uuid[])",
                list({a.case_id for a in assignments}))
        return {uuid.UUID(str(r["case_id"])): uuid.UUID(str(r["first_mention_id"])) for r in found}

    async def apply_customer_updates(self, updates: Sequence[CustomerUpdate]) -> None:
        rows = [(identity, u.tier.value, u.owner, u.version) for u in updates for identity in u.identities]
        if not rows:
            return
        await self.pool.executemany(
            "INSERT INTO customer_tiers (identity, tier, owner, version) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (identity) DO UPDATE SET tier = excluded.tier, owner = excluded.owner,"
            " version = excluded.version, updated_at = now()"
            " WHERE customer_tiers.version <= excluded.version", rows)
