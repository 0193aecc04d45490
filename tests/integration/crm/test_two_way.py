"""HubSpot and Salesforce both ways, on the real PostgreSQL and each CRM's stand-in: every interaction
appears in the CRM once however often the sync runs; a sales rep marking the customer VIP in the CRM
reaches the router's priority (HubSpot by its webhook, Salesforce by polling `updated`); nothing
bounces back to the CRM; and reconciliation repairs drift both ways."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from heed.contracts import topics
from heed.contracts.events import Author, Category, Channel, CustomerTier, CustomerUpdate, customer_id_for
from heed.identity_hashes import IdentityHashes
from heed.runtime.db import create_pool, migrate
from heed.runtime.ports import SystemClock
from heed_crm_sync.adapters.crm.hubspot import HubSpotCrm
from heed_crm_sync.adapters.crm.salesforce import SalesforceCrm
from heed_crm_sync.adapters.crm_store import PostgresCrmStore
from heed_crm_sync.adapters.customer_book import PostgresCustomerBook
from heed_crm_sync.adapters.postgres import PostgresCustomerRecords
from heed_crm_sync.app import CrmSyncService
from heed_crm_sync.crm_sync import pull_round, push_round, reconcile, take_hubspot_webhook
from heed_crm_sync.data_keys import DataKeys
from heed_crm_sync.domain.hubspot_webhooks import WebhookRefused
from heed_crm_sync.domain.ownership import DEFAULT_OWNERS
from heed_crm_sync.handlers import announce_customers
from heed_crm_sync.settings import CrmSyncSettings
from heed_router.adapters.postgres import PostgresCases
from heed_router.adapters.rules_file import shipped_rules_path
from heed_router.domain.rules import parse_rules, route
from heed_router.handlers import learn_customers
from tests.harness import migrated
from tests.integration.crm.conftest import SALESFORCE_TOKEN, ServedHubSpot, ServedSalesforce, SteppedClock
from tests.standins.hubspot import TOKEN
from tests.standins.salesforce import SalesforceStandIn
from tests.unit.crm_sync.builders import reply_to, routed_case
from tests.unit.factories import batch, classification, mention
from tests.unit.fakes import FakePublisher

pytestmark = pytest.mark.integration

SECRET = "hubspot-app-client-secret"
HOOK = "https://heed.example.com/crm/hubspot/webhook"


@pytest.fixture
async def pool(database_url) -> AsyncIterator[asyncpg.Pool]:
    async with migrated(database_url, "crm", "heed_crm_sync", max_size=6) as crm:
        yield crm


@pytest.fixture
async def crm(hubspot: ServedHubSpot) -> AsyncIterator[HubSpotCrm]:
    client = HubSpotCrm(hubspot.url, TOKEN, timeout_s=2.0, backoff_s=0.01)
    try:
        yield client
    finally:
        await client.aclose()


async def seeded(pool: asyncpg.Pool) -> tuple[uuid.UUID, PostgresCrmStore]:
    records = PostgresCustomerRecords(pool)
    m = mention("房间的空调坏了，一晚没睡", channel=Channel.WEIBO, native_id="wb-9", thread_root="wb-9",
                author=Author(platform_id="wb-zhang", handle="zhang", name="张先生", followers=80))
    await records.record_mentions([m])
    await records.record_routing([routed_case(m)])
    await records.record_replies([reply_to(m)])
    store = PostgresCrmStore(pool, PostgresCustomerBook(pool, DataKeys([b"d" * 32])), DEFAULT_OWNERS)
    return customer_id_for("weibo", "wb-zhang"), store


async def with_a_mistyped_email(pool: asyncpg.Pool, store: PostgresCrmStore, email: str) -> uuid.UUID:
    """A second customer, with an email an agent typed wrong, which the CRM refuses."""
    await PostgresCustomerRecords(pool).record_mentions([mention(
        "还在等退款", channel=Channel.WEIBO, native_id="wb-10", thread_root="wb-10",
        author=Author(platform_id="wb-li", handle="li", name="李女士"))])
    refused = customer_id_for("weibo", "wb-li")
    await store.book.add_contact_point(refused, "email", email, source="agent", actor="api:agent",
                                       now=SystemClock().now())
    return refused


async def assert_the_next_complaint_jumps_the_queue(update: CustomerUpdate, database_url: str) -> None:
    """The router learns `update` (a VIP) on its own database; the customer's next complaint then
    routes with a higher priority and a shorter SLA than a standard customer's, under the shipped rules."""
    router = await create_pool(database_url, "router", max_size=2)
    try:
        await migrate(router, "router", "heed_router")
        cases = PostgresCases(router, IdentityHashes())
        await learn_customers(batch(update, topic=topics.CRM_CUSTOMERS), store=cases, publisher=FakePublisher(),
                              clock=SystemClock())
        known = (await cases.customers(["weibo:wb-zhang"]))["weibo:wb-zhang"]
    finally:
        await router.close()
    table = parse_rules(shipped_rules_path().read_text(), "routing-rules.yaml")
    complaint = mention("空调还是坏的", channel=Channel.WEIBO, author=Author(platform_id="wb-zhang", name="张先生"))
    c = classification(Category.COMPLAINT, language="zh", script="Hans", sentiment=-0.6)
    vip, standard = route(table, complaint, c, known.tier), route(table, complaint, c, CustomerTier.STANDARD)
    assert known.tier is CustomerTier.VIP
    assert vip.priority > standard.priority and vip.sla < standard.sla


