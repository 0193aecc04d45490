"""Router's tables: cases, routing decisions, customer tiers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from heed.contracts.events import CustomerTier, CustomerUpdate


@dataclass(frozen=True)
class RoutingRow:
    mention_id: uuid.UUID
    case_id: uuid.UUID
    channel: str
    thread_root: str
    department: str
    mode: str
    priority: int
    sla_due_at: datetime
    rule_id: str


async def tiers(pool: asyncpg.Pool, identities: Sequence[str]) -> dict[str, CustomerTier]:
    if not identities:
        return {}
    rows = await pool.fetch("SELECT identity, tier FROM customer_tiers WHERE identity = ANY($1::text[])",
                            list(set(identities)))
    return {r["identity"]: CustomerTier(r["tier"]) for r in rows}


async def record_routing(pool: asyncpg.Pool, rows: Sequence[RoutingRow]) -> dict[uuid.UUID, uuid.UUID]:
    """Open cases and record decisions in one transaction; returns case_id → its first mention."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO cases (case_id, channel, thread_root, department, first_mention_id)"
            " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[])"
            " ON CONFLICT DO NOTHING",
            [r.case_id for r in rows], [r.channel for r in rows], [r.thread_root for r in rows],
            [r.department for r in rows], [r.mention_id for r in rows])
        await conn.execute(
            "INSERT INTO routed (mention_id, case_id, department, mode, priority, sla_due_at, rule_id)"
            " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[],"
            " $6::timestamptz[], $7::text[]) ON CONFLICT (mention_id) DO NOTHING",
            [r.mention_id for r in rows], [r.case_id for r in rows], [r.department for r in rows],
            [r.mode for r in rows], [r.priority for r in rows], [r.sla_due_at for r in rows],
            [r.rule_id for r in rows])
        found = await conn.fetch("SELECT case_id, first_mention_id FROM cases WHERE case_id = ANY($1::uuid[])",
                                 list({r.case_id for r in rows}))
    return {uuid.UUID(str(r["case_id"])): uuid.UUID(str(r["first_mention_id"])) for r in found}


async def apply_customer_updates(pool: asyncpg.Pool, updates: Sequence[CustomerUpdate]) -> None:
    """Keep the newest version of each identity's tier and owner."""
    rows = [(identity, u.tier.value, u.owner, u.version) for u in updates for identity in u.identities]
    if not rows:
        return
    await pool.executemany(
        "INSERT INTO customer_tiers (identity, tier, owner, version) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (identity) DO UPDATE SET tier = excluded.tier, owner = excluded.owner,"
        " version = excluded.version, updated_at = now()"
        " WHERE customer_tiers.version <= excluded.version", rows)
