"""The customer 360 on the real PostgreSQL, through the customers API: one person writing on Weibo
and WeChat becomes one record when verified once; changes are announced with versions that always
win; scopes guard every endpoint; export gives everything and erasure leaves no trace but an audit
row without personal data."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from heed.contracts import topics
from heed.contracts.events import Author, Channel, CustomerTier, CustomerUpdate, customer_id_for
from heed.secure_link import LinkClaims
from heed_crm_sync.adapters.customer_book import PostgresCustomerBook
from heed_crm_sync.adapters.postgres import PostgresCustomerRecords
from heed_crm_sync.adapters.verifications import PostgresContactPoints, PostgresVerifications
from heed_crm_sync.api import customers_api, parse_tokens
from heed_crm_sync.data_keys import DataKeys
from heed_crm_sync.handlers import (
    VerificationPolicy,
    announce_customers,
    read_preferences,
    record_mentions,
    submit_verification,
)
from heed_crm_sync.verification import Outcome, Submission, form_token
from tests.harness import columns_holding, migrated
from tests.unit.crm_sync.builders import reply_to, routed_case
from tests.unit.factories import batch, mention
from tests.unit.fakes import FakePublisher, FixedClock

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
LINK_KEY, DATA_KEY = b"l" * 32, b"d" * 32
PHONE, ORDER, EMAIL = "+86 138 0013 8000", "TB-2026-556677", "li.wei@example.com"
TOKENS = ("ops:read+contact+write+merge+export+erase:ops-token-0123456789,"
          "marketing:read:marketing-token-0123456789,sales:read+write:sales-token-0123456789")


@pytest.fixture
async def pool(database_url) -> AsyncIterator[asyncpg.Pool]:
    async with migrated(database_url, "crm", "heed_crm_sync", max_size=8) as crm:
        yield crm


@pytest.fixture
def keys() -> DataKeys:
    return DataKeys([DATA_KEY])


@pytest.fixture
async def api(pool, keys) -> AsyncIterator[httpx.AsyncClient]:
    app = customers_api(lambda: PostgresCustomerBook(pool, keys), lambda: parse_tokens(TOKENS), FixedClock(NOW))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://crm") as client:
        yield client


def updates_on(publisher: FakePublisher) -> list[CustomerUpdate]:
    return publisher.events(topics.CRM_CUSTOMERS, CustomerUpdate)


def auth(who: str = "ops") -> dict[str, str]:
    return {"authorization": f"Bearer {who}-token-0123456789"}


async def one_person_on_two_channels(pool: asyncpg.Pool) -> tuple[uuid.UUID, uuid.UUID]:
    """Li Wei writes on Weibo (customer A), later on WeChat (customer B); same display name as a
    stranger on X, which must never merge."""
    records = PostgresCustomerRecords(pool)
    weibo = mention("我的订单还没到", channel=Channel.WEIBO, native_id="wb-1", thread_root="wb-1",
                    author=Author(platform_id="wb-li", handle="liwei", name="李伟", followers=30))
    wechat = mention("订单到了吗", channel=Channel.WECHAT, native_id="wc-1", thread_root="wc-1",
                     created_at=NOW + timedelta(hours=1), visibility="private",
                     author=Author(platform_id="wc-li", handle=None, name="李伟", followers=0))
    stranger = mention("hello", channel=Channel.X, native_id="x-1", thread_root="x-1",
                       author=Author(platform_id="x-other", handle="liwei", name="李伟", followers=5))
    await records.record_mentions([weibo])
    await records.record_mentions([wechat, stranger])
    await records.record_routing([routed_case(weibo)])
    await records.record_replies([reply_to(weibo)])
    return customer_id_for("weibo", "wb-li"), customer_id_for("wechat", "wc-li")


async def test_verified_once_two_channels_become_one_record_and_unmerge_splits_them(pool, keys, api):
    a, b = await one_person_on_two_channels(pool)
    contacts = PostgresContactPoints(pool, keys)
    await contacts.add_phone(a, PHONE, source="hubspot")  # the CRM knows Li Wei's phone and order
    await contacts.add_order(a, ORDER, source="hubspot")
    publisher = FakePublisher()
    await announce_customers(records=PostgresCustomerRecords(pool), publisher=publisher)

    # the WeChat customer opens a secure link and proves the order and the phone on A's record
    claims = LinkClaims(uuid.uuid4(), b, uuid.uuid4(), NOW + timedelta(hours=1), "zh-Hans")
    decision = await submit_verification(
        claims, Submission(ORDER, "8000", "", form_token([LINK_KEY], claims.link_id, NOW)),
        verifications=PostgresVerifications(pool), publisher=publisher, clock=FixedClock(NOW),
        policy=VerificationPolicy(data_keys=keys, link_keys=[LINK_KEY]))
    assert decision.outcome is Outcome.VERIFIED

    for either in (a, b):
        got = (await api.get(f"/customers/{either}", headers=auth())).json()
        assert got["customer_id"] == str(a) and got["aliases"] == [str(b)]
        assert {i["channel"] for i in got["identities"]} == {"weibo", "wechat"}  # never the X namesake
    merge_row = await pool.fetchrow("SELECT survivor_id, merged_id, rule FROM merges")
    assert tuple(merge_row) == (a, b, "verified-order-and-phone")

    # the router and the responder hear it: A names both identities, B points at A
    await announce_customers(records=PostgresCustomerRecords(pool), publisher=publisher)
    updates = {u.customer_id: u for u in updates_on(publisher)[-2:]}
    assert sorted(updates[a].identities) == ["wechat:wc-li", "weibo:wb-li"] and updates[a].aliases == [b]
    assert updates[b].merged_into == a and updates[b].identities == []

    # an agent splits them again: both announced anew, with versions above the merged ones
    assert (await api.post(f"/customers/{b}/unmerge", headers=auth())).json()["survivor"] == str(a)
    merged_version = updates[a].version
    await announce_customers(records=PostgresCustomerRecords(pool), publisher=publisher)
    after = {u.customer_id: u for u in updates_on(publisher)[-2:]}
    assert after[a].identities == ["weibo:wb-li"] and after[b].identities == ["wechat:wc-li"]
    assert min(after[a].version, after[b].version) > merged_version
    assert await pool.fetchval("SELECT unmerged_by FROM merges") == "api:ops"


async def test_a_shared_verified_phone_merges_but_a_shared_name_never_does(pool, api):
    a, b = await one_person_on_two_channels(pool)
    stranger = customer_id_for("x", "x-other")
    assert (await api.post(f"/customers/{a}/contact-points", json={"kind": "phone", "value": PHONE},
                           headers=auth())).json()["merged"] == []
    merged = (await api.post(f"/customers/{b}/contact-points", json={"kind": "phone", "value": "+8613800138000"},
                             headers=auth())).json()
    assert merged == {"survivor": str(a), "merged": [str(b)], "rule": "same-verified-phone"}
    assert (await api.get("/customers", params={"phone": "+86 138-0013-8000"}, headers=auth())).json() == {
        "customers": [str(a)]}
    found = (await api.get("/customers", params={"handle": "liwei"}, headers=auth())).json()["customers"]
    assert sorted(found) == sorted([str(a), str(stranger)])  # one name, two people
    assert await pool.fetchval("SELECT merged_into FROM customers WHERE customer_id = $1", stranger) is None


async def test_scopes_guard_every_endpoint_and_contact_points_show_only_with_the_contact_scope(pool, api):
    a, _ = await one_person_on_two_channels(pool)
    await api.post(f"/customers/{a}/contact-points", json={"kind": "email", "value": EMAIL}, headers=auth())
    assert (await api.get(f"/customers/{a}")).status_code == 401
    assert (await api.get(f"/customers/{a}", headers={"authorization": "Bearer wrong-token-0123456789"})
            ).status_code == 401
    seen_by_marketing = (await api.get(f"/customers/{a}", headers=auth("marketing"))).json()
    assert seen_by_marketing["contact_points"] == [] and EMAIL not in str(seen_by_marketing)
    assert [c["value"] for c in (await api.get(f"/customers/{a}", headers=auth())).json()["contact_points"]] == [EMAIL]
    for method, path, body in (("patch", f"/customers/{a}", {"tier": "vip"}),
                               ("post", f"/customers/{a}/erase", None),
                               ("get", f"/customers/{a}/export", None),
                               ("post", f"/customers/{a}/merge", {"other": str(uuid.uuid4())})):
        response = await api.request(method.upper(), path, json=body, headers=auth("marketing"))
        assert response.status_code == 403, path
    assert (await api.get("/customers", params={"email": EMAIL}, headers=auth("sales"))).status_code == 403
    assert (await api.get(f"/customers/{uuid.uuid4()}", headers=auth())).status_code == 404
    openapi = (await api.get("/openapi.json")).json()
    assert "/customers/{customer_id}/timeline" in openapi["paths"]


async def test_changes_are_recorded_and_announced_and_preferences_wait_for_an_agent(pool, api):
    a, _ = await one_person_on_two_channels(pool)
    publisher = FakePublisher()
    records = PostgresCustomerRecords(pool)
    await announce_customers(records=records, publisher=publisher)
    await pool.execute(
        "INSERT INTO preferences (customer_id, kind, value, status, source, confidence, evidence, stated_at)"
        " VALUES ($1, 'pillow', 'feather', 'proposed', 'said', 0.55, 'en.pillow.question', $2)", a, NOW)
    response = await api.patch(f"/customers/{a}", headers=auth("sales"), json={
        "tier": "vip", "owner": "rep:janet", "tags": ["frequent", "corporate"], "language": "zh-Hans",
        "consent": {"marketing": True}, "preferences": [{"kind": "pillow", "value": "feather", "confirmed": True}]})
    got = response.json()
    assert response.status_code == 200, got
    assert (got["tier"], got["owner"], got["tags"], got["language"]) == (
        "vip", "rep:janet", ["corporate", "frequent"], "zh-Hans")
    assert [(p["kind"], p["value"], p["status"]) for p in got["preferences"]] == [("pillow", "feather", "confirmed")]
    assert got["consent"]["marketing"]["granted"] is True
    await announce_customers(records=records, publisher=publisher)
    update = updates_on(publisher)[-1]
    assert (update.tier, update.owner, update.language, update.preferences, update.consent) == (
        CustomerTier.VIP, "rep:janet", "zh-Hans", {"pillow": "feather"}, {"marketing": True})
    fields = {r["field"] for r in await pool.fetch("SELECT field FROM customer_changes WHERE actor = 'api:sales'")}
    assert {"tier", "owner", "tags", "language", "consent.marketing", "preference.pillow"} <= fields
    bad = await api.patch(f"/customers/{a}", headers=auth("sales"), json={"tier": "platinum"})
    assert bad.status_code == 422 and "tier" in bad.json()["error"]


async def test_timeline_pages_and_export_then_erasure_leaves_only_an_audit_without_personal_data(
        pool, api, database_url):
    a, b = await one_person_on_two_channels(pool)
    await api.post(f"/customers/{a}/merge", json={"other": str(b)}, headers=auth())
    await api.post(f"/customers/{a}/contact-points", json={"kind": "email", "value": EMAIL}, headers=auth())
    first = (await api.get(f"/customers/{b}/timeline", params={"limit": 2}, headers=auth())).json()
    assert len(first["entries"]) == 2 and first["cursor"]
    rest = (await api.get(f"/customers/{a}/timeline", params={"limit": 2, "cursor": first["cursor"]},
                          headers=auth())).json()
    keys_seen = [e["key"] for e in first["entries"] + rest["entries"]]
    assert len(keys_seen) == len(set(keys_seen)) == 3  # two mentions and a reply, each once
    assert first["entries"][0]["type"] == "mention"  # newest first: the WeChat message

    exported = (await api.get(f"/customers/{a}/export", headers=auth())).json()
    assert {i["channel"] for i in exported["customer"]["identities"]} == {"weibo", "wechat"}
    assert exported["customer"]["contact_points"][0]["value"] == EMAIL and len(exported["timeline"]) == 3

    receipt = (await api.post(f"/customers/{b}/erase", headers=auth())).json()
    assert receipt["customers"] == 2 and receipt["rows_removed"]["interactions"] == 2
    assert (await api.get(f"/customers/{a}", headers=auth())).status_code == 404
    for personal in ("我的订单还没到", "订单到了吗", "li.wei"):  # (the X namesake keeps his own name)
        assert await columns_holding(database_url, "crm", personal) == [], personal
    audit = await pool.fetchrow("SELECT actor, rows_removed FROM erasures")
    assert audit["actor"] == "api:ops" and str(a) not in str(dict(audit))
    # the other services are told which identities to forget
    publisher = FakePublisher()
    await announce_customers(records=PostgresCustomerRecords(pool), publisher=publisher)
    erased = [u for u in updates_on(publisher) if u.erased]
    assert sorted(i for u in erased for i in u.identities) == ["wechat:wc-li", "weibo:wb-li"]
    # kept only until announced: then no trace of who they were
    for identity in ("wb-li", "wc-li"):
        assert await columns_holding(database_url, "crm", identity) == [], identity
    # the person writes again: a new record under the same id, announced as a live customer
    records = PostgresCustomerRecords(pool)
    again = mention("又是我", channel=Channel.WEIBO, native_id="wb-again", thread_root="wb-again",
                    author=Author(platform_id="wb-li", handle="li.wei", name="李伟"))
    publisher = FakePublisher()
    await record_mentions(batch(again, topic=topics.MENTIONS), records=records, publisher=publisher)
    back = [u for u in updates_on(publisher) if u.customer_id == customer_id_for("weibo", "wb-li")]
    assert [(u.erased, u.identities) for u in back] == [(False, ["weibo:wb-li"])]


async def test_what_customers_say_they_prefer_is_read_in_the_background_and_sure_ones_are_announced(pool, api):
    records = PostgresCustomerRecords(pool)
    sure = mention("Do you have feather pillows? I always sleep better with them.", channel=Channel.X,
                   native_id="x-7", thread_root="x-7", author=Author(platform_id="x-amy", handle="amy", name="Amy"))
    unsure = mention("有没有羽绒枕？", channel=Channel.WEIBO, native_id="wb-7", thread_root="wb-7",
                     author=Author(platform_id="wb-amy", handle="amy", name="Amy"))
    await records.record_mentions([sure, unsure])
    assert await read_preferences(records=records, settle=timedelta(0)) == 2
    assert await read_preferences(records=records, settle=timedelta(0)) == 0  # each mention read once
    amy, amy_weibo = customer_id_for("x", "x-amy"), customer_id_for("weibo", "wb-amy")
    got = (await api.get(f"/customers/{amy}", headers=auth())).json()["preferences"]
    assert [(p["kind"], p["value"], p["status"], p["source"]) for p in got] == [
        ("pillow", "feather", "confirmed", "said")]
    assert got[0]["evidence"] == "en.pillow.feather"  # a pattern id, never the words
    waiting = (await api.get(f"/customers/{amy_weibo}", headers=auth())).json()["preferences"]
    assert [(p["kind"], p["status"]) for p in waiting] == [("pillow", "proposed")]  # an agent confirms
    publisher = FakePublisher()
    await announce_customers(records=records, publisher=publisher)
    announced = {u.customer_id: u.preferences for u in updates_on(publisher)}
    assert announced[amy] == {"pillow": "feather"} and announced[amy_weibo] == {}


async def test_the_preferences_reader_reads_each_mention_once_across_rounds_even_from_one_transaction(pool, api):
    records = PostgresCustomerRecords(pool)
    said = [mention(f"I always sleep better with feather pillows ({n})", channel=Channel.X, native_id=f"x-p{n}",
                    thread_root=f"x-p{n}", author=Author(platform_id=f"x-p{n}", handle=f"p{n}", name=f"P{n}"))
            for n in range(7)]
    await records.record_mentions(said)  # one transaction: one recorded_at for all seven
    rounds = [await read_preferences(records=records, limit=3, settle=timedelta(0)) for _ in range(4)]
    assert rounds == [3, 3, 1, 0]
    kept = await pool.fetchval("SELECT count(*) FROM preferences WHERE kind = 'pillow' AND status = 'confirmed'")
    assert kept == 7
    # a mention recorded within the settle time waits for the next round
    late = mention("I always sleep better with feather pillows", channel=Channel.X, native_id="x-late",
                   thread_root="x-late", author=Author(platform_id="x-late", handle="late", name="Late"))
    await records.record_mentions([late])
    assert await read_preferences(records=records, settle=timedelta(minutes=5)) == 0
    assert await read_preferences(records=records, settle=timedelta(0)) == 1
