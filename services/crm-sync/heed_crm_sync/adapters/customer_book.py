"""The customer 360 in PostgreSQL: one person's record gathered from a surviving customer and its
aliases, the changes agents, sales and marketing make to it, merges and unmerges, erasure and export.

Rows never move between customers (sealed contact points are bound to the customer they were sealed
for); an alias's `merged_into` names its survivor, and every read gathers the survivor's family.
Every change bumps the customer's version from one sequence and records who changed which field, so
crm-sync's announcer tells the router and the responder, and the CRM sync pushes it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from heed.contracts.events import CustomerTier, derive_id
from heed_crm_sync.data_keys import DataKeys, Sealed
from heed_crm_sync.domain.merging import MergePlan, MergeRefused, MergeRule, RecordFacts, plan_merge
from heed_crm_sync.domain.record import (
    ContactPoint,
    CustomerProfile,
    ErasureReceipt,
    PreferenceView,
    RecordChange,
    TimelineEntry,
    TimelinePage,
)
from heed_crm_sync.verification import contact_context, phone_digits

Conn = asyncpg.Connection | PoolConnectionProxy


def normalise_contact(kind: str, value: str) -> str:
    """A contact point as compared: an email folded to lower case, a phone as its digits."""
    return value.strip().lower() if kind == "email" else phone_digits(value)


async def root_of(conn: Conn, customer_id: uuid.UUID) -> uuid.UUID | None:
    """The surviving customer an id stands for (itself when it was never merged); None if unknown."""
    row = await conn.fetchrow("SELECT coalesce(merged_into, customer_id) AS root FROM customers"
                              " WHERE customer_id = $1", customer_id)
    return None if row is None else row["root"]


async def live_root(conn: Conn, customer_id: uuid.UUID) -> uuid.UUID | None:
    """The surviving customer an id stands for, its row locked until the transaction ends; None if
    unknown or erased (an erased record takes no more writes, and an erasure waits for the lock)."""
    return await conn.fetchval(
        "SELECT customer_id FROM customers WHERE erased_at IS NULL AND customer_id ="
        " (SELECT coalesce(merged_into, customer_id) FROM customers WHERE customer_id = $1) FOR UPDATE", customer_id)


async def family(conn: Conn, root: uuid.UUID) -> list[uuid.UUID]:
    """The survivor first, then its aliases."""
    rows = await conn.fetch("SELECT customer_id FROM customers WHERE customer_id = $1 OR merged_into = $1"
                            " ORDER BY merged_into NULLS FIRST, created_at", root)
    return [r["customer_id"] for r in rows]


async def merge_records(conn: Conn, a: uuid.UUID, b: uuid.UUID, rule: MergeRule, actor: str,
                        now: datetime) -> MergePlan | None:
    """Merge the records `a` and `b` stand for, inside the caller's transaction; None when they are
    already one. The merged record and its aliases point at the survivor; both get new versions."""
    rows = await conn.fetch(
        "SELECT customer_id, created_at, merged_into, erased_at IS NOT NULL AS erased FROM customers"
        " WHERE customer_id = ANY($1::uuid[]) OR customer_id IN"
        " (SELECT merged_into FROM customers WHERE customer_id = ANY($1::uuid[]) AND merged_into IS NOT NULL)"
        " FOR UPDATE", [a, b])
    facts = {r["customer_id"]: RecordFacts(r["customer_id"], r["created_at"], r["merged_into"], r["erased"])
             for r in rows}
    plan = plan_merge(a, b, rule, facts)
    if plan is None:
        return None
    await conn.execute(
        "UPDATE customers SET merged_into = $1, version = nextval('customer_versions'), updated_at = $3"
        " WHERE customer_id = $2 OR merged_into = $2", plan.survivor, plan.merged, now)
    await conn.execute("UPDATE customers SET version = nextval('customer_versions'), updated_at = $2"
                       " WHERE customer_id = $1", plan.survivor, now)
    await conn.execute(
        "INSERT INTO merges (merge_id, survivor_id, merged_id, rule, actor, merged_at) VALUES ($1, $2, $3, $4, $5, $6)",
        derive_id("merge", plan.survivor, plan.merged, now.isoformat()), plan.survivor, plan.merged,
        rule.value, actor, now)
    return plan


async def note_change(conn: Conn, customer_id: uuid.UUID, fields: Sequence[str], actor: str, source: str,
                      now: datetime, *, set_at: datetime | None = None) -> None:
    """Who changed which fields (never the values), and the new version that announces them; `set_at`
    is when the change was made at its source (a CRM's change time), `now` when it was taken."""
    if not fields:
        return
    await conn.executemany(
        "INSERT INTO customer_changes (customer_id, field, actor, source, changed_at) VALUES ($1, $2, $3, $4, $5)",
        [(customer_id, f, actor, source, now) for f in fields])
    sources = {f: {"source": source, "at": (set_at or now).isoformat()} for f in fields}
    await conn.execute(
        "UPDATE customers SET version = nextval('customer_versions'), updated_at = $2,"
        " field_sources = field_sources || $3::jsonb WHERE customer_id = $1", customer_id, now, json.dumps(sources))


class PostgresCustomerBook:
    """The customer 360 read and written by the customers API and the CRM sync."""

    def __init__(self, pool: asyncpg.Pool, keys: DataKeys | None) -> None:
        self.pool = pool
        self.keys = keys

    # reading

    async def root(self, customer_id: uuid.UUID) -> uuid.UUID | None:
        async with self.pool.acquire() as conn:
            return await root_of(conn, customer_id)

    async def profile(self, customer_id: uuid.UUID, *, with_contacts: bool = False) -> CustomerProfile | None:
        async with self.pool.acquire() as conn:
            root = await root_of(conn, customer_id)
            if root is None:
                return None
            members = await family(conn, root)
            head = await conn.fetchrow(
                "SELECT customer_id, tier, owner, display_name, tags, preferred_language, version, created_at,"
                " verified_at, erased_at FROM customers WHERE customer_id = $1", root)
            if head is None or head["erased_at"] is not None:
                return None
            identities = await conn.fetch(
                "SELECT channel, platform_id, handle, followers, first_seen FROM identities"
                " WHERE customer_id = ANY($1::uuid[]) ORDER BY first_seen", members)
            prefs = await conn.fetch(
                "SELECT kind, value, status, source, confidence, evidence, stated_at, decided_by FROM preferences"
                " WHERE customer_id = ANY($1::uuid[]) AND status <> 'rejected' ORDER BY kind, value", members)
            consents = await conn.fetch(
                "SELECT DISTINCT ON (purpose) purpose, granted, source, recorded_at FROM consents"
                " WHERE customer_id = ANY($1::uuid[]) ORDER BY purpose, recorded_at DESC", members)
            links = await conn.fetch("SELECT system, external_id FROM crm_links WHERE customer_id = ANY($1::uuid[])"
                                     " ORDER BY system", members)
            stats = await conn.fetchrow(
                "SELECT count(DISTINCT r.case_id) AS cases, (SELECT avg(rating)::float FROM case_timeline"
                " WHERE customer_id = ANY($1::uuid[]) AND rating IS NOT NULL) AS csat"
                " FROM interactions i JOIN interaction_routing r USING (mention_id)"
                " WHERE i.customer_id = ANY($1::uuid[])", members)
            contacts = await self._contacts(conn, members) if with_contacts else []
        return CustomerProfile(
            customer_id=root, aliases=members[1:], tier=head["tier"], owner=head["owner"],
            display_name=head["display_name"], tags=list(head["tags"]), language=head["preferred_language"],
            version=head["version"], created_at=head["created_at"], verified_at=head["verified_at"],
            identities=[{"channel": r["channel"], "platform_id": r["platform_id"], "handle": r["handle"],
                         "followers": r["followers"], "first_seen": r["first_seen"]} for r in identities],
            preferences=[PreferenceView(kind=r["kind"], value=r["value"], status=r["status"], source=r["source"],
                                        confidence=round(float(r["confidence"]), 3), evidence=r["evidence"],
                                        stated_at=r["stated_at"], decided_by=r["decided_by"]) for r in prefs],
            consent={r["purpose"]: {"granted": r["granted"], "source": r["source"], "recorded_at": r["recorded_at"]}
                     for r in consents},
            crm={r["system"]: r["external_id"] for r in links},
            contact_points=contacts, cases=int(stats["cases"] or 0) if stats else 0,
            csat=round(float(stats["csat"]), 2) if stats and stats["csat"] is not None else None)

    async def _contacts(self, conn: Conn, members: Sequence[uuid.UUID]) -> list[ContactPoint]:
        if self.keys is None:
            return []
        rows = await conn.fetch(
            "SELECT customer_id, kind, value_ciphertext, value_nonce, key_id, source, created_at FROM contact_points"
            " WHERE customer_id = ANY($1::uuid[]) ORDER BY created_at", list(members))
        return [ContactPoint(kind=r["kind"], source=r["source"], added_at=r["created_at"],
                             value=self.keys.open(Sealed(r["value_ciphertext"], r["value_nonce"], r["key_id"]),
                                                  contact_context(r["customer_id"], r["kind"])).decode())
                for r in rows]

    async def find(self, *, channel: str | None = None, handle: str | None = None, platform_id: str | None = None,
                   email: str | None = None, phone: str | None = None) -> list[uuid.UUID]:
        """The surviving customers matching a channel handle or id, an email or a phone."""
        if email is not None or phone is not None:
            if self.keys is None:
                raise LookupError("contact points are off: HEED_CRM_DATA_KEY is not set")
            kind, value = ("email", email) if email is not None else ("phone", phone)
            hashes = self.keys.lookup_hashes(kind, normalise_contact(kind, value or ""))
            rows = await self.pool.fetch(
                "SELECT DISTINCT coalesce(c.merged_into, c.customer_id) AS root FROM contact_points p"
                " JOIN customers c USING (customer_id) WHERE p.kind = $1 AND p.lookup_hash = ANY($2::bytea[])"
                " AND c.erased_at IS NULL", kind, hashes)
        else:
            rows = await self.pool.fetch(
                "SELECT DISTINCT coalesce(c.merged_into, c.customer_id) AS root FROM identities i"
                " JOIN customers c USING (customer_id) WHERE ($1::text IS NULL OR i.channel = $1)"
                " AND ($2::text IS NULL OR lower(i.handle) = lower($2)) AND ($3::text IS NULL OR i.platform_id = $3)"
                " AND c.erased_at IS NULL LIMIT 50", channel, handle, platform_id)
        return sorted(r["root"] for r in rows)

    async def timeline(self, customer_id: uuid.UUID, *, before: tuple[datetime, str] | None,
                       limit: int) -> TimelinePage | None:
        """The customer's interactions, replies and case transitions, newest first, `limit` a page; None
        for an unknown or erased customer."""
        async with self.pool.acquire() as conn:
            root = await conn.fetchval(
                "SELECT customer_id FROM customers WHERE erased_at IS NULL AND customer_id ="
                " (SELECT coalesce(merged_into, customer_id) FROM customers WHERE customer_id = $1)", customer_id)
            if root is None:
                return None
            members = await family(conn, root)
            rows = await conn.fetch(
                "SELECT * FROM ("
                " SELECT i.occurred_at AS at, 'mention:' || i.mention_id AS key, 'mention' AS type, i.channel,"
                "  i.visibility, i.text, NULL::text AS status, NULL::text AS actor, r.case_id, r.department,"
                "  r.category, NULL::smallint AS rating FROM interactions i"
                "  LEFT JOIN interaction_routing r USING (mention_id) WHERE i.customer_id = ANY($1::uuid[])"
                " UNION ALL"
                " SELECT coalesce(p.sent_at, i.occurred_at), 'reply:' || p.reply_id, 'reply:' || p.kind, i.channel,"
                "  p.visibility, p.text, p.status, p.author, r.case_id, NULL, NULL, NULL FROM interaction_replies p"
                "  JOIN interactions i USING (mention_id) LEFT JOIN interaction_routing r USING (mention_id)"
                "  WHERE i.customer_id = ANY($1::uuid[])"
                " UNION ALL"
                " SELECT t.occurred_at, 'case:' || t.event_id, 'case:' || t.kind, NULL, NULL, NULL, t.status, t.actor,"
                "  t.case_id, t.department, NULL, t.rating FROM case_timeline t WHERE t.customer_id = ANY($1::uuid[])"
                ") AS entries WHERE $2::timestamptz IS NULL OR (at, key) < ($2, $3)"
                " ORDER BY at DESC, key DESC LIMIT $4",
                members, before[0] if before else None, before[1] if before else "", limit + 1)
        entries = [TimelineEntry(at=r["at"], key=r["key"], type=r["type"], channel=r["channel"],
                                 visibility=r["visibility"], text=r["text"], status=r["status"], actor=r["actor"],
                                 case_id=r["case_id"], department=r["department"], category=r["category"],
                                 rating=r["rating"]) for r in rows[:limit]]
        more = len(rows) > limit
        return TimelinePage(customer_id=root, entries=entries,
                            next=(entries[-1].at, entries[-1].key) if more and entries else None)

    # changing

    async def change(self, customer_id: uuid.UUID, change: RecordChange, *, actor: str, source: str,
                     now: datetime) -> CustomerProfile | None:
        """Apply an agent's, a CRM's or an internal system's change to the surviving record; every field
        it sets is recorded (who, where from, when) and announced with the next version. None, with
        nothing written, for an unknown or erased customer."""
        async with self.pool.acquire() as conn, conn.transaction():
            root = await live_root(conn, customer_id)
            if root is None:
                return None
            await self.apply(conn, root, change, actor=actor, source=source, now=now)
        return await self.profile(root)

    async def apply(self, conn: Conn, root: uuid.UUID, change: RecordChange, *, actor: str, source: str,
                    now: datetime, set_at: datetime | None = None) -> list[str]:
        """`change` on the record, inside the caller's transaction; the fields it really changed. An
        erased record is not written to."""
        head = await conn.fetchrow("SELECT tier, owner, tags, preferred_language, display_name FROM customers"
                                   " WHERE customer_id = $1 AND erased_at IS NULL FOR UPDATE", root)
        if head is None:
            return []
        changed: list[str] = []
        simple = {"tier": change.tier, "owner": change.owner, "language": change.language,
                  "display_name": change.display_name}
        columns = {"tier": "tier", "owner": "owner", "language": "preferred_language", "display_name": "display_name"}
        for field, given in simple.items():
            if field not in change.fields_set:
                continue
            value = given.value if isinstance(given, CustomerTier) else given
            if field == "tier" and value is None:
                value = CustomerTier.STANDARD.value
            if head[columns[field]] != value:
                await conn.execute(f"UPDATE customers SET {columns[field]} = $2 WHERE customer_id = $1", root, value)
                changed.append(field)
        if change.tags is not None and sorted(head["tags"]) != sorted(change.tags):
            await conn.execute("UPDATE customers SET tags = $2 WHERE customer_id = $1", root, sorted(set(change.tags)))
            changed.append("tags")
        for purpose, granted in (change.consent or {}).items():
            current = await conn.fetchval("SELECT granted FROM consents WHERE customer_id = $1 AND purpose = $2",
                                          root, purpose)
            if current is not granted:
                await conn.execute(
                    "INSERT INTO consents (customer_id, purpose, granted, source, recorded_at)"
                    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id, purpose) DO UPDATE SET"
                    " granted = excluded.granted, source = excluded.source, recorded_at = excluded.recorded_at",
                    root, purpose, granted, source, now)
                changed.append(f"consent.{purpose}")
        for decision in change.preferences or []:
            members = await family(conn, root)
            status = "confirmed" if decision.confirmed else "rejected"
            updated = await conn.execute(
                "UPDATE preferences SET status = $4, decided_by = $5, source = CASE WHEN source = 'said' THEN source"
                " ELSE $6 END WHERE customer_id = ANY($1::uuid[]) AND kind = $2 AND value = $3 AND status <> $4",
                members, decision.kind, decision.value, status, actor, source)
            if updated == "UPDATE 0" and decision.confirmed:
                inserted = await conn.execute(
                    "INSERT INTO preferences (customer_id, kind, value, status, source, confidence, stated_at,"
                    " decided_by) SELECT $1, $2, $3, 'confirmed', $4, 1.0, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM"
                    " preferences WHERE customer_id = ANY($7::uuid[]) AND kind = $2 AND value = $3)",
                    root, decision.kind, decision.value, source, now, actor, members)
                updated = inserted
            if updated not in ("UPDATE 0", "INSERT 0 0"):
                changed.append(f"preference.{decision.kind}")
        await note_change(conn, root, changed, actor, source, now, set_at=set_at)
        return changed

    async def add_contact_point(self, customer_id: uuid.UUID, kind: str, value: str, *, source: str, actor: str,
                                now: datetime) -> list[MergePlan]:
        """Keep an email or phone on the record (sealed, found by keyed hash) and merge every other
        record holding the same value from a trusted source; the merges made."""
        async with self.pool.acquire() as conn, conn.transaction():
            root = await live_root(conn, customer_id)
            if root is None:
                raise KeyError("no such customer")
            hashes = await self.keep_contact_point(conn, customer_id, kind, value, source=source, now=now)
            await note_change(conn, root, [kind], actor, source, now)  # the survivor announces and pushes it
            return await self.merge_on_contact(conn, customer_id, kind, hashes, actor=actor, now=now)

    async def keep_contact_point(self, conn: Conn, customer_id: uuid.UUID, kind: str, value: str, *, source: str,
                                 now: datetime) -> list[bytes]:
        """Store the contact point sealed for `customer_id`, once; its lookup hashes (one per key)."""
        if self.keys is None:
            raise LookupError("contact points are off: HEED_CRM_DATA_KEY is not set")
        normal = normalise_contact(kind, value)
        if not normal:
            raise ValueError(f"the {kind} is empty once normalised")
        hashes = self.keys.lookup_hashes(kind, normal)
        sealed = self.keys.seal(value.strip().encode(), contact_context(customer_id, kind))
        await conn.execute(
            "INSERT INTO contact_points (contact_point_id, customer_id, kind, value_ciphertext, value_nonce,"
            " key_id, lookup_hash, source, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            " ON CONFLICT DO NOTHING", derive_id("contact-point", customer_id, kind, hashes[0].hex()), customer_id,
            kind, sealed.ciphertext, sealed.nonce, sealed.key_id, hashes[0], source, now)
        return hashes

    async def merge_on_contact(self, conn: Conn, customer_id: uuid.UUID, kind: str, hashes: Sequence[bytes], *,
                               actor: str, now: datetime) -> list[MergePlan]:
        """Merge the records holding this contact point from a trusted source (merging.TRUSTED_SOURCES)."""
        rule = MergeRule.SAME_EMAIL if kind == "email" else MergeRule.SAME_PHONE
        holders = await conn.fetch(
            "SELECT DISTINCT p.customer_id FROM contact_points p JOIN customers c USING (customer_id)"
            " WHERE p.kind = $1 AND p.lookup_hash = ANY($2::bytea[]) AND p.customer_id <> $3 AND c.erased_at IS NULL"
            " AND p.source IN ('verification', 'agent', 'hubspot', 'salesforce')", kind, list(hashes), customer_id)
        plans = []
        for row in holders:
            plan = await merge_records(conn, customer_id, row["customer_id"], rule, actor, now)
            if plan is not None:
                plans.append(plan)
        return plans

    async def merge(self, a: uuid.UUID, b: uuid.UUID, *, actor: str, now: datetime,
                    rule: MergeRule = MergeRule.AGENT_CONFIRMED) -> MergePlan | None:
        async with self.pool.acquire() as conn, conn.transaction():
            return await merge_records(conn, a, b, rule, actor, now)

    async def unmerge(self, customer_id: uuid.UUID, *, actor: str, now: datetime) -> uuid.UUID:
        """Split an alias from its survivor again; returns the survivor it left."""
        async with self.pool.acquire() as conn, conn.transaction():
            survivor = await conn.fetchval("SELECT merged_into FROM customers WHERE customer_id = $1 FOR UPDATE",
                                           customer_id)
            if survivor is None:
                raise MergeRefused("this customer is not merged into another")
            await conn.execute("UPDATE customers SET merged_into = NULL, version = nextval('customer_versions'),"
                               " updated_at = $2 WHERE customer_id = $1", customer_id, now)
            await conn.execute("UPDATE customers SET version = nextval('customer_versions'), updated_at = $2"
                               " WHERE customer_id = $1", survivor, now)
            await conn.execute("UPDATE merges SET unmerged_at = $2, unmerged_by = $3 WHERE merged_id = $1"
                               " AND unmerged_at IS NULL", customer_id, now, actor)
            return uuid.UUID(str(survivor))

    # erasure and export

    async def export(self, customer_id: uuid.UUID) -> dict[str, Any] | None:
        """Everything held about the person, as JSON-ready data (contact points opened)."""
        profile = await self.profile(customer_id, with_contacts=True)
        if profile is None:
            return None
        entries: list[TimelineEntry] = []
        before: tuple[datetime, str] | None = None
        while True:
            page = await self.timeline(profile.customer_id, before=before, limit=500)
            if page is None:
                break
            entries.extend(page.entries)
            if page.next is None:
                break
            before = page.next
        async with self.pool.acquire() as conn:
            members = await family(conn, profile.customer_id)
            merges = await conn.fetch(
                "SELECT survivor_id, merged_id, rule, actor, merged_at, unmerged_at FROM merges"
                " WHERE survivor_id = ANY($1::uuid[]) OR merged_id = ANY($1::uuid[]) ORDER BY merged_at", members)
            details = await conn.fetchval("SELECT count(*) FROM sensitive_details WHERE customer_id = ANY($1::uuid[])",
                                          members)
        return {"customer": profile.model_dump(mode="json"),
                "timeline": [e.model_dump(mode="json") for e in entries],
                "merges": [{k: (str(v) if isinstance(v, uuid.UUID) else v.isoformat() if isinstance(v, datetime)
                                else v) for k, v in dict(r).items()} for r in merges],
                "sealed_details_held": int(details or 0)}

    async def erase(self, customer_id: uuid.UUID, *, actor: str, now: datetime) -> ErasureReceipt | None:
        """Forget the person: every row of the record's family in crm-sync's tables goes; the customer rows
        stay only as erased tombstones that announce the erasure (with the identities to forget) until
        the announcer has sent it. The audit row counts rows per table and holds a keyed hash, no PII."""
        async with self.pool.acquire() as conn, conn.transaction():
            # erased already (its identities may still wait to be announced): unknown, as the API says
            root = await live_root(conn, customer_id)
            if root is None:
                return None
            members = await family(conn, root)
            identities = [f"{r['channel']}:{r['platform_id']}" for r in await conn.fetch(
                "SELECT channel, platform_id FROM identities WHERE customer_id = ANY($1::uuid[])", members)]
            mentions = [r["mention_id"] for r in await conn.fetch(
                "SELECT mention_id FROM interactions WHERE customer_id = ANY($1::uuid[])", members)]
            cases = [r["case_id"] for r in await conn.fetch(
                "SELECT DISTINCT case_id FROM interaction_routing WHERE mention_id = ANY($1::uuid[])", mentions)]
            removed: dict[str, int] = {}

            async def delete(table: str, where: str, *args: Any) -> None:
                status = await conn.execute(f"DELETE FROM {table} WHERE {where}", *args)
                removed[table] = removed.get(table, 0) + int(status.split()[-1])

            await delete("interaction_replies", "mention_id = ANY($1::uuid[])", mentions)
            await delete("interaction_routing", "mention_id = ANY($1::uuid[])", mentions)
            await delete("interactions", "mention_id = ANY($1::uuid[])", mentions)
            await delete("case_timeline", "customer_id = ANY($1::uuid[]) OR case_id = ANY($2::uuid[])", members, cases)
            await delete("sensitive_details", "customer_id = ANY($1::uuid[])", members)
            await delete("case_verifications", "customer_id = ANY($1::uuid[])", members)
            await delete("link_attempts", "link_id IN (SELECT link_id FROM used_links WHERE customer_id ="
                                          " ANY($1::uuid[]))", members)
            await delete("used_links", "customer_id = ANY($1::uuid[])", members)
            # the CRM sync state goes too: with no link, a later change of the contact in a CRM, a poll
            # or a reconciliation finds no record to write to (and the erased record takes no writes),
            # so nothing personal is imported again. The CRMs' own contacts are not deleted by Heed.
            for table in ("contact_points", "order_refs", "preferences", "consents", "crm_field_state",
                          "crm_contact_state", "crm_links", "crm_outbox", "customer_changes", "identities"):
                await delete(table, "customer_id = ANY($1::uuid[])", members)
            await delete("merges", "survivor_id = ANY($1::uuid[]) OR merged_id = ANY($1::uuid[])", members)
            await conn.execute(
                "UPDATE customers SET display_name = NULL, owner = NULL, tags = '{}', preferred_language = NULL,"
                " field_sources = '{}', verified_at = NULL, merged_into = NULL, tier = 'standard', erased_at = $2,"
                " erased_identities = CASE WHEN customer_id = $4 THEN $3::text[] END,"
                " version = nextval('customer_versions') WHERE customer_id = ANY($1::uuid[])",
                members, now, identities, root)
            receipt = ErasureReceipt(erasure_id=derive_id("erasure", root, now.isoformat()),
                                     requested_at=now, rows_removed=removed, customers=len(members))
            await conn.execute(
                "INSERT INTO erasures (erasure_id, subject_hash, actor, requested_at, rows_removed)"
                " VALUES ($1, $2, $3, $4, $5)", receipt.erasure_id, self.subject_hash(root), actor, now,
                json.dumps(removed))
        return receipt

    def subject_hash(self, customer_id: uuid.UUID) -> bytes:
        """A keyed hash of the customer id (under the data key when one is set), for the erasure audit."""
        if self.keys is not None:
            return self.keys.lookup_hashes("erased-customer", str(customer_id))[0]
        return hmac.new(b"heed erasure audit", customer_id.bytes, hashlib.sha256).digest()
