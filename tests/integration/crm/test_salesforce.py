"""The Salesforce adapter against its loopback stand-in: contacts and Tasks once however often
they are pushed, a rep's change polled back, reconciliation paging, and the org's limits."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from heed_crm_sync.adapters.crm.salesforce import SalesforceCrm, SalesforceFields
from heed_crm_sync.ports import ContactPush, CrmRejected, CrmUnavailable, ExternalCrm, InteractionPush, PartlyRejected
from tests.integration.crm.conftest import SALESFORCE_TOKEN as TOKEN
from tests.integration.crm.conftest import ServedSalesforce, SteppedClock
from tests.standins.salesforce import SalesforceStandIn

FRESH = "00Dstandin!session-token-two"
ATTEMPTS = 3


@pytest.fixture
def clock() -> SteppedClock:
    # an hour ago, on the hour: `at(2, 20)` is 20 seconds into that hour's third minute
    return SteppedClock(datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1))


@pytest.fixture
def org(salesforce: ServedSalesforce, clock: SteppedClock) -> SalesforceStandIn:
    salesforce.stand_in.clock = clock.now
    return salesforce.stand_in


@pytest.fixture
async def crm(salesforce: ServedSalesforce, org: SalesforceStandIn,
              clock: SteppedClock) -> AsyncIterator[SalesforceCrm]:
    adapter = SalesforceCrm(salesforce.url, TOKEN, timeout_s=1.0, attempts=ATTEMPTS, backoff_s=0.01, clock=clock)
    yield adapter
    await adapter.aclose()


def interaction(contact_id: str, customer_id: uuid.UUID, subject: str = "X mention") -> InteractionPush:
    return InteractionPush(interaction_id=uuid.uuid4(), customer_id=customer_id, external_contact_id=contact_id,
                           kind="mention", channel="x", occurred_at=datetime(2024, 5, 8, 21, 20, tzinfo=UTC),
                           subject=subject, body="My parcel is late.")


async def test_a_customer_pushed_twice_is_one_contact(crm: SalesforceCrm, org: SalesforceStandIn) -> None:
    port: ExternalCrm = crm
    customer = uuid.uuid4()
    push = ContactPush(customer, {"email": "ana@example.com", "display_name": "Ana Ruiz"})

    first = await port.push_contacts([push])
    again = await port.push_contacts([push])

    assert first == again == {customer: org.contact_of(customer)["Id"]}  # type: ignore[index]
    assert (org.writes["contacts created"], org.writes["contacts updated"], len(org.contacts)) == (1, 1, 1)
    contact = org.contact_of(customer)
    assert contact is not None and (contact["Email"], contact["LastName"]) == ("ana@example.com", "Ana Ruiz")


async def test_a_batch_goes_as_one_collection_and_stays_one_contact_each(
        crm: SalesforceCrm, org: SalesforceStandIn) -> None:
    pushes = [ContactPush(uuid.uuid4(), {"email": f"c{n}@example.com", "tier": "gold"}) for n in range(3)]

    first = await crm.push_contacts(pushes)
    again = await crm.push_contacts(pushes)

    assert first == again and set(first) == {p.customer_id for p in pushes}
    assert org.requests["PATCH Contact collection upsert"] == 2
    assert (org.writes["contacts created"], org.writes["contacts updated"], len(org.contacts)) == (3, 3, 3)
    assert {c["Heed_Tier__c"] for c in org.contacts.values()} == {"gold"}


async def test_a_nameless_customer_gets_the_placeholder_and_reads_back_without_a_name(
        crm: SalesforceCrm, org: SalesforceStandIn) -> None:
    customer = uuid.uuid4()
    ids = await crm.push_contacts([ContactPush(customer, {"phone": "+4915112345678"})])
    org.set_field(ids[customer], "LastName", "Weber")  # a rep learns the name

    await crm.push_contacts([ContactPush(customer, {"phone": "+4915100000000"}, external_id=ids[customer])])

    contact = org.contact_of(customer)
    assert contact is not None and (contact["LastName"], contact["Phone"]) == ("Weber", "+4915100000000")
    assert org.writes["Contact.LastName"] == 1  # only the create sent the placeholder
    org.set_field(ids[customer], "LastName", "(social customer)")
    [read] = await crm.contacts([ids[customer]])
    assert read.customer_id == customer and read.fields["display_name"] is None


async def test_an_update_answered_204_still_returns_the_contact_id(crm: SalesforceCrm, org: SalesforceStandIn) -> None:
    customer = uuid.uuid4()
    created = await crm.push_contacts([ContactPush(customer, {"email": "old@example.com"})])
    org.update_status = 204

    updated = await crm.push_contacts([ContactPush(customer, {"email": "new@example.com"})])

    assert updated == created and org.requests["GET Contact by external id"] == 1
    assert len(org.contacts) == 1


async def test_the_same_interaction_twice_is_one_task_on_the_contact(
        crm: SalesforceCrm, org: SalesforceStandIn) -> None:
    customer = uuid.uuid4()
    contact_id = (await crm.push_contacts([ContactPush(customer, {"display_name": "Ana"})]))[customer]
    one = interaction(contact_id, customer)
    batch = [interaction(contact_id, customer, "Reply sent on X"), interaction(contact_id, customer, "Case resolved")]

    await crm.push_interactions([one])
    await crm.push_interactions([one])  # after a crash, say
    await crm.push_interactions(batch)
    await crm.push_interactions(batch)

    tasks = org.tasks_on(contact_id)
    assert len(tasks) == 3 and org.writes["tasks created"] == 3 and org.writes["tasks updated"] == 3
    [task] = [t for t in tasks if t["Heed_Interaction_Id__c"] == str(one.interaction_id)]
    assert (task["Subject"], task["Status"], task["ActivityDate"], task["Description"]) == (
        "X mention", "Completed", "2024-05-08", "My parcel is late.")


async def test_a_reps_change_is_polled_once_its_minute_is_over(
        crm: SalesforceCrm, org: SalesforceStandIn, clock: SteppedClock) -> None:
    customer = uuid.uuid4()
    clock.at(0, 30)
    contact_id = (await crm.push_contacts([ContactPush(customer, {"display_name": "Ana"})]))[customer]
    clock.at(1, 10)
    changes, since = await crm.changed_contacts(clock.now() - timedelta(minutes=5))
    assert [c.external_id for c in changes] == [contact_id] and since == clock.now().replace(second=0)

    clock.at(2, 20)
    org.set_field(contact_id, "Heed_Tier__c", "platinum")
    clock.at(2, 40)
    before, since = await crm.changed_contacts(since)  # the minute of the change is not over
    clock.at(3, 5)
    after, since = await crm.changed_contacts(since)

    assert before == []
    [change] = after
    assert (change.external_id, change.customer_id, change.fields["tier"]) == (contact_id, customer, "platinum")
    assert change.changed_at == clock.now().replace(minute=2, second=20)
    clock.at(3, 50)
    assert await crm.changed_contacts(since) == ([], since)  # same minute: not even asked
    assert org.requests["GET Contact updated"] == 3


async def test_linked_contacts_follow_next_records_url_over_every_page(
        crm: SalesforceCrm, org: SalesforceStandIn) -> None:
    org.page_size = 2
    customers = [uuid.uuid4() for _ in range(5)]
    await crm.push_contacts([ContactPush(c, {"display_name": f"C{n}"}) for n, c in enumerate(customers)])
    org.add_contact(LastName="Not from Heed")

    pages = [page async for page in crm.linked_contacts()]

    assert [len(p) for p in pages] == [2, 2, 1]
    assert {c.customer_id for p in pages for c in p} == set(customers)
    assert (org.requests["GET query"], org.requests["GET query more"]) == (1, 2)


async def test_503_until_attempts_run_out_is_unavailable_and_changes_nothing(
        crm: SalesforceCrm, org: SalesforceStandIn) -> None:
    org.fail(requests=ATTEMPTS, status=503)

    with pytest.raises(CrmUnavailable):
        await crm.push_contacts([ContactPush(uuid.uuid4(), {"email": "a@example.com"})])

    assert org.requests["PATCH Contact upsert"] == ATTEMPTS and org.contacts == {}
    org.fail(requests=ATTEMPTS - 1, status=500)
    await crm.push_contacts([ContactPush(uuid.uuid4(), {"email": "a@example.com"})])
    assert len(org.contacts) == 1


async def test_near_the_daily_limit_the_adapter_holds_back_without_calling(
        crm: SalesforceCrm, org: SalesforceStandIn) -> None:
    org.daily_limit, org.api_used = 100, 89
    await crm.push_contacts([ContactPush(uuid.uuid4(), {"email": "a@example.com"})])  # the 90th call
    calls = org.api_calls()

    with pytest.raises(CrmUnavailable) as held:
        await crm.push_contacts([ContactPush(uuid.uuid4(), {"email": "b@example.com"})])

    assert org.api_calls() == calls and len(org.contacts) == 1
    assert crm.api_usage == (90, 100) and held.value.retry_after_s > 60


async def test_request_limit_exceeded_is_unavailable_for_long(crm: SalesforceCrm, org: SalesforceStandIn) -> None:
    org.daily_limit = org.api_used = 50

    with pytest.raises(CrmUnavailable) as spent:
        await crm.push_interactions([interaction("003000000000000001", uuid.uuid4())])
    with pytest.raises(CrmUnavailable):
        await crm.changed_contacts(datetime.now(UTC) - timedelta(hours=3))

    assert spent.value.retry_after_s >= 3600 and "REQUEST_LIMIT_EXCEEDED" in str(spent.value)
    assert org.api_calls() == 1


async def test_a_400_is_rejected_with_salesforces_code_and_neither_token_nor_values(
        salesforce: ServedSalesforce, org: SalesforceStandIn) -> None:
    fields = SalesforceFields(contact={**SalesforceFields().contact, "tier": "No_Such_Tier__c"})
    crm = SalesforceCrm(salesforce.url, TOKEN, fields=fields, attempts=ATTEMPTS, backoff_s=0.01)
    try:
        with pytest.raises(CrmRejected) as bad_field:
            await crm.push_contacts([ContactPush(uuid.uuid4(), {"tier": "gold"})])
        with pytest.raises(CrmRejected) as bad_email:
            await crm.push_contacts([ContactPush(uuid.uuid4(), {"email": "ana.ruiz@@example"})])
    finally:
        await crm.aclose()

    assert "INVALID_FIELD" in str(bad_field.value) and "No_Such_Tier__c" in str(bad_field.value)
    assert "INVALID_EMAIL_ADDRESS" in str(bad_email.value) and "ana.ruiz@@example" not in str(bad_email.value)
    assert TOKEN not in str(bad_field.value) + str(bad_email.value)
    assert org.requests["PATCH Contact upsert"] == 2 and org.contacts == {}  # no retry of a 400


async def test_a_batch_with_one_bad_record_saves_the_others_and_names_the_bad_one(
        crm: SalesforceCrm, org: SalesforceStandIn) -> None:
    good, bad = uuid.uuid4(), uuid.uuid4()

    with pytest.raises(PartlyRejected) as partly:
        await crm.push_contacts([ContactPush(good, {"email": "ok@example.com"}),
                                 ContactPush(bad, {"email": "not-an-address"})])

    assert partly.value.accepted == {good: org.contact_of(good)["Id"]}  # type: ignore[index]
    assert partly.value.refused == {bad: "INVALID_EMAIL_ADDRESS"} and org.contact_of(bad) is None
    assert "not-an-address" not in str(partly.value)


async def test_an_expired_session_is_refreshed_once_then_the_call_succeeds(
        salesforce: ServedSalesforce, org: SalesforceStandIn) -> None:
    refreshes = 0

    async def refresh() -> str:
        nonlocal refreshes
        refreshes += 1
        org.grant(FRESH, "integration-user")
        return FRESH

    crm = SalesforceCrm(salesforce.url, TOKEN, refresh_token=refresh, attempts=ATTEMPTS, backoff_s=0.01)
    stale = SalesforceCrm(salesforce.url, TOKEN, attempts=ATTEMPTS, backoff_s=0.01)
    org.expire_token(TOKEN)
    try:
        ids = await crm.push_contacts([ContactPush(uuid.uuid4(), {"email": "a@example.com"})])
        await crm.push_contacts([ContactPush(uuid.uuid4(), {"email": "b@example.com"})])
        with pytest.raises(CrmUnavailable) as expired:
            await stale.push_contacts([ContactPush(uuid.uuid4(), {"email": "c@example.com"})])
    finally:
        await crm.aclose()
        await stale.aclose()

    assert refreshes == 1 and len(ids) == 1 and len(org.contacts) == 2
    assert org.requests["PATCH Contact upsert"] == 4  # refused, retried, the next one, the stale one
    assert "INVALID_SESSION_ID" in str(expired.value) and TOKEN not in str(expired.value)
