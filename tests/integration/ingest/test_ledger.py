"""The mention ledger in PostgreSQL: a mention is recorded in the transaction that publishes it, so
a refused publish records nothing, a mention published once is never yielded again, and a row an
older ingest recorded without publishing it is published now."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from heed.runtime.db import create_pool, migrate
from heed_ingest.adapters.ledger import PostgresLedger
from heed_ingest.ports import LedgerRow


def row(native_id: str, thread_root: str | None = None) -> LedgerRow:
    return LedgerRow("x", native_id, uuid.uuid5(uuid.NAMESPACE_URL, f"x/{native_id}"), thread_root or native_id,
                     uuid.uuid4(), datetime.now(UTC), b"h" * 32)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, "ingest", max_size=4)
    try:
        await migrate(pool, "ingest", "heed_ingest")
        yield pool
    finally:
        await pool.close()


async def stored(pool: asyncpg.Pool) -> dict[str, tuple[bool, int]]:
    return {r["native_id"]: (r["published"], r["seen"])
            for r in await pool.fetch("SELECT native_id, published, seen FROM mentions")}


class Refused(Exception):
    pass


async def test_a_recording_commits_its_rows_published_and_yields_them_once(pool):
    ledger = PostgresLedger(pool)
    async with ledger.recording([row("1"), row("2")]) as pending:
        assert pending == {row("1").mention_id: "1", row("2").mention_id: "2"}
    assert await stored(pool) == {"1": (True, 1), "2": (True, 1)}
    # the same posts again (webhook and poll, a replayed file) and one new one: only the new one
    async with ledger.recording([row("1"), row("2", thread_root="other"), row("3")]) as pending:
        assert pending == {row("3").mention_id: "3"}
    assert await stored(pool) == {"1": (True, 2), "2": (True, 2), "3": (True, 1)}


async def test_a_refused_publish_records_nothing_and_the_redelivery_yields_the_rows_again(pool):
    ledger = PostgresLedger(pool)
    with pytest.raises(Refused):
        async with ledger.recording([row("1")]) as pending:
            assert pending == {row("1").mention_id: "1"}
            raise Refused  # the broker refused the publish
    assert await stored(pool) == {}
    async with ledger.recording([row("1")]) as pending:
        assert pending == {row("1").mention_id: "1"}
    assert await stored(pool) == {"1": (True, 1)}


async def test_a_row_an_older_ingest_left_unpublished_is_yielded_with_its_first_root_and_then_published(pool):
    # the older ingest recorded first and marked published after the broker had it; this row's
    # publish failed in between
    old = row("7", thread_root="first-root")
    await pool.execute(
        "INSERT INTO mentions (channel, native_id, mention_id, thread_root, raw_event_id, received_at)"
        " VALUES ($1, $2, $3, $4, $5, $6)", old.channel, old.native_id, old.mention_id, old.thread_root,
        old.raw_event_id, old.received_at)
    ledger = PostgresLedger(pool)
    async with ledger.recording([row("7", thread_root="later-root")]) as pending:
        assert pending == {old.mention_id: "first-root"}
    assert await stored(pool) == {"7": (True, 2)}
    async with ledger.recording([row("7")]) as pending:
        assert pending == {}


async def test_two_recordings_of_one_post_at_once_yield_it_to_one_of_them(pool):
    ledger = PostgresLedger(pool)
    first_inside, release = asyncio.Event(), asyncio.Event()
    yielded: list[dict[uuid.UUID, str]] = []

    async def first() -> None:
        async with ledger.recording([row("9")]) as pending:
            yielded.append(pending)
            first_inside.set()
            await release.wait()  # publishing, not committed yet

    async def second() -> None:
        await first_inside.wait()
        async with ledger.recording([row("9")]) as pending:  # waits for the first's row
            yielded.append(pending)

    racing = asyncio.gather(first(), second())
    await first_inside.wait()
    await asyncio.sleep(0.2)
    assert len(yielded) == 1  # the second waits on the first's uncommitted row
    release.set()
    await racing
    assert yielded == [{row("9").mention_id: "9"}, {}]
    assert await stored(pool) == {"9": (True, 2)}


async def test_an_empty_recording_touches_nothing(pool):
    async with PostgresLedger(pool).recording([]) as pending:
        assert pending == {}
    assert await stored(pool) == {}
