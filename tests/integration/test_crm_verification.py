"""Secure verification on the real PostgreSQL: contact data kept sealed, a link judged one
submission at a time (a burst of guesses cannot pass the limit, two right answers verify once), and
nothing a customer typed readable in any column."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from heed.contracts import topics
from heed.contracts.events import CustomerVerified
from heed.secure_link import LinkClaims
from heed_crm_sync.adapters.verifications import PostgresContactPoints, PostgresVerifications
from heed_crm_sync.data_keys import DataKeys
from heed_crm_sync.handlers import VerificationPolicy, announce_verifications, submit_verification
from heed_crm_sync.verification import Outcome, Submission, form_token
from tests.harness import columns_holding, migrated
from tests.unit.fakes import FakePublisher, FixedClock

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
LINK_KEY, DATA_KEY, OLD_DATA_KEY = b"l" * 32, b"d" * 32, b"o" * 32
PHONE, ORDER = "+852 6123 9876", "HK-88-1234"
SECRET = "Octopus card 9911-2233, flat 7B Tai Koo Shing"


@pytest.fixture
async def pool(database_url) -> AsyncIterator[asyncpg.Pool]:
    """crm-sync's schema, migrated, on a fresh database."""
    async with migrated(database_url, "crm", "heed_crm_sync", max_size=12) as crm:
        yield crm


async def seeded_customer(pool: asyncpg.Pool, keys: DataKeys) -> uuid.UUID:
    customer = uuid.uuid4()
    await pool.execute("INSERT INTO customers (customer_id, display_name) VALUES ($1, 'Mei')", customer)
    contacts = PostgresContactPoints(pool, keys)
    for _ in range(2):  # added again by a second import: still one of each
        await contacts.add_phone(customer, PHONE, source="test")
        await contacts.add_order(customer, ORDER, source="test")
    return customer


def submission(claims: LinkClaims, last4: str, details: str = SECRET) -> Submission:
    return Submission(ORDER, last4, details, form_token([LINK_KEY], claims.link_id, NOW))


async def test_a_right_answer_keeps_only_ciphertext_and_marks_customer_and_case_verified(pool, database_url):
    keys = DataKeys([DATA_KEY])
    customer = await seeded_customer(pool, keys)
    assert await pool.fetchval("SELECT count(*) FROM contact_points") == 1
    assert await pool.fetchval("SELECT count(*) FROM order_refs") == 1
    claims = LinkClaims(uuid.uuid4(), customer, uuid.uuid4(), NOW + timedelta(hours=1), "zh-Hant")
    publisher = FakePublisher()
    decision = await submit_verification(
        claims, submission(claims, "9876"), verifications=PostgresVerifications(pool), publisher=publisher,
        clock=FixedClock(NOW), policy=VerificationPolicy(data_keys=keys, link_keys=[LINK_KEY]))
    assert decision.outcome is Outcome.VERIFIED
    assert await pool.fetchval("SELECT verified_at FROM customers WHERE customer_id = $1", customer) == NOW
    row = await pool.fetchrow("SELECT case_id, customer_id, details_received, published_at IS NOT NULL AS out"
                              " FROM case_verifications WHERE link_id = $1", claims.link_id)
    assert row is not None and tuple(row) == (claims.case_id, customer, True, True)
    # nothing the customer typed, nor the phone or order on record, is readable in any column
    for plaintext in (SECRET, "Tai Koo", "9911", PHONE, "6123", ORDER):
        assert await columns_holding(database_url, "crm", plaintext) == []
    [event] = publisher.events(topics.CRM_VERIFICATIONS, CustomerVerified)
    assert SECRET not in event.model_dump_json() and event.case_id == claims.case_id


async def test_a_burst_of_wrong_guesses_is_judged_one_at_a_time_and_stops_at_the_limit(pool):
    keys = DataKeys([DATA_KEY])
    customer = await seeded_customer(pool, keys)
    claims = LinkClaims(uuid.uuid4(), customer, uuid.uuid4(), NOW + timedelta(hours=1), None)
    policy = VerificationPolicy(data_keys=keys, link_keys=[LINK_KEY], max_attempts=5)
    store = PostgresVerifications(pool)
    guesses = [submit_verification(claims, submission(claims, f"{n:04d}"), verifications=store,
                                   publisher=FakePublisher(), clock=FixedClock(NOW), policy=policy)
               for n in range(10)]
    outcomes = Counter(d.outcome for d in await asyncio.gather(*guesses))
    assert outcomes == {Outcome.WRONG_IDENTITY: 4, Outcome.LOCKED: 6}
    assert await pool.fetchval("SELECT failures FROM link_attempts WHERE link_id = $1", claims.link_id) == 5
    assert await pool.fetchval("SELECT outcome FROM used_links WHERE link_id = $1", claims.link_id) == "locked"
    right = await submit_verification(claims, submission(claims, "9876"), verifications=store,
                                      publisher=FakePublisher(), clock=FixedClock(NOW), policy=policy)
    assert right.outcome is Outcome.LOCKED
    assert await pool.fetchval("SELECT count(*) FROM sensitive_details") == 0


async def test_two_right_answers_at_once_verify_once(pool):
    keys = DataKeys([DATA_KEY])
    customer = await seeded_customer(pool, keys)
    claims = LinkClaims(uuid.uuid4(), customer, uuid.uuid4(), NOW + timedelta(hours=1), None)
    policy = VerificationPolicy(data_keys=keys, link_keys=[LINK_KEY])
    store, publisher = PostgresVerifications(pool), FakePublisher()
    decisions = await asyncio.gather(*(
        submit_verification(claims, submission(claims, "9876", f"{SECRET} #{n}"), verifications=store,
                            publisher=publisher, clock=FixedClock(NOW), policy=policy) for n in range(3)))
    assert Counter(d.outcome for d in decisions) == {Outcome.VERIFIED: 1, Outcome.ALREADY_USED: 2}
    assert await pool.fetchval("SELECT count(*) FROM sensitive_details") == 1
    assert len(publisher.events(topics.CRM_VERIFICATIONS, CustomerVerified)) == 1
    assert await announce_verifications(verifications=store, publisher=publisher) == 0


async def test_contact_data_stored_before_a_key_rotation_still_verifies(pool):
    customer = await seeded_customer(pool, DataKeys([OLD_DATA_KEY]))
    rotated = DataKeys([DATA_KEY, OLD_DATA_KEY])
    claims = LinkClaims(uuid.uuid4(), customer, uuid.uuid4(), NOW + timedelta(hours=1), None)
    decision = await submit_verification(
        claims, submission(claims, "9876"), verifications=PostgresVerifications(pool), publisher=FakePublisher(),
        clock=FixedClock(NOW), policy=VerificationPolicy(data_keys=rotated, link_keys=[LINK_KEY]))
    assert decision.outcome is Outcome.VERIFIED
    # the new details are sealed with the new key
    assert await pool.fetchval("SELECT key_id FROM sensitive_details") == rotated.current_key_id