async def test_every_interaction_reaches_hubspot_once_and_a_vip_set_there_jumps_the_queue(
        pool, crm, hubspot, database_url):
    customer, store = await seeded(pool)
    clock = SystemClock()
    for _ in range(3):  # the sync runs again and again: still one contact, one note per interaction
        result = await push_round(crm, store, clock)
        assert result.errors == []
    contact_id, props = hubspot.stand_in.contact_of(customer)
    assert props["firstname"] == "张先生"
    notes = hubspot.stand_in.notes_on(contact_id)
    assert len(notes) == 2 and any("空调" in (n.get("hs_note_body") or "") for n in notes)
    assert len(hubspot.stand_in.objects["notes"]) == 2

    # a sales rep marks the customer VIP in HubSpot; HubSpot calls crm-sync's webhook
    event = hubspot.stand_in.set_property(contact_id, "heed_tier", "vip")
    delivery = hubspot.stand_in.signed_webhook(HOOK, [event], SECRET)
    writes_before = sum(hubspot.stand_in.property_writes.values())
    result = await take_hubspot_webhook(
        delivery.body, method="POST", uri=HOOK, timestamp=delivery.headers["X-HubSpot-Request-Timestamp"],
        signature=delivery.headers["X-HubSpot-Signature-v3"], client_secret=SECRET, crm=crm,
        properties=dict(crm.properties), store=store, clock=SystemClock())
    assert result.fields_changed == 1
    publisher = FakePublisher()
    await announce_customers(records=PostgresCustomerRecords(pool), publisher=publisher)
    update = publisher.events(topics.CRM_CUSTOMERS, CustomerUpdate)[-1]
    assert update.tier is CustomerTier.VIP and update.identities == ["weibo:wb-zhang"]

    # nothing bounces: the next rounds push no write of any property back to HubSpot
    for _ in range(2):
        await push_round(crm, store, clock)
    assert sum(hubspot.stand_in.property_writes.values()) == writes_before
    assert hubspot.stand_in.property_writes["contacts.heed_tier"] == 0

    # the router learns the tier and the customer's next complaint gets a VIP's priority and SLA
    await assert_the_next_complaint_jumps_the_queue(update, database_url)


async def test_a_forged_or_stale_webhook_changes_nothing(pool, crm, hubspot):
    customer, store = await seeded(pool)
    await push_round(crm, store, SystemClock())
    contact_id, _ = hubspot.stand_in.contact_of(customer)
    event = hubspot.stand_in.set_property(contact_id, "heed_tier", "vip")
    delivery = hubspot.stand_in.signed_webhook(HOOK, [event], "someone-elses-secret")
    with pytest.raises(WebhookRefused):
        await take_hubspot_webhook(
            delivery.body, method="POST", uri=HOOK, timestamp=delivery.headers["X-HubSpot-Request-Timestamp"],
            signature=delivery.headers["X-HubSpot-Signature-v3"], client_secret=SECRET, crm=crm,
            properties=dict(crm.properties), store=store, clock=SystemClock())
    assert await pool.fetchval("SELECT tier FROM customers WHERE customer_id = $1", customer) == "standard"


