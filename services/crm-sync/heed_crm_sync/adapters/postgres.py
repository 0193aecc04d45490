"""crm-sync's customer 360 tables, in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from heed.contracts.events import CaseEvent, CustomerTier, CustomerUpdate, Mention, Reply, RoutedCase
from heed_crm_sync.domain import announcement, customer_id_for


class PostgresCustomerRecords:
    """CustomerRecords over the customers, identities and interaction tables; every write is keyed
    so that a redelivered event changes nothing."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def record_mentions(self, mentions: Sequence[Mention]) -> None:
        if not mentions:
            return
        cids = [customer_id_for(m.channel, m.author.platform_id) for m in mentions]
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO customers (customer_id, display_name)"
                " SELECT * FROM unnest($1::uuid[], $2::text[]) ON CONFLICT DO NOTHING",
                cids, [m.author.name for m in mentions])
            await conn.execute(
                "INSERT INTO identities (channel, platform_id, customer_id, handle, followers)"
                " SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::int[])"
                " ON CONFLICT DO NOTHING",
                [m.channel.value for m in mentions], [m.author.platform_id for m in mentions], cids,
                [m.author.handle for m in mentions], [m.author.followers for m in mentions])
            await conn.execute(
                "INSERT INTO interactions (mention_id, customer_id, channel, native_id, kind, visibility, text,"
                " occurred_at) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],"
                " $6::text[], $7::text[], $8::timestamptz[]) ON CONFLICT (mention_id) DO NOTHING",
                [m.mention_id for m in mentions], cids, [m.channel.value for m in mentions],
                [m.native_id for m in mentions], [m.kind.value for m in mentions],
                [m.visibility.value for m in mentions], [m.text for m in mentions],
                [m.created_at for m in mentions])

    async def unpublished_customers(self) -> list[CustomerUpdate]:
        rows = await self.pool.fetch(
            "SELECT c.customer_id, c.tier, c.owner, c.version,"
            " array_agg(i.channel || ':' || i.platform_id ORDER BY i.first_seen) AS identities"
            " FROM customers c JOIN identities i USING (customer_id)"
            " WHERE c.published_version < c.version GROUP BY c.customer_id LIMIT 1000")
        return [announcement(uuid.UUID(str(r["customer_id"])), list(r["identities"]), CustomerTier(r["tier"]),
                             r["owner"], r["version"]) for r in rows]

    async def mark_customers_published(self, updates: Sequence[CustomerUpdate]) -> None:
        if updates:
            await self.pool.execute(
                "UPDATE customers SET published_version = u.version"
                " FROM unnest($1::uuid[], $2::int[]) AS u(customer_id, version)"
                " WHERE customers.customer_id = u.customer_id AND customers.published_version < u.version",
                [u.customer_id for u in updates], [u.version for u in updates])

    async def record_routing(self, routed: Sequence[RoutedCase]) -> None:
        if routed:
            await self.pool.execute(
                "INSERT INTO interaction_routing (mention_id, case_id, category, issue_type, department, mode,"
                " sla_due_at) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],"
                " $6::text[], $7::timestamptz[]) ON CONFLICT (mention_id) DO NOTHING",
                [r.mention_id for r in routed], [r.case_id for r in routed],
                [r.classification.category.value for r in routed],
                [r.classification.issue_type.value if r.classification.issue_type else None for r in routed],
                [r.department for r in routed], [r.handling_mode.value for r in routed],
                [r.sla_due_at for r in routed])

    async def record_replies(self, replies: Sequence[Reply]) -> None:
        if replies:
            await self.pool.execute(
                "INSERT INTO interaction_replies (mention_id, reply_id, status, visibility, text, sent_at, kind,"
                " author) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],"
                " $6::timestamptz[], $7::text[], $8::text[]) ON CONFLICT (reply_id) DO UPDATE"
                " SET status = excluded.status, sent_at = excluded.sent_at WHERE interaction_replies.status <> 'sent'",
                [r.mention_id for r in replies], [r.reply_id for r in replies], [r.status.value for r in replies],
                [r.visibility.value for r in replies], [r.text for r in replies], [r.sent_at for r in replies],
                [r.kind.value for r in replies], [r.author for r in replies])

    async def record_case_events(self, events: Sequence[CaseEvent]) -> None:
        if events:
            await self.pool.execute(
                "INSERT INTO case_timeline (event_id, case_id, customer_id, kind, status, rating, actor, department,"
                " occurred_at) SELECT e.event_id, e.case_id,"
                " (SELECT i.customer_id FROM interaction_routing r JOIN interactions i USING (mention_id)"
                "  WHERE r.case_id = e.case_id LIMIT 1), e.kind, e.status, e.rating, e.actor, e.department,"
                " e.occurred_at FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::text[],"
                " $7::text[], $8::timestamptz[]) AS e(event_id, case_id, kind, status, rating, actor, department,"
                " occurred_at) ON CONFLICT (event_id) DO NOTHING",
                [e.event_id for e in events], [e.case_id for e in events], [e.kind.value for e in events],
                [e.status.value if e.status else None for e in events], [e.rating for e in events],
                [e.actor for e in events], [e.department for e in events], [e.occurred_at for e in events])
