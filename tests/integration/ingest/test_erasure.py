"""Erasure in ingest's PostgreSQL schema: after `erased: true`, no ledger row, dead letter or other
ingest row of the erased identities remains (rows from before migration 005 included), other
customers' rows stay, and a dead letter about them that arrives later is not kept."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from heed.contracts import topics
from heed.contracts.events import (
    Author,
    Channel,
    CustomerUpdate,
    DeadLetter,
    HandlingMode,
    Reply,
    ReplyStatus,
    Visibility,
)
from heed.runtime.db import create_pool, migrate, migration_files
from heed_ingest.adapters.dead_letters import PostgresDeadLetterArchive
from heed_ingest.adapters.erasures import PostgresErasures
from heed_ingest.adapters.ledger import PostgresLedger
from heed_ingest.domain.erasure import IdentityHashes, attribute, holds_platform_id
from heed_ingest.handlers import archive_dead_letters, forget_erased_customers
from heed_ingest.ports import LedgerRow
from tests.unit.factories import batch, mention

pytestmark = pytest.mark.integration

ALICE = "5566778899"  # erased: weibo:5566778899
ALICE_DM = "2489518277"  # erased too: her other Weibo account, which wrote privately
BOB = "7788990011"
HASHES = IdentityHashes([b"k" * 32])
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def letter(original: bytes, topic: str = topics.MENTIONS_RAW, key: str | None = None) -> DeadLetter:
    return DeadLetter(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), source_topic=topic, original=original,
                      key=key, error_type="UnparseableBody", error="unexpected shape", service="ingest",
                      raw_source="webhook:weibo" if topic == topics.MENTIONS_RAW else None)


def mention_by(platform_id: str, native_id: str, thread_root: str | None = None) -> bytes:
    return mention(author=Author(platform_id=platform_id), native_id=native_id,
                   thread_root=thread_root or native_id).model_dump_json().encode()


def reply_to(platform_id: str) -> bytes:
    return Reply(event_id=uuid.uuid4(), reply_id=uuid.uuid4(), mention_id=uuid.uuid4(), case_id=uuid.uuid4(),
                 channel=Channel.WEIBO, visibility=Visibility.PUBLIC, handling_mode=HandlingMode.ANSWER,
                 in_reply_to="4950000000000001", recipient_platform_id=platform_id, text="we are on it",
                 language="zh", template_id="t", status=ReplyStatus.FAILED, received_at=T0).model_dump_json().encode()


def erasure() -> CustomerUpdate:
    return CustomerUpdate(event_id=uuid.uuid4(), customer_id=uuid.uuid4(), identities=[
        f"weibo:{ALICE}", f"weibo:{ALICE_DM}"], erased=True, version=9)


async def file(pool: asyncpg.Pool, *letters: DeadLetter) -> None:
    await archive_dead_letters(batch(*letters, topic=topics.DLQ), archive=PostgresDeadLetterArchive(pool),
                               hashes=HASHES)


async def forget(pool: asyncpg.Pool, update: CustomerUpdate) -> None:
    await forget_erased_customers(batch(update, topic=topics.CRM_ERASURES), erasures=PostgresErasures(pool),
                                  hashes=HASHES)


def ledger_row(native_id: str, thread_root: str, author: str | None, channel: str = "weibo") -> LedgerRow:
    m = mention(author=Author(platform_id=author or "nobody"), native_id=native_id, thread_root=thread_root,
                channel=Channel(channel))
    row = LedgerRow.of(m, HASHES)
    return row if author is not None else LedgerRow(row.channel, row.native_id, row.mention_id, row.thread_root,
                                                    row.raw_event_id, row.received_at)


@pytest.fixture
async def before_005(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """Ingest's schema as it was before erasure existed (migrations 001 to 004)."""
    pool = await create_pool(database_url, "ingest", max_size=4)
    try:
        async with pool.acquire() as conn:
            await conn.execute('CREATE SCHEMA ingest; CREATE TABLE ingest.schema_migrations ('
                               ' version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL'
                               ' DEFAULT now())')
            for version, name, sql in migration_files("heed_ingest"):
                if version < 5:
                    await conn.execute(sql)
                    await conn.execute("INSERT INTO ingest.schema_migrations (version, name) VALUES ($1, $2)",
                                       version, name)
        yield pool
    finally:
        await pool.close()


async def rows_holding(pool: asyncpg.Pool, platform_id: str) -> dict[str, int]:
    """Per ingest table, the rows that hold `platform_id` anywhere (bodies read as bytes)."""
    found: dict[str, int] = {}
    for table in await pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'ingest'"):
        name = table["tablename"]
        rows = await pool.fetch(f'SELECT t::text AS row FROM ingest."{name}" t')
        found[name] = sum(holds_platform_id(r["row"].encode(), platform_id) for r in rows)
    found["dead_letters.original"] = sum(holds_platform_id(bytes(r["original"]), platform_id)
                                         for r in await pool.fetch("SELECT original FROM dead_letters"))
    return {table: n for table, n in found.items() if n}