async def test_reconcile_repairs_drift_both_ways(pool, crm, hubspot):
    customer, store = await seeded(pool)
    await push_round(crm, store, SystemClock())
    contact_id, _ = hubspot.stand_in.contact_of(customer)
    # the webhook was lost while the rep set VIP, and someone overwrote the name Heed owns
    hubspot.stand_in.set_property(contact_id, "heed_tier", "vip")
    hubspot.stand_in.set_property(contact_id, "firstname", "wrong name")
    result = await reconcile(crm, store, SystemClock())
    assert result.fields_changed == 1 and result.contacts_pushed == 1
    assert await pool.fetchval("SELECT tier FROM customers WHERE customer_id = $1", customer) == "vip"
    assert hubspot.stand_in.contact_of(customer)[1]["firstname"] == "张先生"
    again = await reconcile(crm, store, SystemClock())
    assert (again.fields_changed, again.contacts_pushed) == (0, 0)  # nothing left to repair


async def test_a_contact_hubspot_refuses_in_a_batch_holds_back_no_other(pool, crm, hubspot):
    customer, store = await seeded(pool)
    refused = await with_a_mistyped_email(pool, store, "li-at-example.com")
    # HubSpot refuses the whole batch for the one bad email; each contact then goes alone
    result = await push_round(crm, store, SystemClock())
    [error] = result.errors
    assert "1 contacts" in error and "li-at-example.com" not in error
    contact_id, _ = hubspot.stand_in.contact_of(customer)
    assert len(hubspot.stand_in.notes_on(contact_id)) == 2
    assert not [c for c in hubspot.stand_in.objects["contacts"].values() if c.get("heed_customer_id") == str(refused)]
    assert (await push_round(crm, store, SystemClock())).errors == []  # it waits its hour


async def test_what_hubspot_refused_is_listed_with_its_reason_and_counted(pool, crm, hubspot, heed):
    _, store = await seeded(pool)
    refused = await with_a_mistyped_email(pool, store, "li-at-example.com")
    await push_round(crm, store, SystemClock())

    [waiting] = await store.refused()
    assert (waiting.system, waiting.kind, waiting.item_id, waiting.attempts) == ("hubspot", "contact", refused, 1)
    assert "HTTP 400" in waiting.reason and "li-at-example.com" not in waiting.reason
    assert await store.refused_counts() == {("hubspot", "contact"): 1}
    code, out = await heed("crm", "refused", "--json")
    assert code == 0 and [(i["crm"], i["kind"], i["id"]) for i in json.loads(out)] == [
        ("hubspot", "contact", str(refused))]
    assert "li-at-example.com" not in out


async def test_the_webhook_endpoint_is_served_by_crm_sync():
    # an unconfigured deployment answers 404 rather than accepting unsigned changes
    service = CrmSyncService(CrmSyncSettings(kafka_bootstrap="127.0.0.1:9", database_url="postgresql://unused"))
    transport = httpx.ASGITransport(app=Starlette(routes=service.routes()))
    async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
        assert (await client.post("/crm/hubspot/webhook", content=b"[]")).status_code == 404


# ---- Salesforce: polled, so the test moves the clock Salesforce and crm-sync share ----


@pytest.fixture
def sf_clock(salesforce: ServedSalesforce) -> SteppedClock:
    # a minute ahead of the database's clock, never behind it: the outbox's due times are the database's
    clock = SteppedClock(datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1))
    salesforce.stand_in.clock = clock.now
    return clock


@pytest.fixture
async def sf_crm(salesforce: ServedSalesforce, sf_clock: SteppedClock) -> AsyncIterator[SalesforceCrm]:
    client = SalesforceCrm(salesforce.url, SALESFORCE_TOKEN, timeout_s=2.0, backoff_s=0.01, clock=sf_clock)
    try:
        yield client
    finally:
        await client.aclose()


def contact_writes(org: SalesforceStandIn) -> int:
    """Contact upsert requests received, one by one or as a collection."""
    return org.requests["PATCH Contact upsert"] + org.requests["PATCH Contact collection upsert"]


