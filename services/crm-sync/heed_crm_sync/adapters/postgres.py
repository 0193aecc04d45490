"""crm-sync's customer 360 tables, in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from heed.contracts.events import CaseEvent, CustomerTier, CustomerUpdate, Mention, Reply, RoutedCase
from heed_crm_sync.domain import announcement, customer_id_for
from heed_crm_sync.domain.preferences import needs_confirmation
from heed_crm_sync.ports import Stated, Unread


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
            # a customer erased earlier (and announced so) who writes again starts a new record under the
            # same id. A separate statement: ON CONFLICT DO UPDATE would lock every returning customer's
            # row, and most authors return (heed bench: the announcer then queued behind the mentions)
            await conn.execute(
                "UPDATE customers c SET erased_at = NULL, display_name = m.name, version = nextval('customer_versions')"
                " FROM unnest($1::uuid[], $2::text[]) AS m(customer_id, name) WHERE c.customer_id = m.customer_id"
                " AND c.erased_at IS NOT NULL AND c.published_version >= c.version", cids,
                [m.author.name for m in mentions])
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
        async with self.pool.acquire() as conn:
            heads = await conn.fetch(
                # the name on record is one a person or a CRM set, not the one a post showed
                "SELECT customer_id, tier, owner, version, merged_into, CASE WHEN field_sources ? 'display_name'"
                " THEN display_name END AS display_name, preferred_language, tags,"
                " erased_at IS NOT NULL AS erased, erased_identities FROM customers"
                " WHERE published_version < version ORDER BY version LIMIT 1000")
            if not heads:
                return []
            roots = [r["customer_id"] for r in heads if r["merged_into"] is None and not r["erased"]]
            members = await conn.fetch(
                "SELECT coalesce(c.merged_into, c.customer_id) AS root, c.customer_id, i.channel, i.platform_id"
                " FROM customers c LEFT JOIN identities i USING (customer_id)"
                " WHERE (c.customer_id = ANY($1::uuid[]) OR c.merged_into = ANY($1::uuid[]))"
                " ORDER BY c.merged_into NULLS FIRST, c.created_at, i.first_seen", roots)
            extras = await conn.fetch(
                "SELECT coalesce(c.merged_into, c.customer_id) AS root, 'preference' AS what, p.kind AS name,"
                " p.value, NULL::boolean AS granted FROM preferences p JOIN customers c USING (customer_id)"
                " WHERE p.status = 'confirmed'"
                " AND (c.customer_id = ANY($1::uuid[]) OR c.merged_into = ANY($1::uuid[]))"
                # across a family the newest consent per purpose wins, as the profile shows it
                " UNION ALL (SELECT DISTINCT ON (coalesce(c.merged_into, c.customer_id), g.purpose)"
                " coalesce(c.merged_into, c.customer_id), 'consent', g.purpose, NULL, g.granted"
                " FROM consents g JOIN customers c USING (customer_id)"
                " WHERE (c.customer_id = ANY($1::uuid[]) OR c.merged_into = ANY($1::uuid[]))"
                " ORDER BY coalesce(c.merged_into, c.customer_id), g.purpose, g.recorded_at DESC)"
                " ORDER BY 1, 2, 3, 4", roots) \
                if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM preferences) OR EXISTS (SELECT 1 FROM consents)") \
                else []
        identities: dict[uuid.UUID, list[str]] = {}
        aliases: dict[uuid.UUID, list[uuid.UUID]] = {}
        for m in members:
            if m["channel"] is not None:
                identities.setdefault(m["root"], []).append(f"{m['channel']}:{m['platform_id']}")
            if m["customer_id"] != m["root"] and m["customer_id"] not in aliases.setdefault(m["root"], []):
                aliases[m["root"]].append(m["customer_id"])
        preferences: dict[uuid.UUID, dict[str, str]] = {}
        consent: dict[uuid.UUID, dict[str, bool]] = {}
        for e in extras:
            if e["what"] == "preference":
                kinds = preferences.setdefault(e["root"], {})
                kinds[e["name"]] = f"{kinds[e['name']]},{e['value']}" if e["name"] in kinds else e["value"]
            else:
                consent.setdefault(e["root"], {})[e["name"]] = e["granted"]
        updates = []
        for r in heads:
            cid = uuid.UUID(str(r["customer_id"]))
            if r["erased"]:
                updates.append(announcement(cid, list(r["erased_identities"] or []), CustomerTier.STANDARD, None,
                                            r["version"], erased=True))
            elif r["merged_into"] is not None:
                updates.append(announcement(cid, [], CustomerTier(r["tier"]), None, r["version"],
                                            merged_into=r["merged_into"]))
            elif cid in identities:
                updates.append(announcement(
                    cid, identities[cid], CustomerTier(r["tier"]), r["owner"], r["version"],
                    display_name=r["display_name"], language=r["preferred_language"], tags=list(r["tags"]),
                    aliases=aliases.get(cid, []), preferences=preferences.get(cid, {}), consent=consent.get(cid, {})))
        return updates

    async def mark_customers_published(self, updates: Sequence[CustomerUpdate]) -> None:
        if updates:
            await self.pool.execute(
                # the identities to forget go only once the erasure itself was announced: an older
                # version marked after the erasure committed leaves them for the erasure's announcement
                "UPDATE customers SET published_version = u.version,"
                " erased_identities = CASE WHEN erased_at IS NOT NULL AND customers.version = u.version THEN NULL"
                " ELSE erased_identities END"
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


    async def unread_for_preferences(self, limit: int, settle: timedelta) -> list[Unread]:
        """Mentions recorded after the preferences cursor (and at least `settle` ago), oldest first."""
        async with self.pool.acquire() as conn:
            at = await conn.fetchrow("SELECT since, after_id FROM crm_cursors WHERE system = 'preferences'")
            rows = await conn.fetch(
                "SELECT mention_id, customer_id, text, occurred_at, recorded_at FROM interactions"
                " WHERE (recorded_at, mention_id) > ($1, $2) AND recorded_at < now() - $3::interval"
                " ORDER BY recorded_at, mention_id LIMIT $4",
                at["since"] if at else datetime.fromtimestamp(0, UTC), at["after_id"] if at else uuid.UUID(int=0),
                settle, limit)
        return [Unread(r["mention_id"], r["customer_id"], r["text"], r["occurred_at"], r["recorded_at"]) for r in rows]

    async def record_preferences(self, stated: Sequence[Stated], read_up_to: Unread) -> None:
        """Keep what was read and move the cursor past it, in one transaction."""
        async with self.pool.acquire() as conn, conn.transaction():
            if stated:
                await _record_preferences(conn, stated)
            await conn.execute(
                "INSERT INTO crm_cursors (system, since, after_id) VALUES ('preferences', $1, $2)"
                " ON CONFLICT (system) DO UPDATE SET since = excluded.since, after_id = excluded.after_id",
                read_up_to.recorded_at, read_up_to.mention_id)


async def _record_preferences(conn: asyncpg.Connection | PoolConnectionProxy, stated: Sequence[Stated]) -> None:
    """Keep what customers said they prefer: sure statements confirmed, the rest proposed to an agent;
    a preference an agent rejected stays rejected. A confirmed one gives the surviving record a new
    version, which announces it (and pushes it to the CRMs)."""
    await conn.executemany(
        "INSERT INTO preferences (customer_id, kind, value, status, source, confidence, evidence,"
        " mention_id, stated_at) VALUES ($1, $2, $3, $4, 'said', $5, $6, $7, $8)"
        " ON CONFLICT (customer_id, kind, value) DO UPDATE SET status = CASE"
        " WHEN preferences.status = 'proposed' AND excluded.status = 'confirmed' THEN 'confirmed'"
        " ELSE preferences.status END, confidence = greatest(preferences.confidence, excluded.confidence),"
        " stated_at = excluded.stated_at",
        [(cid, p.kind, p.value, "proposed" if needs_confirmation(p) else "confirmed", p.confidence,
          p.evidence, mid, at) for mid, cid, p, at in stated])
    confirmed = sorted({cid for _, cid, p, _ in stated if not needs_confirmation(p)})
    # the surviving record announces it (and is pushed): an alias's version announces only the alias
    await conn.execute("UPDATE customers SET version = nextval('customer_versions')"
                       " WHERE customer_id IN (SELECT coalesce(merged_into, customer_id) FROM customers"
                       " WHERE customer_id = ANY($1::uuid[])) AND erased_at IS NULL", confirmed)
