"""The two-way CRM sync's state in PostgreSQL: which contact each customer is in each CRM, what is
still to push (customers by version, interactions from an outbox), the digest of every field value
exchanged (so an echo goes nowhere), polling cursors, and taking in a CRM's changes."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from heed.contracts.events import CustomerTier
from heed_crm_sync.adapters.customer_book import (
    Conn,
    PostgresCustomerBook,
    live_root,
    merge_records,
    normalise_contact,
    root_of,
)
from heed_crm_sync.domain.merging import MergeRule
from heed_crm_sync.domain.ownership import Owner, inbound, newer_than_recorded, outbound
from heed_crm_sync.domain.record import RecordChange
from heed_crm_sync.ports import ContactPush, ExternalContact, InteractionPush

log = logging.getLogger(__name__)
ENQUEUE_OVERLAP = timedelta(minutes=5)  # rows committed late by a slow transaction are still queued


@dataclass(frozen=True)
class ContactDue:
    push: ContactPush
    version: int
    current: dict[str, str | None]  # every Heed-owned value now, to remember once pushed


@dataclass(frozen=True)
class Refused:
    """A record a CRM refused, waiting in crm_outbox: the CRM's reason (never a value), tries, next try."""

    system: str
    kind: str  # contact or interaction
    item_id: uuid.UUID
    customer_id: uuid.UUID
    attempts: int
    reason: str
    next_try: datetime


