"""The customer profiles the responder learns from heed.crm.customers, in PostgreSQL.

A row is keyed by its identity's keyed hash (HMAC-SHA256 under HEED_ERASURE_KEY, `heed.identity_hashes`),
so the row an erasure leaves (to refuse older announcements) gives no platform id back, not even to
someone trying every id. Rows written under an older key, or before the key (an unkeyed SHA-256 of the
identity), are still read, and moved under the current key when an announcement next names the identity.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from heed.identity_hashes import IdentityHashes
from heed_responder.domain.customers import CustomerProfile, ProfileVersion, applied

_PROFILE = "identity_digest, display_name, language, version, erased, forgotten_before"


def unkeyed_digest(identity: str) -> bytes:
    """The key of an identity's row before rows were keyed under HEED_ERASURE_KEY: recomputable from a
    guessed id, so only looked for, never written."""
    return hashlib.sha256(b"heed-responder-identity\x1f" + identity.encode()).digest()


class PostgresCustomerProfiles:
    """The CustomerProfiles over the responder's `customer_profiles` table; the upsert holds
    `domain.customers.applied`."""

    def __init__(self, pool: asyncpg.Pool, hashes: IdentityHashes) -> None:
        self.pool = pool
        self.hashes = hashes  # HEED_ERASURE_KEY's

    def _every_digest(self, identity: str) -> tuple[bytes, ...]:
        """Every key a row of `identity` may have: its keyed hash under each key (the current first), then unkeyed."""
        return (*self.hashes.identity_all(identity), unkeyed_digest(identity))

    async def learn(self, versions: Sequence[ProfileVersion]) -> None:
        if not versions:
            return
        older = {d: v.identity for v in versions for d in self._every_digest(v.identity)[1:]}
        async with self.pool.acquire() as conn, conn.transaction():
            # rows under an older key: taken out and folded into the current key's row first
            moved: dict[str, ProfileVersion] = {}
            for r in await conn.fetch(f"DELETE FROM customer_profiles WHERE identity_digest = ANY($1::bytea[])"
                                      f" RETURNING {_PROFILE}", list(older)):
                identity = older[bytes(r["identity_digest"])]
                moved[identity] = applied(moved.get(identity), _version(identity, r))
            # a version with nothing to remember (no name on record, no language, no erasure) only
            # overwrites a row that exists: a new customer who has none costs no write
            blank = [v for v in versions if _blank(v) and v.identity not in moved]
            for batch in (list(moved.values()), [v for v in versions if not (_blank(v) and v.identity not in moved)]):
                if batch:
                    await _upsert(conn, batch, [self.hashes.identity(v.identity) for v in batch])
            if blank:
                await conn.execute(
                    "UPDATE customer_profiles p SET display_name = NULL, language = NULL, erased = false,"
                    " version = b.version, updated_at = now()"
                    " FROM unnest($1::bytea[], $2::bigint[]) AS b(digest, version)"
                    " WHERE p.identity_digest = b.digest AND p.version < b.version",
                    [self.hashes.identity(v.identity) for v in blank], [v.version for v in blank])

    async def profiles(self, identities: Sequence[str]) -> dict[str, CustomerProfile]:
        if not identities:
            return {}
        by_digest = {d: i for i in identities for d in self._every_digest(i)}
        rows = await self.pool.fetch(
            f"SELECT {_PROFILE} FROM customer_profiles WHERE identity_digest = ANY($1::bytea[])", list(by_digest))
        # an identity not named since a key changed may have a row under each key: read as one
        found: dict[str, ProfileVersion] = {}
        for r in rows:
            identity = by_digest[bytes(r["identity_digest"])]
            found[identity] = applied(found.get(identity), _version(identity, r))
        return {i: CustomerProfile(display_name=v.display_name, language=v.language,
                                   forgotten_before=v.forgotten_before) for i, v in found.items()}


def _blank(v: ProfileVersion) -> bool:
    return v.display_name is None and v.language is None and not v.erased and v.forgotten_before is None


def _version(identity: str, r: asyncpg.Record) -> ProfileVersion:
    return ProfileVersion(identity=identity, version=r["version"], display_name=r["display_name"],
                          language=r["language"], erased=r["erased"], forgotten_before=r["forgotten_before"])


async def _upsert(conn: asyncpg.Connection | PoolConnectionProxy, versions: Sequence[ProfileVersion],
                  digests: Sequence[bytes]) -> None:
    newer = "excluded.version > customer_profiles.version"
    await conn.execute(
        "INSERT INTO customer_profiles (identity_digest, display_name, language, version, erased,"
        " forgotten_before) SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::bigint[],"
        " $5::boolean[], $6::timestamptz[])"
        " ON CONFLICT (identity_digest) DO UPDATE SET"
        f" display_name = CASE WHEN {newer} THEN excluded.display_name ELSE customer_profiles.display_name END,"
        f" language = CASE WHEN {newer} THEN excluded.language ELSE customer_profiles.language END,"
        f" erased = CASE WHEN {newer} THEN excluded.erased ELSE customer_profiles.erased END,"
        " version = greatest(customer_profiles.version, excluded.version),"
        # greatest() skips nulls: an erasure's time stays whatever comes after it
        " forgotten_before = greatest(customer_profiles.forgotten_before, excluded.forgotten_before),"
        " updated_at = now()",
        list(digests), [v.display_name for v in versions], [v.language for v in versions],
        [v.version for v in versions], [v.erased for v in versions], [v.forgotten_before for v in versions])
