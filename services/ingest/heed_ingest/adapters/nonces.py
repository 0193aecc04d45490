"""The nonce ledger of signed webhooks (WeChat, Weibo) in PostgreSQL; what a claim means is in
`domain/nonces.py`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import asyncpg

from heed_ingest.domain.nonces import Claim, judge_claim


class PostgresNonces:
    """The ledger in ingest's schema, shared by every ingest replica and restart."""

    def __init__(self, pool: Callable[[], asyncpg.Pool]) -> None:
        # a callable: the receivers are built with the routes, before the service opens its pool
        self._pool = pool

    async def claim(self, channel: str, nonce: str, body_sha256: bytes, signed_at: datetime,
                    seen_at: datetime) -> Claim:
        pool = self._pool()
        # a concurrent release can delete the row between the insert and the read: try again
        for _ in range(3):
            inserted = await pool.fetchval(
                "INSERT INTO webhook_nonces (channel, nonce, body_sha256, signed_at, seen_at)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, nonce) DO NOTHING RETURNING true",
                channel, nonce, body_sha256, signed_at, seen_at)
            if inserted:
                return Claim.PUBLISH
            row = await pool.fetchrow(
                "SELECT body_sha256, published FROM webhook_nonces WHERE channel = $1 AND nonce = $2",
                channel, nonce)
            if row is not None:
                return judge_claim(bytes(row["body_sha256"]), row["published"], body_sha256)
        raise RuntimeError(f"nonce ledger: the {channel} nonce row kept vanishing; retry the request")

    async def published(self, channel: str, nonce: str) -> None:
        await self._pool().execute(
            "UPDATE webhook_nonces SET published = true WHERE channel = $1 AND nonce = $2", channel, nonce)

    async def release(self, channel: str, nonce: str, body_sha256: bytes) -> None:
        await self._pool().execute(
            "DELETE FROM webhook_nonces WHERE channel = $1 AND nonce = $2 AND body_sha256 = $3 AND NOT published",
            channel, nonce, body_sha256)

    async def purge(self, signed_before: datetime) -> int:
        status = await self._pool().execute("DELETE FROM webhook_nonces WHERE signed_at < $1", signed_before)
        return int(status.split()[-1])