async def test_every_interaction_reaches_salesforce_once_and_a_vip_set_there_jumps_the_queue(
        pool, sf_crm, sf_clock, salesforce, database_url):
    org = salesforce.stand_in
    customer, store = await seeded(pool)
    sf_clock.at(0, 10)
    for _ in range(3):  # the sync runs again and again: still one contact, one Task per interaction
        result = await push_round(sf_crm, store, sf_clock)
        assert result.errors == []
    contact = org.contact_of(customer)
    assert contact is not None and contact["LastName"] == "张先生"
    contact_id = contact["Id"]
    tasks = org.tasks_on(contact_id)
    assert len(tasks) == 2 and any("空调" in t["Description"] for t in tasks)
    assert {t["Status"] for t in tasks} == {"Completed"}
    assert (org.writes["tasks created"], org.writes["tasks updated"], len(org.tasks)) == (2, 0, 2)
    assert (org.writes["contacts created"], org.writes["contacts updated"], len(org.contacts)) == (1, 0, 1)

    # a sales rep sets the tier to VIP on the contact's page; the next poll, once that minute is over, takes it
    sf_clock.at(1, 20)
    org.set_field(contact_id, "Heed_Tier__c", "VIP")
    sf_clock.at(2, 5)
    pulled = await pull_round(sf_crm, store, sf_clock)
    assert pulled.errors == [] and pulled.fields_changed == 1
    assert await pool.fetchval("SELECT tier FROM customers WHERE customer_id = $1", customer) == "vip"
    publisher = FakePublisher()
    await announce_customers(records=PostgresCustomerRecords(pool), publisher=publisher)
    update = publisher.events(topics.CRM_CUSTOMERS, CustomerUpdate)[-1]
    assert update.tier is CustomerTier.VIP and update.identities == ["weibo:wb-zhang"]

    # nothing bounces: the next rounds write nothing to the contact, and the polls find nothing new
    patches, writes = contact_writes(org), org.writes_to[contact_id]
    for minute in (3, 4):
        sf_clock.at(minute, 5)
        pushed = await push_round(sf_crm, store, sf_clock)
        again = await pull_round(sf_crm, store, sf_clock)
        assert pushed.errors == again.errors == [] and (pushed.contacts_pushed, pushed.interactions_pushed) == (0, 0)
        assert (again.changes_taken, again.fields_changed) == (0, 0)
    assert (contact_writes(org), org.writes_to[contact_id]) == (patches, writes) == (1, 1)
    assert org.writes["Contact.Heed_Tier__c"] == 0 and org.contacts[contact_id]["Heed_Tier__c"] == "VIP"
    assert org.writes["tasks created"] == 2 and org.requests["GET Contact updated"] == 3

    await assert_the_next_complaint_jumps_the_queue(update, database_url)


async def test_reconcile_repairs_drift_with_salesforce(pool, sf_crm, sf_clock, salesforce):
    org = salesforce.stand_in
    customer, store = await seeded(pool)
    await push_round(sf_crm, store, sf_clock)
    contact = org.contact_of(customer)
    assert contact is not None
    # no poll saw the rep set VIP (crm-sync was down longer than `updated` looks back), and someone
    # overwrote the name Heed owns
    org.set_field(contact["Id"], "Heed_Tier__c", "VIP")
    org.set_field(contact["Id"], "LastName", "wrong name")
    result = await reconcile(sf_crm, store, sf_clock)
    assert result.errors == [] and (result.fields_changed, result.contacts_pushed) == (1, 1)
    assert await pool.fetchval("SELECT tier FROM customers WHERE customer_id = $1", customer) == "vip"
    assert org.contacts[contact["Id"]]["LastName"] == "张先生"
    assert org.writes["Contact.Heed_Tier__c"] == 0  # the tier is Salesforce's: never written there
    again = await reconcile(sf_crm, store, sf_clock)
    assert (again.fields_changed, again.contacts_pushed) == (0, 0)  # nothing left to repair
    assert org.requests["GET query"] == 2 and contact_writes(org) == 2


async def test_a_contact_salesforce_refuses_holds_back_no_other_and_is_tried_again_an_hour_later(
        pool, sf_crm, sf_clock, salesforce):
    org = salesforce.stand_in
    customer, store = await seeded(pool)
    refused = await with_a_mistyped_email(pool, store, "li@@example.com")
    sf_clock.at(0, 10)
    first = await push_round(sf_crm, store, sf_clock)
    [error] = first.errors
    assert "INVALID_EMAIL_ADDRESS" in error and "li@@example.com" not in error
    saved = org.contact_of(customer)
    assert saved is not None and org.contact_of(refused) is None
    assert len(org.tasks_on(saved["Id"])) == 2  # the other customer's interactions still reach Salesforce

    # not sent again every round, and polling goes on meanwhile
    patches = contact_writes(org)
    sf_clock.at(2, 5)
    again, pulled = await push_round(sf_crm, store, sf_clock), await pull_round(sf_crm, store, sf_clock)
    assert again.errors == pulled.errors == [] and contact_writes(org) == patches
    assert org.requests["GET Contact updated"] == 1

    sf_clock.at(70)  # the hour is over: tried again (and refused again, until someone corrects the email)
    later = await push_round(sf_crm, store, sf_clock)
    assert len(later.errors) == 1 and contact_writes(org) == patches + 1
