"""The router's schema on the session's PostgreSQL, migrated, for the router's integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from heed.runtime.db import create_pool, migrate


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, "router")
    await migrate(pool, "router", "heed_router")
    yield pool
    await pool.close()