class PostgresCrmStore:
    def __init__(self, pool: asyncpg.Pool, book: PostgresCustomerBook, owners: Mapping[str, Owner]) -> None:
        self.pool = pool
        self.book = book
        self.owners = owners

    def digest(self, field: str, value: str | None) -> bytes:
        """A keyed digest of an exchanged value: it says "same as last time" and nothing more."""
        message = f"{field}\x1f{'' if value is None else value}"
        if self.book.keys is not None:
            return self.book.keys.lookup_hashes("crm-field", message)[0]
        return hmac.new(b"heed crm field", message.encode(), hashlib.sha256).digest()

    async def _exchanged(self, conn: Conn, system: str, customer_id: uuid.UUID) -> dict[str, bytes]:
        rows = await conn.fetch("SELECT field, digest FROM crm_field_state WHERE system = $1 AND customer_id = $2",
                                system, customer_id)
        return {r["field"]: bytes(r["digest"]) for r in rows}

    async def _remember(self, conn: Conn, system: str, customer_id: uuid.UUID, values: Mapping[str, str | None],
                        origin: str, now: datetime) -> None:
        if values:
            await conn.executemany(
                "INSERT INTO crm_field_state (system, customer_id, field, digest, origin, exchanged_at)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (system, customer_id, field) DO UPDATE SET"
                " digest = excluded.digest, origin = excluded.origin, exchanged_at = excluded.exchanged_at",
                [(system, customer_id, f, self.digest(f, v), origin, now) for f, v in values.items()])

    # outbound: customers

    async def contacts_due(self, system: str, now: datetime, limit: int) -> list[ContactDue]:
        """Surviving customers changed since their last push to `system`, with the Heed-owned fields
        that differ from what was last exchanged (all of them for a customer not linked yet); a customer
        whose contact the CRM refused waits until its retry time."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT c.customer_id, c.version, c.display_name, l.external_id FROM customers c"
                " LEFT JOIN crm_contact_state s ON s.system = $1 AND s.customer_id = c.customer_id"
                " LEFT JOIN crm_links l ON l.system = $1 AND l.customer_id = c.customer_id"
                " WHERE c.merged_into IS NULL AND c.erased_at IS NULL AND c.version > coalesce(s.pushed_version, 0)"
                " AND NOT EXISTS (SELECT 1 FROM crm_outbox o WHERE o.system = $1 AND o.item_kind = 'contact'"
                "  AND o.item_id = c.customer_id AND o.pushed_at IS NULL AND o.due_at > $3)"
                " ORDER BY c.version LIMIT $2", system, limit, now)
            due = []
            for r in rows:
                profile = await self.book.profile(r["customer_id"], with_contacts=True)
                if profile is None:
                    continue
                emails = [c.value for c in profile.contact_points if c.kind == "email"]
                phones = [c.value for c in profile.contact_points if c.kind == "phone"]
                current: dict[str, str | None] = {
                    "display_name": r["display_name"], "email": emails[0] if emails else None,
                    "phone": phones[0] if phones else None,
                    "preferences": "; ".join(f"{p.kind}: {p.value}" for p in profile.preferences
                                             if p.status == "confirmed") or None}
                exchanged = await self._exchanged(conn, system, r["customer_id"])
                changed = outbound(self.owners, current, exchanged, self.digest)
                due.append(ContactDue(ContactPush(r["customer_id"], changed, r["external_id"]), r["version"],
                                      current))
        return due

    async def contacts_pushed(self, system: str, done: Sequence[ContactDue], ids: Mapping[uuid.UUID, str],
                              now: datetime) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            for item in done:
                cid = item.push.customer_id
                external = ids.get(cid, item.push.external_id)
                if external is None:
                    continue
                await conn.execute(
                    "INSERT INTO crm_links (system, external_id, customer_id) VALUES ($1, $2, $3)"
                    " ON CONFLICT (system, customer_id) DO UPDATE SET external_id = excluded.external_id",
                    system, external, cid)
                await self._remember(conn, system, cid, item.push.fields, "heed", now)
                await conn.execute(
                    "INSERT INTO crm_contact_state (system, customer_id, pushed_version) VALUES ($1, $2, $3)"
                    " ON CONFLICT (system, customer_id) DO UPDATE SET pushed_version ="
                    " greatest(crm_contact_state.pushed_version, excluded.pushed_version)", system, cid, item.version)
            await conn.execute(
                "UPDATE crm_outbox SET pushed_at = $3, last_error = NULL WHERE system = $1 AND item_kind = 'contact'"
                " AND item_id = ANY($2::uuid[]) AND pushed_at IS NULL", system, [d.push.customer_id for d in done], now)

    async def contacts_refused(self, system: str, refused: Mapping[uuid.UUID, str], retry_at: datetime) -> None:
        """Contacts `system` refused, each with the reason (no value sent): not pushed again before `retry_at`."""
        if refused:
            await self.pool.executemany(
                "INSERT INTO crm_outbox (system, item_kind, item_id, customer_id, due_at, attempts, last_error)"
                " VALUES ($1, 'contact', $2, $2, $3, 1, $4) ON CONFLICT (system, item_kind, item_id) DO UPDATE SET"
                " due_at = excluded.due_at, attempts = crm_outbox.attempts + 1, last_error = excluded.last_error,"
                " pushed_at = NULL", [(system, cid, retry_at, reason[:500]) for cid, reason in refused.items()])

    async def refused(self, limit: int = 1000) -> list[Refused]:
        """What the CRMs refused and that waits to be tried again, oldest refusal first."""
        rows = await self.pool.fetch(
            "SELECT system, item_kind, item_id, customer_id, attempts, last_error, due_at FROM crm_outbox"
            " WHERE pushed_at IS NULL AND last_error IS NOT NULL ORDER BY due_at, system, item_id LIMIT $1", limit)
        return [Refused(r["system"], r["item_kind"], r["item_id"], r["customer_id"], r["attempts"], r["last_error"],
                        r["due_at"]) for r in rows]

    async def refused_counts(self) -> dict[tuple[str, str], int]:
        """(CRM, contact or interaction) → how many of them wait refused."""
        rows = await self.pool.fetch(
            "SELECT system, item_kind, count(*) AS n FROM crm_outbox WHERE pushed_at IS NULL AND last_error IS NOT NULL"
            " GROUP BY system, item_kind")
        return {(r["system"], r["item_kind"]): r["n"] for r in rows}

    async def forget_exchanged(self, system: str, customer_id: uuid.UUID, held: Mapping[str, str | None]) -> int:
        """Where the CRM holds a Heed-owned field other than it was last sent, forget what was sent, so
        the next push sends it again (reconciliation); how many fields drifted."""
        async with self.pool.acquire() as conn, conn.transaction():
            root = await root_of(conn, customer_id) or customer_id
            exchanged = await self._exchanged(conn, system, root)
            drifted = [f for f, v in held.items() if self.owners.get(f) is Owner.HEED and f in exchanged
                       and exchanged[f] != self.digest(f, v)]
            if drifted:
                await conn.execute("DELETE FROM crm_field_state WHERE system = $1 AND customer_id = $2"
                                   " AND field = ANY($3::text[])", system, root, drifted)
                await conn.execute("DELETE FROM crm_contact_state WHERE system = $1 AND customer_id = $2",
                                   system, root)
            return len(drifted)

    # outbound: interactions

    async def enqueue_interactions(self, system: str, now: datetime) -> int:
        """Queue every mention, sent reply and kept case event recorded since the last round (with an
        overlap: a row already queued is not queued again)."""
        async with self.pool.acquire() as conn, conn.transaction():
            since = await conn.fetchval("SELECT since FROM crm_cursors WHERE system = $1", f"{system}:outbox")
            since = since or datetime.fromtimestamp(0, now.tzinfo)
            status = await conn.execute(
                "INSERT INTO crm_outbox (system, item_kind, item_id, customer_id)"
                " SELECT $1, 'interaction', mention_id, customer_id FROM interactions WHERE recorded_at >= $2"
                " UNION ALL SELECT $1, 'interaction', p.reply_id, i.customer_id FROM interaction_replies p"
                "  JOIN interactions i USING (mention_id) WHERE p.recorded_at >= $2 AND p.status = 'sent'"
                " UNION ALL SELECT $1, 'interaction', t.event_id, t.customer_id FROM case_timeline t"
                "  WHERE t.recorded_at >= $2 AND t.customer_id IS NOT NULL"
                " ON CONFLICT DO NOTHING", system, since)
            await conn.execute(
                "INSERT INTO crm_cursors (system, since) VALUES ($1, now() - $2::interval)"
                " ON CONFLICT (system) DO UPDATE SET since = excluded.since", f"{system}:outbox", ENQUEUE_OVERLAP)
            return int(status.split()[-1])

    async def interactions_due(self, system: str, now: datetime, limit: int) -> list[InteractionPush]:
        rows = await self.pool.fetch(
            "SELECT o.item_id, coalesce(c.merged_into, c.customer_id) AS root, l.external_id,"
            " i.channel AS m_channel, i.text AS m_text, i.occurred_at AS m_at, i.visibility AS m_visibility,"
            " p.text AS r_text, coalesce(p.sent_at, ri.occurred_at) AS r_at, p.kind AS r_kind, ri.channel AS r_channel,"
            " t.kind AS t_kind, t.department AS t_department, t.rating AS t_rating, t.occurred_at AS t_at"
            " FROM crm_outbox o JOIN customers c ON c.customer_id = o.customer_id"
            " JOIN crm_links l ON l.system = o.system AND l.customer_id = coalesce(c.merged_into, c.customer_id)"
            " LEFT JOIN interactions i ON i.mention_id = o.item_id"
            " LEFT JOIN interaction_replies p ON p.reply_id = o.item_id"
            " LEFT JOIN interactions ri ON ri.mention_id = p.mention_id"
            " LEFT JOIN case_timeline t ON t.event_id = o.item_id"
            " WHERE o.system = $1 AND o.pushed_at IS NULL AND o.due_at <= $2 AND c.erased_at IS NULL"
            " ORDER BY o.due_at, o.item_id LIMIT $3", system, now, limit)
        pushes = []
        for r in rows:
            common = dict(interaction_id=r["item_id"], customer_id=r["root"], external_contact_id=r["external_id"])
            if r["m_text"] is not None:
                pushes.append(InteractionPush(**common, kind="mention", channel=r["m_channel"], occurred_at=r["m_at"],
                                              subject=f"{r['m_channel']} {r['m_visibility']} message",
                                              body=r["m_text"]))
            elif r["r_text"] is not None:
                pushes.append(InteractionPush(**common, kind="reply", channel=r["r_channel"], occurred_at=r["r_at"],
                                              subject=f"{r['r_kind']} reply sent on {r['r_channel']}",
                                              body=r["r_text"]))
            elif r["t_kind"] is not None:
                detail = f"rating {r['t_rating']}" if r["t_rating"] is not None else r["t_department"] or ""
                pushes.append(InteractionPush(**common, kind="case", channel="heed", occurred_at=r["t_at"],
                                              subject=f"case {r['t_kind'].replace('_', ' ')}", body=detail))
        return pushes

    async def interactions_pushed(self, system: str, ids: Sequence[uuid.UUID], now: datetime) -> None:
        if ids:
            await self.pool.execute(
                "UPDATE crm_outbox SET pushed_at = $3, attempts = attempts + 1, last_error = NULL WHERE system = $1"
                " AND item_kind = 'interaction' AND item_id = ANY($2::uuid[])", system, list(ids), now)

    async def push_failed(self, system: str, ids: Sequence[uuid.UUID], reason: str, retry_at: datetime) -> None:
        if ids:
            await self.pool.execute(
                "UPDATE crm_outbox SET due_at = $3, attempts = attempts + 1, last_error = $4 WHERE system = $1"
                " AND item_kind = 'interaction' AND item_id = ANY($2::uuid[])", system, list(ids), retry_at, reason)

    # inbound

    async def cursor(self, system: str) -> datetime | None:
        return await self.pool.fetchval("SELECT since FROM crm_cursors WHERE system = $1", f"{system}:changes")

    async def set_cursor(self, system: str, since: datetime) -> None:
        await self.pool.execute("INSERT INTO crm_cursors (system, since) VALUES ($1, $2) ON CONFLICT (system)"
                                " DO UPDATE SET since = excluded.since", f"{system}:changes", since)

    async def linked_customer(self, system: str, external_id: str) -> uuid.UUID | None:
        return await self.pool.fetchval("SELECT customer_id FROM crm_links WHERE system = $1 AND external_id = $2",
                                        system, external_id)

    async def take_change(self, system: str, contact: ExternalContact, now: datetime, *,
                          repair: bool = False) -> list[str]:
        """Take one contact's change from `system`: the fields the CRM owns that differ from the last
        exchanged value (`repair`: from Heed's current value), contact points it holds, and a merge when
        the contact turns out to be linked to two customers. The Heed fields changed."""
        async with self.pool.acquire() as conn, conn.transaction():
            linked = await conn.fetchval("SELECT customer_id FROM crm_links WHERE system = $1 AND external_id = $2",
                                         system, contact.external_id)
            if linked is not None and await live_root(conn, linked) is None:
                return []  # the linked record was erased: nothing of the contact comes back
            # an erased record named on the contact takes nothing either (its links went with it)
            named = contact.customer_id if contact.customer_id is not None and await live_root(
                conn, contact.customer_id) is not None else None
            anchor = linked or named
            if anchor is None:
                return []  # a contact Heed never linked: not imported
            if linked is not None and named is not None:
                await merge_records(conn, linked, named, MergeRule.SAME_CRM_CONTACT, f"crm:{system}", now)
            root = await root_of(conn, anchor) or anchor
            if linked is None:
                await conn.execute("INSERT INTO crm_links (system, external_id, customer_id) VALUES ($1, $2, $3)"
                                   " ON CONFLICT DO NOTHING", system, contact.external_id, root)
            exchanged = {} if repair else await self._exchanged(conn, system, root)
            if repair:
                head = await conn.fetchrow("SELECT tier, owner FROM customers WHERE customer_id = $1", root)
                current = {"tier": head["tier"], "owner": head["owner"]} if head else {}
                exchanged = {f: self.digest(f, v) for f, v in current.items()}
            taken = inbound(self.owners, contact.fields, exchanged, self.digest)
            set_at = await conn.fetchval("SELECT field_sources FROM customers WHERE customer_id = $1", root)
            taken = newer_than_recorded(taken, contact.changed_at, json.loads(set_at) if set_at else {})
            change = _record_change(taken)
            changed = await self.book.apply(conn, root, change, actor=f"crm:{system}", source=system, now=now,
                                            set_at=contact.changed_at)
            await self._remember(conn, system, root, taken, system, now)
            for kind in ("email", "phone"):
                value = contact.fields.get(kind)
                if value and self.book.keys is not None and normalise_contact(kind, value):
                    await self._contact_point(conn, root, kind, value, system, now)
            return changed

    async def _contact_point(self, conn: Conn, customer_id: uuid.UUID, kind: str, value: str, system: str,
                             now: datetime) -> None:
        """A contact point the CRM holds, kept unless the record has it already; records holding it merge."""
        assert self.book.keys is not None
        hashes = self.book.keys.lookup_hashes(kind, normalise_contact(kind, value))
        held = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM contact_points p JOIN customers c USING (customer_id) WHERE p.kind = $1"
            " AND p.lookup_hash = ANY($2::bytea[]) AND coalesce(c.merged_into, c.customer_id) = $3)",
            kind, hashes, customer_id)
        if not held:
            await self.book.keep_contact_point(conn, customer_id, kind, value, source=system, now=now)
            await self.book.merge_on_contact(conn, customer_id, kind, hashes, actor=f"crm:{system}", now=now)


def _record_change(fields: Mapping[str, str | None]) -> RecordChange:
    """A CRM's values as a change to the record; a value Heed cannot use (an unknown tier) is left out."""
    values: dict[str, object] = {}
    if "tier" in fields:
        tier = (fields["tier"] or "standard").strip().lower()
        if tier in CustomerTier.__members__.values():
            values["tier"] = CustomerTier(tier)
        else:
            log.warning("crm sync: a tier Heed does not know was left out",
                        extra={"fields": {"tier_length": len(tier)}})
    if "owner" in fields:
        values["owner"] = fields["owner"] or None
    if "display_name" in fields:
        values["display_name"] = fields["display_name"]
    if "marketing_consent" in fields and fields["marketing_consent"] not in (None, ""):
        values["consent"] = {"marketing": str(fields["marketing_consent"]).strip().lower() in ("true", "1", "yes")}
    return RecordChange.model_validate(values)
