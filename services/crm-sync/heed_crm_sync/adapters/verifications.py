"""crm-sync's secure-verification tables in PostgreSQL: contact points and order references (sealed,
found by keyed hash), each link's attempts and single use, the details customers typed, and the
verifications still to announce."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from heed.contracts.events import CustomerVerified, VerificationMethod, derive_id
from heed.secure_link import LinkClaims
from heed_crm_sync.adapters.customer_book import merge_records, root_of
from heed_crm_sync.data_keys import DataKeys, Sealed
from heed_crm_sync.domain.merging import MergeRule
from heed_crm_sync.ports import IdentityOnRecord, RecordOnFile
from heed_crm_sync.verification import LinkUse, contact_context, normalise_order_number, phone_digits


class PostgresLinkAttempt:
    """LinkAttempt inside the transaction that holds the link's attempts row locked."""

    def __init__(self, conn: asyncpg.Connection | PoolConnectionProxy, link_id: uuid.UUID, failures: int,
                 spent: LinkUse | None) -> None:
        self.conn = conn
        self.link_id = link_id
        self.failures = failures
        self.spent = spent

    async def identity_on_record(self, customer_id: uuid.UUID, order_hashes: Sequence[bytes]) -> IdentityOnRecord:
        link_root = await root_of(self.conn, customer_id) or customer_id
        rows = await self.conn.fetch(
            "SELECT DISTINCT coalesce(c.merged_into, c.customer_id) AS root FROM order_refs o"
            " JOIN customers c USING (customer_id) WHERE o.order_hash = ANY($1::bytea[]) AND c.erased_at IS NULL",
            list(order_hashes))
        roots = sorted((r["root"] for r in rows), key=lambda root: (root != link_root, str(root)))
        records = []
        for root in roots:
            phones = await self.conn.fetch(
                "SELECT p.customer_id, p.value_ciphertext, p.value_nonce, p.key_id FROM contact_points p"
                " JOIN customers c USING (customer_id) WHERE p.kind = 'phone'"
                " AND coalesce(c.merged_into, c.customer_id) = $1 ORDER BY p.created_at", root)
            records.append(RecordOnFile(root, [(p["customer_id"], Sealed(p["value_ciphertext"], p["value_nonce"],
                                                                           p["key_id"])) for p in phones]))
        return IdentityOnRecord(link_root, records)

    async def refuse(self, now: datetime) -> int:
        self.failures = int(await self.conn.fetchval(
            "UPDATE link_attempts SET failures = failures + 1, last_failed_at = $2 WHERE link_id = $1"
            " RETURNING failures", self.link_id, now))
        return self.failures

    async def _spend(self, claims: LinkClaims, use: LinkUse, now: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO used_links (link_id, case_id, customer_id, outcome, used_at) VALUES ($1, $2, $3, $4, $5)",
            claims.link_id, claims.case_id, claims.customer_id, use.value, now)
        self.spent = use

    async def lock(self, claims: LinkClaims, now: datetime) -> None:
        await self._spend(claims, LinkUse.LOCKED, now)

    async def verify(self, claims: LinkClaims, details: Sealed | None, now: datetime,
                     merge_with: uuid.UUID | None = None) -> None:
        await self._spend(claims, LinkUse.VERIFIED, now)
        if merge_with is not None:
            await merge_records(self.conn, claims.customer_id, merge_with, MergeRule.VERIFIED_ORDER_AND_PHONE,
                                "customer:verification", now)
        if details is not None:
            await self.conn.execute(
                "INSERT INTO sensitive_details (link_id, customer_id, case_id, ciphertext, nonce, key_id)"
                " VALUES ($1, $2, $3, $4, $5, $6)",
                claims.link_id, claims.customer_id, claims.case_id, details.ciphertext, details.nonce, details.key_id)
        await self.conn.execute(
            "INSERT INTO case_verifications (link_id, case_id, customer_id, method, details_received, verified_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            claims.link_id, claims.case_id, claims.customer_id, VerificationMethod.ORDER_AND_PHONE.value,
            details is not None, now)
        await self.conn.execute(
            "UPDATE customers SET verified_at = $2, updated_at = now() WHERE customer_id = $1",
            claims.customer_id, now)


