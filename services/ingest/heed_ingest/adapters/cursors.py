"""Poller cursors in PostgreSQL."""

from __future__ import annotations

import asyncpg


class PostgresCursors:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def get(self, source: str) -> str | None:
        value = await self.pool.fetchval("SELECT cursor FROM poll_cursors WHERE source = $1", source)
        return str(value) if value is not None else None

    async def put(self, source: str, cursor: str) -> None:
        await self.pool.execute(
            "INSERT INTO poll_cursors (source, cursor) VALUES ($1, $2)"
            " ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = now()", source, cursor)
