"""The customer profiles the responder learns from heed.crm.customers, in PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import asyncpg

from heed_responder.domain.customers import CustomerProfile, ProfileVersion


def identity_digest(identity: str) -> bytes:
    """The key of an identity's row: what an erasure leaves behind holds no platform id."""
    return hashlib.sha256(b"heed-responder-identity\x1f" + identity.encode()).digest()


class PostgresCustomerProfiles:
    """The CustomerProfiles over the responder's `customer_profiles` table; the upsert holds
    `domain.customers.applied`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def learn(self, versions: Sequence[ProfileVersion]) -> None:
        if not versions:
            return
        newer = "excluded.version > customer_profiles.version"
        await self.pool.execute(
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
            [identity_digest(v.identity) for v in versions], [v.display_name for v in versions],
            [v.language for v in versions], [v.version for v in versions], [v.erased for v in versions],
            [v.forgotten_before for v in versions])

    async def profiles(self, identities: Sequence[str]) -> dict[str, CustomerProfile]:
        if not identities:
            return {}
        by_digest = {identity_digest(i): i for i in identities}
        rows = await self.pool.fetch(
            "SELECT identity_digest, display_name, language, forgotten_before FROM customer_profiles"
            " WHERE identity_digest = ANY($1::bytea[])", list(by_digest))
        return {by_digest[bytes(r["identity_digest"])]: CustomerProfile(
                    display_name=r["display_name"], language=r["language"], forgotten_before=r["forgotten_before"])
                for r in rows}
