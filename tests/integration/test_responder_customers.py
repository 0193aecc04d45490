"""The responder's customer profiles and erasure on the real PostgreSQL: the newest announcement about
an identity wins, an erasure leaves a row that names no one and that no older announcement undoes,
and after an erasure no table of the responder holds anything of the customer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from heed.contracts import topics
from heed.contracts.events import (
    AnswerKind,
    Author,
    CaseAnswer,
    Category,
    Channel,
    CustomerTier,
    CustomerUpdate,
    HandlingMode,
    RoutedCase,
    Visibility,
)
from heed.identity_hashes import IdentityHashes
from heed.runtime.db import create_pool, migrate
from heed_responder.adapters.channels import SandboxChannel
from heed_responder.adapters.customers import PostgresCustomerProfiles, unkeyed_digest
from heed_responder.adapters.outbox import PostgresOutbox
from heed_responder.domain.customers import profile_versions
from heed_responder.domain.outbox import ERASED, OutboxStatus
from heed_responder.domain.planning import plan, plan_answer
from heed_responder.handlers import learn_customers, respond
from tests.unit.factories import batch, classification, mention
from tests.unit.responder.fakes import FakePublisher, FixedClock, shipped_context

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LUMO = shipped_context()
HASHES = IdentityHashes([b"responder test key".ljust(32, b".")])  # HEED_ERASURE_KEY's
# what identifies the customer: their platform id, handle, name on record, name on the platform, posts
PLATFORM_ID, HANDLE, NAME, SHOWN = "cust-7f3a9", "mei_7f3a9", "Mei-Ling Chan", "Mei 7f3a9"
TRACES = (PLATFORM_ID, HANDLE, NAME, SHOWN, "post-7f3a9")


def update(identity: str, version: int, *, name: str | None = None, language: str | None = None,
           erased: bool = False, at: datetime = T0) -> CustomerUpdate:
    return CustomerUpdate(event_id=uuid.uuid4(), occurred_at=at, customer_id=uuid.uuid4(), identities=[identity],
                          version=version, display_name=name, language=language, erased=erased)


def routed(native_id: str, author: str = PLATFORM_ID) -> RoutedCase:
    m = mention("my parcel is late", Channel.WEIBO, native_id=native_id, thread_root=f"{native_id}-root",
                author=Author(platform_id=author, handle=HANDLE if author == PLATFORM_ID else "someone",
                              name=SHOWN if author == PLATFORM_ID else "Someone"))
    return RoutedCase(event_id=uuid.uuid4(), mention_id=m.mention_id, case_id=uuid.uuid4(), mention=m,
                      classification=classification(Category.COMPLAINT), department="logistics",
                      handling_mode=HandlingMode.HOLDING, priority=50, sla_due_at=m.received_at + timedelta(hours=2),
                      rule_id="r", customer_tier=CustomerTier.STANDARD)


async def _migrated(database_url: str) -> asyncpg.Pool:
    pool = await create_pool(database_url, "responder")
    await migrate(pool, "responder", "heed_responder")
    return pool


async def test_the_newest_announcement_wins_and_an_erasure_is_never_undone_by_an_older_one(database_url):
    pool = await _migrated(database_url)
    try:
        profiles = PostgresCustomerProfiles(pool, HASHES)
        ident = f"x:{PLATFORM_ID}"
        await profiles.learn(profile_versions([update(ident, 3, name=NAME, language="zh-Hant")]))
        await profiles.learn(profile_versions([update(ident, 2, name="M. Chan", language="th")]))
        [mei] = (await profiles.profiles([ident, "x:nobody"])).values()
        assert (mei.display_name, mei.language, mei.forgotten_before) == (NAME, "zh-Hant", None)

        await profiles.learn(profile_versions([update(ident, 5, erased=True, at=T0)]))
        await profiles.learn(profile_versions([update(ident, 4, name=NAME, language="th")]))
        gone = (await profiles.profiles([ident]))[ident]
        assert (gone.display_name, gone.language, gone.forgotten_before) == (None, None, T0)
        rows = [r["row"] for r in await pool.fetch("SELECT t::text AS row FROM customer_profiles t")]
        assert len(rows) == 1 and not [t for t in TRACES if t in rows[0]]  # keyed by a keyed hash: names no one

        # the customer comes back with a newer record: greeted again; the erasure's time is kept
        await profiles.learn(profile_versions([update(ident, 9, name="Mei")]))
        back = (await profiles.profiles([ident]))[ident]
        assert (back.display_name, back.forgotten_before) == ("Mei", T0)
    finally:
        await pool.close()


async def test_a_customer_with_nothing_on_record_costs_no_row_and_a_cleared_name_is_cleared(database_url):
    pool = await _migrated(database_url)
    try:
        profiles = PostgresCustomerProfiles(pool, HASHES)
        new, named = f"x:{PLATFORM_ID}", "x:someone-else"
        await profiles.learn(profile_versions([update(new, 3), update(named, 4, name=NAME)]))
        assert await pool.fetchval("SELECT count(*) FROM customer_profiles") == 1  # only the one with a name
        await profiles.learn(profile_versions([update(named, 6)]))  # an agent cleared the name
        await profiles.learn(profile_versions([update(named, 5, name="M. Chan")]))  # older: changes nothing
        cleared = (await profiles.profiles([named]))[named]
        assert (cleared.display_name, cleared.language) == (None, None)
        assert await pool.fetchval("SELECT version FROM customer_profiles") == 6
    finally:
        await pool.close()


async def test_a_profile_is_keyed_by_its_keyed_hash_and_an_unkeyed_row_is_read_and_moved_under_the_key(database_url):
    pool = await _migrated(database_url)
    try:
        profiles = PostgresCustomerProfiles(pool, HASHES)
        ident, old = f"x:{PLATFORM_ID}-keyed", f"x:{PLATFORM_ID}-unkeyed"
        await profiles.learn(profile_versions([update(ident, 5, erased=True, at=T0)]))
        keys = {bytes(r["identity_digest"]) for r in await pool.fetch("SELECT identity_digest FROM customer_profiles")}
        # not recomputable from the id: neither the digest before nor the public built-in key finds it
        assert HASHES.identity(ident) in keys
        assert not keys & {unkeyed_digest(ident), IdentityHashes().identity(ident)}

        # an erasure recorded before the key, by the unkeyed digest: still refuses an older announcement
        await pool.execute("INSERT INTO customer_profiles (identity_digest, version, erased, forgotten_before)"
                           " VALUES ($1, 7, true, $2)", unkeyed_digest(old), T0)
        await profiles.learn(profile_versions([update(old, 6, name=NAME)]))
        gone = (await profiles.profiles([old]))[old]
        assert (gone.display_name, gone.forgotten_before) == (None, T0)
        rows = {bytes(r["identity_digest"]): r["version"] for r in await pool.fetch("SELECT * FROM customer_profiles")}
        assert rows == {HASHES.identity(ident): 5, HASHES.identity(old): 7}  # moved under the key
    finally:
        await pool.close()


async def test_after_an_erasure_no_table_of_the_responder_holds_anything_of_the_customer(database_url):
    pool = await _migrated(database_url)
    try:
        outbox, channel, customers = PostgresOutbox(pool), SandboxChannel(pool), PostgresCustomerProfiles(pool, HASHES)
        publisher, clock = FakePublisher(), FixedClock(T0)
        await customers.learn(profile_versions([update(f"weibo:{PLATFORM_ID}", 3, name=NAME, language="en"),
                                                update("weibo:other-1", 4, name="Somchai")]))
        sent, other = routed("post-7f3a9-1"), routed("other-post-1", author="other-1")
        await respond(batch(sent, other, topic=topics.CASES_ROUTED), outbox=outbox, channel=channel,
                      customers=customers, publisher=publisher, context=LUMO, clock=clock)
        queued, in_flight = routed("post-7f3a9-2"), routed("post-7f3a9-3")
        answer = CaseAnswer(event_id=uuid.uuid4(), answer_id=uuid.uuid4(), case_id=sent.case_id,
                            kind=AnswerKind.AGENT, mention_id=sent.mention_id, channel=Channel.WEIBO,
                            in_reply_to="post-7f3a9-1", recipient_platform_id=PLATFORM_ID,
                            visibility=Visibility.PUBLIC, text=f"{NAME}, your refund is on its way", language="en",
                            author="agent:li", department="billing", received_at=T0 - timedelta(hours=1),
                            thread_root="post-7f3a9-root")
        await outbox.enqueue([plan(queued, LUMO), plan(in_flight, LUMO), plan_answer(answer, LUMO)])
        [flying] = [r for r in await outbox.for_mentions([in_flight.mention_id])]
        assert await outbox.claim([flying.reply_id], T0) == {flying.reply_id}
        dump = await _everything(pool)
        assert all(t in dump for t in (PLATFORM_ID, NAME, "post-7f3a9"))  # before: in replies, copies, profiles

        erased_at = datetime.now(UTC) + timedelta(seconds=1)  # after the sandbox's own sent_at
        await learn_customers(batch(update(f"weibo:{PLATFORM_ID}", 8, erased=True, at=erased_at),
                                    topic=topics.CRM_CUSTOMERS), customers=customers, outbox=outbox, channel=channel)

        dump = await _everything(pool)
        assert [t for t in TRACES if t in dump] == []
        assert "other-1" in dump and "Somchai" in dump  # another customer keeps theirs
        statuses = {(r["mention_id"], r["kind"]): (r["status"], r["error"], r["reported"]) for r in await pool.fetch(
            "SELECT mention_id, kind, status, error, reported FROM replies WHERE erased")}
        assert statuses == {(sent.mention_id, "auto"): ("sent", None, True),
                            (sent.mention_id, "agent"): ("failed", ERASED, True),
                            (queued.mention_id, "auto"): ("failed", ERASED, True),
                            (in_flight.mention_id, "auto"): ("unknown", ERASED, True)}
        assert await pool.fetchval("SELECT count(*) FROM sandbox_messages") == 1  # the other customer's
        assert await outbox.unreported(10) == [] and await outbox.stuck(erased_at + timedelta(hours=1), 10) == []

        # redelivered: nothing sent, nothing reported, nothing written back
        before = len(publisher.published)
        await respond(batch(sent, queued, topic=topics.CASES_ROUTED), outbox=outbox, channel=channel,
                      customers=customers, publisher=publisher, context=LUMO, clock=clock)
        assert len(publisher.published) == before
        assert [t for t in TRACES if t in await _everything(pool)] == []
        assert {r.status for r in await outbox.for_mentions([queued.mention_id])} == {OutboxStatus.FAILED}
    finally:
        await pool.close()


async def _everything(pool: asyncpg.Pool) -> str:
    """Every row of every table in the responder's schema, as text."""
    tables = [r["table_name"] for r in await pool.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'responder'")]
    assert {"replies", "sandbox_messages", "customer_profiles"} <= set(tables)
    rows = []
    for table in tables:
        rows += [r["row"] for r in await pool.fetch(f'SELECT t::text AS row FROM responder."{table}" t')]
    return "\n".join(rows)