async def test_after_an_erasure_no_ingest_row_of_the_identities_remains_and_others_stay(before_005):
    pool = before_005
    old_archive = PostgresDeadLetterArchive(pool)
    # from before migration 005: a DM in the ledger (no author column yet) and a raw body in the archive
    await pool.execute(
        "INSERT INTO mentions (channel, native_id, mention_id, thread_root, raw_event_id, received_at)"
        " VALUES ('weibo', 'old-dm', $1, $2, $3, $4), ('weibo', 'bob-old', $5, 'bob-old', $6, $4)",
        uuid.uuid4(), f"dm:{ALICE_DM}", uuid.uuid4(), T0, uuid.uuid4(), uuid.uuid4())
    legacy = letter(json.dumps({"type": "bogus", "sender_id": int(ALICE_DM)}).encode())
    await pool.execute(
        "INSERT INTO dead_letters (event_id, source_topic, service, error_type, error, original, failed_at)"
        " VALUES ($1, $2, 'ingest', 'UnparseableBody', 'unexpected shape', $3, now())",
        legacy.event_id, legacy.source_topic, legacy.original)
    assert await migrate(pool, "ingest", "heed_ingest") == 1

    ledger = PostgresLedger(pool)
    async with ledger.recording([
        ledger_row("4950000000000001", "4950000000000001", ALICE),  # her public post
        ledger_row(f"{ALICE_DM}:1763600000", f"dm:{ALICE_DM}", ALICE_DM),  # her DM, with no message id
        ledger_row("4950000000000002", "4950000000000002", BOB),
        ledger_row("9", f"dm:{ALICE}", "someone", channel="x"),  # another channel's id that looks the same
    ]):
        pass  # published (no broker here)
    alices = [letter(mention_by(ALICE, "4950000000000001"), topic=topics.MENTIONS),
              letter(json.dumps({"type": "bogus", "sender_id": int(ALICE)}).encode()),
              letter(b"\xff not an event", topic=topics.MENTIONS, key=f"weibo:dm:{ALICE_DM}")]
    bobs = [letter(reply_to(BOB), topic=topics.REPLIES), letter(json.dumps({"sender_id": int(BOB)}).encode()),
            letter(json.dumps({"type": "bogus", "order": f"91{ALICE}"}).encode())]  # not Alice's id
    await file(pool, *alices, *bobs)
    x_row = {"mentions": 1}  # the X user whose id reads like Alice's Weibo id: not hers, kept
    assert await rows_holding(pool, ALICE) == {**x_row, "dead_letters.original": 2}
    assert await rows_holding(pool, ALICE_DM) == {"mentions": 2, "dead_letters": 1, "dead_letters.original": 1}

    update = erasure()
    await forget(pool, update)
    await forget(pool, update)  # redelivered

    assert await rows_holding(pool, ALICE) == x_row and await rows_holding(pool, ALICE_DM) == {}
    assert {r["native_id"] for r in await pool.fetch("SELECT native_id FROM mentions")} == {
        "4950000000000002", "bob-old", "9"}
    assert {d.event_id for d in await old_archive.select()} == {d.event_id for d in bobs}
    (audit,) = await pool.fetch("SELECT * FROM erasures")
    assert (audit["erasure_id"], audit["identities"], json.loads(audit["rows_removed"])) == (
        update.event_id, 2, {"mentions": 3, "dead_letters": 4})
    assert await pool.fetchval("SELECT count(*) FROM erased_identities") == 2

    # later: a failed reply to Alice, her unreadable body, and Bob's letter arrive on heed.dlq
    later = letter(reply_to(ALICE), topic=topics.REPLIES)
    later_raw = letter(json.dumps({"type": "bogus", "sender_id": int(ALICE_DM)}).encode())
    bobs_later = letter(reply_to(BOB), topic=topics.REPLIES)
    await file(pool, later, later_raw, bobs_later)
    assert {d.event_id for d in await old_archive.select()} == {*(d.event_id for d in bobs), bobs_later.event_id}
    assert await rows_holding(pool, ALICE) == x_row and await rows_holding(pool, ALICE_DM) == {}

    # past retention the hashes go, and with them the screen
    assert await PostgresErasures(pool).expire(timedelta(days=30)) == 0
    assert await PostgresErasures(pool).expire(timedelta(0)) == 2
    await file(pool, later)
    assert later.event_id in {d.event_id for d in await old_archive.select()}


async def test_a_letter_archived_while_an_erasure_runs_never_outlives_it(database_url):
    pool = await create_pool(database_url, "ingest", max_size=6)
    try:
        await migrate(pool, "ingest", "heed_ingest")
        archive, erasures = PostgresDeadLetterArchive(pool), PostgresErasures(pool)
        for _ in range(10):
            update = erasure()
            alices = [letter(reply_to(ALICE), topic=topics.REPLIES) for _ in range(5)]
            await asyncio.gather(archive.archive([attribute(d, HASHES) for d in alices]),
                                 forget(pool, update))
            assert await pool.fetchval("SELECT count(*) FROM dead_letters") == 0
            await erasures.expire(timedelta(0))
    finally:
        await pool.close()