class PostgresVerifications:
    """Verifications over used_links, link_attempts, sensitive_details and case_verifications."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @asynccontextmanager
    async def attempt(self, link_id: uuid.UUID) -> AsyncIterator[PostgresLinkAttempt]:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("INSERT INTO link_attempts (link_id) VALUES ($1) ON CONFLICT DO NOTHING", link_id)
            # held until the transaction ends: a link's submissions are judged one at a time, so a
            # burst of guesses cannot outrun the attempt limit
            failures = await conn.fetchval("SELECT failures FROM link_attempts WHERE link_id = $1 FOR UPDATE",
                                           link_id)
            spent = await conn.fetchval("SELECT outcome FROM used_links WHERE link_id = $1", link_id)
            yield PostgresLinkAttempt(conn, link_id, int(failures), LinkUse(spent) if spent else None)

    async def spent(self, link_id: uuid.UUID) -> LinkUse | None:
        outcome = await self.pool.fetchval("SELECT outcome FROM used_links WHERE link_id = $1", link_id)
        return LinkUse(outcome) if outcome else None

    async def unpublished(self, *, link_id: uuid.UUID | None = None,
                          verified_before: datetime | None = None) -> list[CustomerVerified]:
        rows = await self.pool.fetch(
            "SELECT link_id, case_id, customer_id, method, details_received, verified_at FROM case_verifications"
            " WHERE published_at IS NULL AND ($1::uuid IS NULL OR link_id = $1)"
            " AND ($2::timestamptz IS NULL OR verified_at < $2) ORDER BY verified_at LIMIT 500",
            link_id, verified_before)
        return [CustomerVerified(event_id=derive_id("customer-verified", r["link_id"]), customer_id=r["customer_id"],
                                 case_id=r["case_id"], link_id=r["link_id"], method=VerificationMethod(r["method"]),
                                 verified_at=r["verified_at"], details_received=r["details_received"])
                for r in rows]

    async def mark_published(self, events: Sequence[CustomerVerified]) -> None:
        if events:
            await self.pool.execute(
                "UPDATE case_verifications SET published_at = now() WHERE link_id = ANY($1::uuid[])"
                " AND published_at IS NULL", [e.link_id for e in events])


class PostgresContactPoints:
    """Writes the contact data identity checks read: phones sealed, order numbers as keyed hashes only.

    The minimum a later customer-360 issue builds on; today tests and CRM imports seed it.
    """

    def __init__(self, pool: asyncpg.Pool, keys: DataKeys) -> None:
        self.pool = pool
        self.keys = keys

    async def add_phone(self, customer_id: uuid.UUID, phone: str, *, source: str) -> None:
        """Keep a phone of the customer's (once, however often it is added)."""
        lookup = self.keys.lookup_hashes("phone", phone_digits(phone))[0]
        sealed = self.keys.seal(phone.encode(), contact_context(customer_id, "phone"))
        await self.pool.execute(
            "INSERT INTO contact_points (contact_point_id, customer_id, kind, value_ciphertext, value_nonce, key_id,"
            " lookup_hash, source) VALUES ($1, $2, 'phone', $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            derive_id("contact-point", customer_id, "phone", lookup.hex()), customer_id, sealed.ciphertext,
            sealed.nonce, sealed.key_id, lookup, source)

    async def add_order(self, customer_id: uuid.UUID, order_number: str, *, source: str) -> None:
        """Remember that the order is the customer's, by keyed hash only."""
        await self.pool.execute(
            "INSERT INTO order_refs (customer_id, order_hash, source) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            customer_id, self.keys.lookup_hashes("order", normalise_order_number(order_number))[0], source)
