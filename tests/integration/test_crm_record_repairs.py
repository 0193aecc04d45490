"""crm-sync's record on the real PostgreSQL where it went wrong before: an erasure announced without
its identities, an erased record written to again, CRM changes taken out of order, a merged-away
record's news not announced, consent announced other than the profile shows, one refused contact
holding up a CRM's whole sync."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import pytest

from heed.contracts import topics
from heed.contracts.events import Author, Channel, customer_id_for
from heed_crm_sync.adapters.crm_store import PostgresCrmStore
from heed_crm_sync.adapters.customer_book import PostgresCustomerBook
from heed_crm_sync.adapters.postgres import PostgresCustomerRecords
from heed_crm_sync.crm_sync import push_round
from heed_crm_sync.domain.ownership import DEFAULT_OWNERS
from heed_crm_sync.domain.record import RecordChange
from heed_crm_sync.handlers import announce_customers, read_preferences, record_mentions
from heed_crm_sync.ports import ExternalContact
from tests.integration import test_customer_360 as customer_360
from tests.integration.test_customer_360 import EMAIL, NOW, auth, one_person_on_two_channels, updates_on
from tests.unit.crm_sync.test_crm_sync import RefusingCrm
from tests.unit.factories import batch, mention
from tests.unit.fakes import FakePublisher, FixedClock

pytestmark = pytest.mark.integration
pool, keys, api = customer_360.pool, customer_360.keys, customer_360.api  # the same fixtures


def crm_store(pool: asyncpg.Pool, keys) -> PostgresCrmStore:
    return PostgresCrmStore(pool, PostgresCustomerBook(pool, keys), DEFAULT_OWNERS)


async def test_an_erasure_keeps_its_identities_when_an_older_version_is_marked_after_it(pool, keys):
    a, _ = await one_person_on_two_channels(pool)
    records = PostgresCustomerRecords(pool)
    read_before = await records.unpublished_customers()  # the announcer read, then the erasure committed
    assert await PostgresCustomerBook(pool, keys).erase(a, actor="api:ops", now=NOW) is not None
    await records.mark_customers_published(read_before)
    publisher = FakePublisher()
    await announce_customers(records=records, publisher=publisher)
    erased = [u for u in updates_on(publisher) if u.customer_id == a]
    assert len(erased) == 1 and erased[0].erased and erased[0].identities == ["weibo:wb-li"]


async def test_erasing_twice_answers_404_and_the_first_erasure_s_identities_still_go_out(pool, api):
    a, b = await one_person_on_two_channels(pool)
    await api.post(f"/customers/{a}/merge", json={"other": str(b)}, headers=auth())
    assert (await api.post(f"/customers/{a}/erase", headers=auth())).status_code == 200
    assert (await api.post(f"/customers/{b}/erase", headers=auth())).status_code == 404
    assert await pool.fetchval("SELECT count(*) FROM erasures") == 1
    publisher = FakePublisher()
    await announce_customers(records=PostgresCustomerRecords(pool), publisher=publisher)
    assert sorted(i for u in updates_on(publisher) if u.erased for i in u.identities) == [
        "wechat:wc-li", "weibo:wb-li"]


async def test_an_erased_record_takes_no_writes_and_its_crm_contact_brings_nothing_back(pool, keys, api):
    a, _ = await one_person_on_two_channels(pool)
    store = crm_store(pool, keys)
    contact = ExternalContact("901", a, {"tier": "vip", "email": EMAIL}, NOW)
    assert await store.take_change("hubspot", contact, NOW) == ["tier"]
    assert (await api.post(f"/customers/{a}/erase", headers=auth())).status_code == 200
    assert await pool.fetchval("SELECT count(*) FROM crm_links") == 0
    version = await pool.fetchval("SELECT version FROM customers WHERE customer_id = $1", a)

    assert (await api.patch(f"/customers/{a}", headers=auth(), json={"tier": "vip"})).status_code == 404
    added = await api.post(f"/customers/{a}/contact-points", json={"kind": "phone", "value": "+86 138 0013 8000"},
                           headers=auth())
    assert added.status_code == 404
    assert (await api.get(f"/customers/{a}/timeline", headers=auth())).status_code == 404
    later = ExternalContact("901", a, {"tier": "vip", "email": EMAIL, "marketing_consent": "true"},
                            NOW + timedelta(hours=1))
    assert await store.take_change("hubspot", later, NOW + timedelta(hours=1)) == []
    assert await store.take_change("hubspot", later, NOW + timedelta(hours=1), repair=True) == []
    row = await pool.fetchrow("SELECT tier, version FROM customers WHERE customer_id = $1", a)
    assert (row["tier"], row["version"]) == ("standard", version)
    for table in ("contact_points", "consents", "crm_links", "crm_field_state", "customer_changes"):
        assert await pool.fetchval(f"SELECT count(*) FROM {table} WHERE customer_id = $1", a) == 0, table


async def test_a_late_crm_change_never_undoes_a_newer_one(pool, keys):
    a, _ = await one_person_on_two_channels(pool)
    store = crm_store(pool, keys)
    newer = ExternalContact("901", a, {"tier": "vip", "owner": "7"}, NOW + timedelta(minutes=10))
    older = ExternalContact("901", a, {"tier": "standard", "owner": "8"}, NOW + timedelta(minutes=2))
    assert sorted(await store.take_change("hubspot", newer, NOW + timedelta(minutes=11))) == ["owner", "tier"]
    assert await store.take_change("hubspot", older, NOW + timedelta(minutes=12)) == []  # a retried webhook
    row = await pool.fetchrow("SELECT tier, owner FROM customers WHERE customer_id = $1", a)
    assert (row["tier"], row["owner"]) == ("vip", "7")


async def test_what_a_merged_away_record_gains_is_announced_by_its_survivor(pool, keys, api):
    a, b = await one_person_on_two_channels(pool)
    await api.post(f"/customers/{a}/merge", json={"other": str(b)}, headers=auth())
    records = PostgresCustomerRecords(pool)
    await announce_customers(records=records, publisher=FakePublisher())
    said = mention("Do you have feather pillows? I always sleep better with them.", channel=Channel.WECHAT,
                   native_id="wc-2", thread_root="wc-2", visibility="private",
                   author=Author(platform_id="wc-li", handle=None, name="李伟", followers=0))
    await record_mentions(batch(said, topic=topics.MENTIONS), records=records, publisher=FakePublisher())
    await read_preferences(records=records, settle=timedelta(0))
    publisher = FakePublisher()
    await announce_customers(records=records, publisher=publisher)
    assert {u.customer_id: u.preferences for u in updates_on(publisher)}.get(a) == {"pillow": "feather"}

    await PostgresCustomerBook(pool, keys).add_contact_point(b, "email", EMAIL, source="agent", actor="api:ops",
                                                            now=NOW)
    assert a in {u.customer_id for u in await records.unpublished_customers()}


@pytest.mark.parametrize("newest", ["survivor", "alias"])
async def test_a_family_s_consent_is_announced_as_the_profile_shows_it(pool, keys, api, newest):
    a, b = await one_person_on_two_channels(pool)
    book = PostgresCustomerBook(pool, keys)
    first, second = (b, a) if newest == "survivor" else (a, b)
    await book.change(first, RecordChange(consent={"marketing": False}), actor="api:ops", source="agent", now=NOW)
    await book.change(second, RecordChange(consent={"marketing": True}), actor="api:ops", source="agent",
                      now=NOW + timedelta(minutes=1))
    await api.post(f"/customers/{a}/merge", json={"other": str(b)}, headers=auth())
    shown = (await api.get(f"/customers/{a}", headers=auth())).json()["consent"]["marketing"]["granted"]
    publisher = FakePublisher()
    await announce_customers(records=PostgresCustomerRecords(pool), publisher=publisher)
    announced = [u for u in updates_on(publisher) if u.customer_id == a][-1]
    assert shown is True and announced.consent == {"marketing": True}


async def test_a_contact_the_crm_refuses_is_parked_and_the_others_are_synced(pool, keys):
    records = PostgresCustomerRecords(pool)
    people = [mention(f"hello {n}", channel=Channel.X, native_id=f"x-{n}", thread_root=f"x-{n}",
                      author=Author(platform_id=f"x-{n}", handle=f"p{n}", name=f"P{n}")) for n in range(3)]
    await records.record_mentions(people)
    book = PostgresCustomerBook(pool, keys)
    ids = [customer_id_for("x", f"x-{n}") for n in range(3)]
    for n, cid in enumerate(ids):
        await book.add_contact_point(cid, "email", f"p{n}@example.com" if n != 1 else "p1-at-example.com",
                                     source="agent", actor="api:ops", now=NOW)
    crm, clock = RefusingCrm(), FixedClock(NOW)
    store = crm_store(pool, keys)
    result = await push_round(crm, store, clock)
    assert set(crm.saved) == {ids[0], ids[2]} and result.contacts_pushed == 2
    parked = await pool.fetchrow("SELECT last_error AS parked_reason, due_at AS parked_until FROM crm_outbox"
                                 " WHERE item_kind = 'contact' AND item_id = $1 AND pushed_at IS NULL", ids[1])
    assert "VALIDATION_ERROR" in parked["parked_reason"] and "example" not in parked["parked_reason"]
    calls = crm.calls
    await push_round(crm, store, clock)
    assert crm.calls == calls  # parked: not pushed again every round
    clock.time = parked["parked_until"]
    await push_round(crm, store, clock)
    assert crm.calls == calls + 1  # its time is up: tried once more
    assert uuid.UUID(int=0) not in crm.saved
