"""Test helpers: the five services in-process on a real broker and database, a wait_for, and
mention files."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from tenacity import AsyncRetrying, RetryError, retry_if_result, stop_after_delay, wait_fixed

from heed.runtime.db import create_pool, migrate
from heed.runtime.messaging import Publisher, open_publisher
from heed.runtime.service import Service

TOKEN = "test-token"

# team-written posts that always get a reply (no spam), in the four languages
POSTS = [
    ("weibo", "我的订单三天了还没发货，什么时候能到？"),
    ("facebook", "請問你們門市週末幾點開門？"),
    ("x", "I was charged twice for my order, please fix this"),
    ("facebook", "How do I reset my robot vacuum?"),
    ("instagram", "สั่งของไปหนึ่งอาทิตย์แล้วยังไม่ได้รับเลยค่ะ"),
    ("weibo", "客服态度太差了，电话打了三次都没人解决"),
]


def mention_line(i: int, prefix: str = "t", **overrides: object) -> dict[str, object]:
    channel, text = POSTS[i % len(POSTS)]
    created = datetime(2026, 11, 20, 8, 0, tzinfo=UTC) + timedelta(seconds=i)
    line: dict[str, object] = {
        "channel": channel, "native_id": f"{prefix}-{i}", "text": f"{text} ({i})",
        "author": {"id": f"{prefix}-user-{i}", "handle": f"user{i}", "name": f"User {i}", "followers": 10},
        "created_at": created.isoformat(),
    }
    line.update(overrides)
    return line


def write_jsonl(path: Path, lines: Sequence[dict[str, object] | bytes]) -> Path:
    with path.open("wb") as f:
        for line in lines:
            f.write(line if isinstance(line, bytes) else json.dumps(line, ensure_ascii=False).encode())
            f.write(b"\n")
    return path


def build_services(bootstrap: str, dsn: str, names: tuple[str, ...] | None = None) -> dict[str, Service]:
    from heed_classifier.app import ClassifierService
    from heed_classifier.settings import ClassifierSettings
    from heed_crm_sync.app import CrmSyncService
    from heed_crm_sync.settings import CrmSyncSettings
    from heed_ingest.app import IngestService
    from heed_ingest.settings import IngestSettings
    from heed_responder.app import ResponderService
    from heed_responder.settings import ResponderSettings
    from heed_router.app import RouterService
    from heed_router.settings import RouterSettings

    factories: dict[str, Callable[[], Service]] = {
        "ingest": lambda: IngestService(IngestSettings(
            kafka_bootstrap=bootstrap, database_url=dsn, ingest_api_tokens=[TOKEN])),
        "classifier": lambda: ClassifierService(ClassifierSettings(kafka_bootstrap=bootstrap, database_url=dsn)),
        "router": lambda: RouterService(RouterSettings(kafka_bootstrap=bootstrap, database_url=dsn)),
        "responder": lambda: ResponderService(ResponderSettings(kafka_bootstrap=bootstrap, database_url=dsn)),
        "crm-sync": lambda: CrmSyncService(CrmSyncSettings(kafka_bootstrap=bootstrap, database_url=dsn)),
    }
    return {n: f() for n, f in factories.items() if names is None or n in names}


@asynccontextmanager
async def pipeline(bootstrap: str, dsn: str) -> AsyncIterator[dict[str, Service]]:
    services = build_services(bootstrap, dsn)
    await asyncio.gather(*(s.start() for s in services.values()))
    try:
        yield services
    finally:
        await asyncio.gather(*(s.stop() for s in services.values()))


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float = 60.0, every: float = 0.2) -> None:
    """Return once `check()` is true, polling every `every` seconds; AssertionError after `timeout`."""
    polling = AsyncRetrying(stop=stop_after_delay(timeout), wait=wait_fixed(every),
                            retry=retry_if_result(lambda held: not held))

    async def attempt() -> bool:
        # tenacity awaits only what it recognises as a coroutine function; a lambda returning a
        # coroutine would count as "held" without ever being awaited
        return bool(await check())

    try:
        await polling(attempt)
    except RetryError:
        raise AssertionError(f"condition not met within {timeout:.0f}s") from None


async def count(dsn: str, sql: str, *args: object) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval(sql, *args))
    finally:
        await conn.close()


async def rows(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def client_publisher(bootstrap: str) -> AbstractAsyncContextManager[Publisher]:
    return open_publisher(bootstrap, "heed-test")


async def columns_holding(dsn: str, schema: str, needle: str) -> list[str]:
    """Every `table.column` of `schema` with a value that holds `needle` (as text, or as UTF-8 bytes).
    Times are left out: they hold no personal data, and a short needle ("9911") can match their digits."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = [r["table_name"] for r in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema)]
        found = set()
        for table in tables:
            for row in await conn.fetch(f'SELECT * FROM "{schema}"."{table}"'):
                for column, value in row.items():
                    if isinstance(value, datetime):
                        continue
                    if (isinstance(value, bytes) and needle.encode() in value) or needle in str(value):
                        found.add(f"{table}.{column}")
        return sorted(found)
    finally:
        await conn.close()


@asynccontextmanager
async def migrated(dsn: str, schema: str, package: str, max_size: int = 8) -> AsyncIterator[asyncpg.Pool]:
    """A pool on `schema`, migrated with `package`'s migrations; closed on exit."""
    pool = await create_pool(dsn, schema, max_size=max_size)
    try:
        await migrate(pool, schema, package)
        yield pool
    finally:
        await pool.close()
