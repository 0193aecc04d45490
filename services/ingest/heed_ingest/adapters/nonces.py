"""The nonce ledger of signed webhooks (WeChat, Weibo): which (channel, nonce) carried which body.

WeChat's plaintext signature and Weibo's sign only token, timestamp and nonce, never the body, so a
captured URL could carry any body while its timestamp is in the window. Remembering each nonce for
that window with the hash of its body tells a platform's retry (same body: answered, not published
again) from a forgery (another body: refused).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import asyncpg


class Claim(enum.Enum):
    PUBLISH = "publish"  # first sight, or a retry of a delivery not yet acknowledged: publish it
    ALREADY_PUBLISHED = "already_published"  # a retry of a published delivery: answer, publish nothing
    REUSED = "reused"  # the nonce came with another body: a replayed signature


class NonceLedger(Protocol):
    async def claim(self, channel: str, nonce: str, body_sha256: bytes, signed_at: datetime,
                    seen_at: datetime) -> Claim:
        """Record the nonce with its body's hash, or say how it was seen before."""

    async def published(self, channel: str, nonce: str) -> None:
        """The broker acknowledged the body sent with this nonce."""

    async def release(self, channel: str, nonce: str, body_sha256: bytes) -> None:
        """Forget a claim whose body was not published, so the platform's retry goes through."""

    async def purge(self, signed_before: datetime) -> int:
        """Forget nonces whose timestamps the window already refuses; returns how many."""


class PostgresNonces:
    """The ledger in ingest's schema, shared by every ingest replica."""

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
                return _judge(bytes(row["body_sha256"]), row["published"], body_sha256)
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


@dataclass
class _Seen:
    body_sha256: bytes
    signed_at: datetime
    published: bool = False


class MemoryNonces:
    """The ledger in this process's memory: for one process without a database (unit tests);
    the ingest service wires PostgresNonces so that every replica and restart shares it."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], _Seen] = {}

    async def claim(self, channel: str, nonce: str, body_sha256: bytes, signed_at: datetime,
                    seen_at: datetime) -> Claim:
        seen = self._seen.get((channel, nonce))
        if seen is None:
            self._seen[(channel, nonce)] = _Seen(body_sha256, signed_at)
            return Claim.PUBLISH
        return _judge(seen.body_sha256, seen.published, body_sha256)

    async def published(self, channel: str, nonce: str) -> None:
        if (channel, nonce) in self._seen:
            self._seen[(channel, nonce)].published = True

    async def release(self, channel: str, nonce: str, body_sha256: bytes) -> None:
        seen = self._seen.get((channel, nonce))
        if seen is not None and seen.body_sha256 == body_sha256 and not seen.published:
            del self._seen[(channel, nonce)]

    async def purge(self, signed_before: datetime) -> int:
        stale = [key for key, seen in self._seen.items() if seen.signed_at < signed_before]
        for key in stale:
            del self._seen[key]
        return len(stale)


def _judge(stored_sha256: bytes, published: bool, body_sha256: bytes) -> Claim:
    if stored_sha256 != body_sha256:
        return Claim.REUSED
    return Claim.ALREADY_PUBLISHED if published else Claim.PUBLISH
