"""HubSpotCrm against the HubSpot stand-in over loopback HTTP: what HubSpot ends up holding, and how
many requests it took, after pushes repeated, rate limits, outages and refusals."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from heed_crm_sync.adapters.crm.hubspot import DEFAULT_PROPERTIES, HubSpotCrm
from heed_crm_sync.domain.hubspot_webhooks import parse_contact_changes, verify_signature_v3
from heed_crm_sync.ports import ContactPush, CrmRejected, CrmUnavailable, ExternalContact, InteractionPush
from tests.integration.crm.conftest import ServedHubSpot
from tests.standins.hubspot import TOKEN

UPSERT_CONTACTS = "POST /crm/v3/objects/:type/batch/upsert"
SEARCH = "POST /crm/v3/objects/:type/search"
ASSOCIATE = "POST /crm/v4/associations/:from/:to/batch/create"

Connect = Callable[..., HubSpotCrm]


@pytest.fixture
async def connect(hubspot: ServedHubSpot) -> AsyncIterator[Connect]:
    opened: list[HubSpotCrm] = []

    def make(**overrides: Any) -> HubSpotCrm:
        settings: dict[str, Any] = dict(token=TOKEN, timeout_s=2.0, attempts=3, backoff_s=0.01, max_wait_s=2.0)
        settings.update(overrides)
        crm = HubSpotCrm(hubspot.url, **settings)
        opened.append(crm)
        return crm

    yield make
    for crm in opened:
        await crm.aclose()


def customer(n: int, **fields: str | None) -> ContactPush:
    return ContactPush(uuid.UUID(int=n + 1), {"email": f"customer{n}@example.com", "display_name": f"Customer {n}",
                                              "tier": "silver", **fields})


async def test_pushing_a_customer_twice_leaves_one_contact_with_the_newer_values(
        hubspot: ServedHubSpot, connect: Connect) -> None:
    crm = connect()
    first = await crm.push_contacts([customer(1)])
    again = await crm.push_contacts([customer(1, tier="gold", phone="+44 20 7946 0001")])

    assert first == again and set(first) == {uuid.UUID(int=2)}
    contact_id, props = hubspot.stand_in.contact_of(uuid.UUID(int=2)) or ("", {})
    assert first[uuid.UUID(int=2)] == contact_id
    assert len(hubspot.stand_in.objects["contacts"]) == 1
    assert (props["email"], props["firstname"], props["heed_tier"], props["phone"]) == (
        "customer1@example.com", "Customer 1", "gold", "+44 20 7946 0001")
    assert hubspot.stand_in.counts["contacts created"] == 1 and hubspot.stand_in.counts["contacts updated"] == 1
    assert hubspot.stand_in.property_changes["contacts.email"] == 1  # the same email again changed nothing


async def test_clearing_a_field_clears_the_property(hubspot: ServedHubSpot, connect: Connect) -> None:
    crm = connect()
    await crm.push_contacts([customer(1, phone="+44 20 7946 0001")])
    await crm.push_contacts([ContactPush(uuid.UUID(int=2), {"phone": None})])
    _, props = hubspot.stand_in.contact_of(uuid.UUID(int=2)) or ("", {})
    assert props["phone"] is None and props["email"] == "customer1@example.com"


async def test_an_interaction_pushed_twice_is_one_note_on_the_contact(hubspot: ServedHubSpot,
                                                                     connect: Connect) -> None:
    crm = connect()
    ids = await crm.push_contacts([customer(1)])
    contact_id = ids[uuid.UUID(int=2)]
    item = InteractionPush(interaction_id=uuid.uuid4(), customer_id=uuid.UUID(int=2), external_contact_id=contact_id,
                           kind="mention", channel="x", occurred_at=datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
                           subject="X mention", body="My parcel has not arrived.")
    await crm.push_interactions([item])
    await crm.push_interactions([item, item])  # after a crash, and twice in one batch

    notes = hubspot.stand_in.notes_on(contact_id)
    assert len(notes) == 1 and len(hubspot.stand_in.objects["notes"]) == 1
    assert notes[0]["hs_note_body"] == "X mention\n\nMy parcel has not arrived."
    assert notes[0]["hs_timestamp"] == "2025-03-01T09:30:00.000Z"
    assert notes[0]["heed_interaction_id"] == str(item.interaction_id)
    counts = hubspot.stand_in.counts
    assert (counts["notes created"], counts["notes updated"], counts["associations created"]) == (1, 1, 1)
    assert hubspot.stand_in.associations == {(next(iter(hubspot.stand_in.objects["notes"])), contact_id, 202)}


async def test_a_rate_limit_is_waited_out_as_the_headers_say(hubspot: ServedHubSpot, connect: Connect) -> None:
    hubspot.stand_in.limit(max_per_window=2, window_ms=300)
    crm = connect()
    started = time.monotonic()
    ids = await crm.push_contacts([customer(n) for n in range(250)])  # three batches of at most 100

    assert len(ids) == 250 and len(hubspot.stand_in.objects["contacts"]) == 250
    limited = hubspot.stand_in.counts["rate limited"]
    assert limited >= 1
    assert hubspot.stand_in.requests[UPSERT_CONTACTS] == 3 + limited
    assert time.monotonic() - started >= 0.2  # it waited for the window instead of hammering


async def test_a_rate_limit_outlasting_the_attempts_is_unavailable_with_the_wait(
        hubspot: ServedHubSpot, connect: Connect) -> None:
    hubspot.stand_in.limit(max_per_window=1, window_ms=10_000)
    crm = connect()
    await crm.push_contacts([customer(1)])
    with pytest.raises(CrmUnavailable) as unavailable:
        await crm.push_contacts([customer(2)])  # the 10 s window is longer than max_wait_s
    assert unavailable.value.retry_after_s == 10.0
    assert hubspot.stand_in.contact_of(uuid.UUID(int=3)) is None


async def test_a_5xx_is_retried(hubspot: ServedHubSpot, connect: Connect) -> None:
    hubspot.stand_in.fail(2, status=503)
    ids = await connect().push_contacts([customer(1)])
    assert len(ids) == 1 and hubspot.stand_in.requests[UPSERT_CONTACTS] == 3


async def test_5xx_until_attempts_run_out_is_unavailable_and_changes_nothing(
        hubspot: ServedHubSpot, connect: Connect) -> None:
    hubspot.stand_in.fail(3, status=502)
    with pytest.raises(CrmUnavailable, match="502"):
        await connect().push_contacts([customer(1)])
    assert hubspot.stand_in.requests[UPSERT_CONTACTS] == 3
    assert hubspot.stand_in.objects["contacts"] == {}


async def test_a_refused_value_is_rejected_without_the_value_or_the_token(hubspot: ServedHubSpot,
                                                                         connect: Connect) -> None:
    with pytest.raises(CrmRejected) as rejected:
        await connect().push_contacts([customer(1, email="not-an-email")])
    reason = str(rejected.value)
    assert "HTTP 400" in reason and "VALIDATION_ERROR" in reason and "about email" in reason
    assert "not-an-email" not in reason and TOKEN not in reason
    assert hubspot.stand_in.requests[UPSERT_CONTACTS] == 1  # not retried


async def test_a_property_missing_in_the_portal_is_named(hubspot: ServedHubSpot, connect: Connect) -> None:
    crm = connect(properties={**DEFAULT_PROPERTIES, "tier": "heed_loyalty_tier"})
    with pytest.raises(CrmRejected, match="heed_loyalty_tier"):
        await crm.push_contacts([customer(1)])


async def test_a_wrong_token_is_rejected_without_repeating_it(hubspot: ServedHubSpot, connect: Connect) -> None:
    with pytest.raises(CrmRejected) as rejected:
        await connect(token="pat-na1-revoked-token").contacts(["1001"])
    assert "HTTP 401" in str(rejected.value) and "pat-na1-revoked-token" not in str(rejected.value)
    assert hubspot.stand_in.counts["unauthorized"] == 1


async def test_linked_contacts_pages_through_every_linked_contact(hubspot: ServedHubSpot, connect: Connect) -> None:
    crm = connect()
    await crm.push_contacts([customer(n) for n in range(250)])
    for n in range(5):
        hubspot.stand_in.add_contact({"email": f"lead{n}@example.com"})  # never linked to a Heed customer

    pages = [page async for page in crm.linked_contacts()]

    assert [len(page) for page in pages] == [100, 100, 50]
    assert hubspot.stand_in.requests[SEARCH] == 3
    seen = [contact for page in pages for contact in page]
    assert {c.customer_id for c in seen} == {uuid.UUID(int=n + 1) for n in range(250)}
    assert all(c.fields["email"] == f"customer{c.customer_id.int - 1}@example.com" for c in seen if c.customer_id)


async def test_changed_contacts_returns_only_what_changed_since(hubspot: ServedHubSpot, connect: Connect) -> None:
    crm = connect()
    ids = await crm.push_contacts([customer(n) for n in range(3)])
    # the stand-in stamps writes strictly increasing, so a burst runs ahead of the wall clock
    since = max(datetime.now(UTC), hubspot.stand_in.last_stamp()) + timedelta(milliseconds=5)
    await asyncio.sleep((since - datetime.now(UTC)).total_seconds() + 0.005)  # the rep's edit comes later
    hubspot.stand_in.set_property(ids[uuid.UUID(int=2)], "heed_tier", "gold")  # a rep, in HubSpot's UI

    changes, newest = await crm.changed_contacts(since)

    assert [(c.external_id, c.customer_id, c.fields["tier"]) for c in changes] == [
        (ids[uuid.UUID(int=2)], uuid.UUID(int=2), "gold")]
    assert newest == changes[0].changed_at > since
    later, unchanged = await crm.changed_contacts(newest + timedelta(milliseconds=1))
    assert later == [] and unchanged == newest + timedelta(milliseconds=1)


async def test_contacts_reads_current_values_and_leaves_out_unknown_ids(hubspot: ServedHubSpot,
                                                                       connect: Connect) -> None:
    crm = connect()
    ids = await crm.push_contacts([customer(1, owner="5150")])
    found = await crm.contacts([ids[uuid.UUID(int=2)], "999999"])
    assert found == [ExternalContact(ids[uuid.UUID(int=2)], uuid.UUID(int=2), {
        "email": "customer1@example.com", "display_name": "Customer 1", "tier": "silver", "owner": "5150",
        "phone": None, "preferences": None, "marketing_consent": None}, found[0].changed_at)]


async def test_a_rep_change_arrives_as_a_signed_webhook_crm_sync_accepts(hubspot: ServedHubSpot,
                                                                        connect: Connect) -> None:
    ids = await connect().push_contacts([customer(1)])
    event = hubspot.stand_in.set_property(ids[uuid.UUID(int=2)], "heed_marketing_consent", "false")
    url = "http://127.0.0.1:8004/hubspot/webhooks"
    delivery = hubspot.stand_in.signed_webhook(url, [event], "client-secret")

    verify_signature_v3("client-secret", "POST", url, delivery.body,
                        delivery.headers["X-HubSpot-Request-Timestamp"], delivery.headers["X-HubSpot-Signature-v3"],
                        datetime.now(UTC))
    changes = parse_contact_changes(delivery.body, DEFAULT_PROPERTIES)
    assert [(c.external_id, c.fields) for c in changes] == [(ids[uuid.UUID(int=2)], {"marketing_consent": "false"})]


async def test_a_customer_whose_email_hubspot_already_holds_is_linked_to_that_contact_not_refused(
        hubspot: ServedHubSpot, connect: Connect) -> None:
    # marketing created the contact from a form; the customer then verified the same email in Heed
    existing = hubspot.stand_in.add_contact({"email": "customer1@example.com", "firstname": "Form"})
    crm = connect()

    ids = await crm.push_contacts([customer(1)])

    assert ids == {uuid.UUID(int=2): existing}
    assert len(hubspot.stand_in.objects["contacts"]) == 1  # one shared record, no second contact
    contact_id, props = hubspot.stand_in.contact_of(uuid.UUID(int=2)) or ("", {})
    assert contact_id == existing and props["heed_tier"] == "silver"
    assert hubspot.stand_in.requests[UPSERT_CONTACTS] == 2  # the refused create, then the upsert by email
    assert await crm.push_contacts([customer(1, tier="gold")]) == ids  # from now on by the Heed id, at once
    assert hubspot.stand_in.requests[UPSERT_CONTACTS] == 3


async def test_a_contact_already_linked_to_another_customer_stays_refused(hubspot: ServedHubSpot,
                                                                        connect: Connect) -> None:
    crm = connect()
    first = await crm.push_contacts([customer(1)])
    with pytest.raises(CrmRejected) as refused:
        await crm.push_contacts([ContactPush(uuid.UUID(int=99), {"email": "customer1@example.com"})])
    assert "HTTP 409" in str(refused.value) and "customer1@example.com" not in str(refused.value)
    linked = hubspot.stand_in.contact_of(uuid.UUID(int=2))
    assert linked is not None and linked[0] == first[uuid.UUID(int=2)]  # still the first customer's
    assert hubspot.stand_in.contact_of(uuid.UUID(int=99)) is None
