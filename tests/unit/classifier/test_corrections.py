"""The classifier keeps agents' corrections and forgets an erased customer's, with in-memory fakes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from heed.contracts import topics
from heed.contracts.events import (
    Category,
    Channel,
    ClassifierCorrection,
    ClassifierLabels,
    CorrectableField,
    CustomerUpdate,
    IssueType,
    Urgency,
)
from heed.identity_hashes import IdentityHashes
from heed_classifier.handlers import forget_customers, keep_corrections
from tests.unit.classifier.fakes import FakeCorrections
from tests.unit.factories import batch

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
HASHES = IdentityHashes([b"k" * 32])


def correction(text: str = "Do you have a corporate rate for 40 rooms in May?", *, mention: uuid.UUID | None = None,
               customer: str = "x:u1", minutes: int = 0, **corrected: object) -> ClassifierCorrection:
    return ClassifierCorrection(
        event_id=uuid.uuid4(), case_id=uuid.uuid4(), mention_id=mention or uuid.uuid4(), channel=Channel.X,
        native_id="p1", customer=customer, text=text, received_at=T0, model_version="rules-1+lin-5",
        original=ClassifierLabels(category=Category.QUESTION), corrected=ClassifierLabels.model_validate(corrected),
        actor="agent:li", corrected_at=T0 + timedelta(minutes=minutes))


def erased(*identities: str, at: datetime) -> CustomerUpdate:
    return CustomerUpdate(event_id=uuid.uuid4(), occurred_at=at, customer_id=uuid.uuid4(), identities=list(identities),
                          version=9, erased=True)


async def keep(store: FakeCorrections, *events: ClassifierCorrection) -> None:
    await keep_corrections(batch(*events, topic=topics.CLASSIFIER_CORRECTIONS), store=store, hashes=HASHES)


async def test_each_corrected_field_is_kept_with_the_text_and_the_latest_wins_whatever_the_order():
    store = FakeCorrections()
    m = uuid.uuid4()
    await keep(store, correction(mention=m, minutes=5, category=Category.SALES_LEAD, urgency=Urgency.HIGH))
    await keep(store, correction(mention=m, minutes=1, category=Category.COMPLAINT),  # older, arriving late
               correction(mention=m, minutes=7, issue_type=IssueType.BILLING))
    kept = {f: (r.value, r.original, r.text) for (_, f), r in store.rows.items()}
    assert kept == {
        CorrectableField.CATEGORY: ("sales_lead", "question", "Do you have a corporate rate for 40 rooms in May?"),
        CorrectableField.URGENCY: ("high", None, "Do you have a corporate rate for 40 rooms in May?"),
        CorrectableField.ISSUE_TYPE: ("billing", None, "Do you have a corporate rate for 40 rooms in May?")}


async def test_the_author_is_kept_only_as_a_keyed_hash():
    store = FakeCorrections()
    await keep(store, correction(customer="x:wb-7781", category=Category.PRAISE))
    [row] = store.rows.values()
    assert row.identity_hash == HASHES.identity("x:wb-7781") != IdentityHashes().identity("x:wb-7781")
    assert "wb-7781" not in repr(row)


async def test_an_erasure_deletes_the_customers_corrections_and_one_arriving_late_is_not_kept():
    store = FakeCorrections()
    await keep(store, correction(customer="x:gone", category=Category.SALES_LEAD),
               correction(customer="x:stays", category=Category.QUESTION))
    await forget_customers(batch(erased("x:gone", at=T0 + timedelta(hours=1)), topic=topics.CRM_ERASURES),
                           store=store, hashes=HASHES)
    assert [r.identity_hash for r in store.rows.values()] == [HASHES.identity("x:stays")]
    await keep(store, correction(customer="x:gone", category=Category.COMPLAINT))  # published before the erasure
    assert len(store.rows) == 1
    # a mention the person wrote after the erasure (they came back) is theirs to correct again
    later = correction(customer="x:gone", category=Category.COMPLAINT).model_copy(
        update={"received_at": T0 + timedelta(hours=2)})
    await keep(store, later)
    assert len(store.rows) == 2


async def test_an_announcement_that_erases_nothing_changes_nothing():
    store = FakeCorrections()
    await keep(store, correction(category=Category.SALES_LEAD))
    update = erased("x:u1", at=T0 + timedelta(hours=1)).model_copy(update={"erased": False})
    await forget_customers(batch(update, topic=topics.CRM_ERASURES), store=store, hashes=HASHES)
    assert len(store.rows) == 1 and store.erased == {}
