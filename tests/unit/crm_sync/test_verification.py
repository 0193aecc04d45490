"""Secure verification in crm-sync, without a database: the data key ring, the page's pure decisions,
and `submit_verification` over in-memory fakes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from heed.contracts import topics
from heed.contracts.events import CustomerVerified
from heed.secure_link import LinkClaims
from heed_crm_sync.data_keys import DataKeys, SealError
from heed_crm_sync.handlers import VerificationPolicy, announce_verifications, submit_verification
from heed_crm_sync.verification import (
    LinkUse,
    Outcome,
    Submission,
    SubmissionInvalid,
    choose_language,
    details_context,
    form_token,
    form_token_valid,
    identity_matches,
    parse_submission,
)
from tests.unit.crm_sync.fakes import FakePublisher, FakeVerifications
from tests.unit.fakes import FixedClock

DATA_KEY, OLD_DATA_KEY = b"d" * 32, b"e" * 32
LINK_KEY = b"l" * 32
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
CUSTOMER, CASE = uuid.uuid4(), uuid.uuid4()
SECRET = "Card ending 4242, deliver to 12 Harbour Road"


# --- the data key ring ---------------------------------------------------------------------------

def test_a_sealed_value_opens_only_in_its_own_place_and_never_holds_the_plaintext():
    keys = DataKeys([DATA_KEY])
    sealed = keys.seal(SECRET.encode(), b"customer-a")
    assert SECRET.encode() not in sealed.ciphertext and len(sealed.nonce) == 12
    assert keys.open(sealed, b"customer-a") == SECRET.encode()
    with pytest.raises(SealError, match="not in its place"):
        keys.open(sealed, b"customer-b")
    altered = type(sealed)(bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:], sealed.nonce, sealed.key_id)
    with pytest.raises(SealError, match="altered"):
        keys.open(altered, b"customer-a")


def test_after_a_rotation_the_new_key_seals_and_values_sealed_before_still_open():
    before = DataKeys([OLD_DATA_KEY])
    old = before.seal(b"+852 9123 4567", b"ctx")
    after = DataKeys([DATA_KEY, OLD_DATA_KEY])
    assert after.open(old, b"ctx") == b"+852 9123 4567"
    assert after.seal(b"x", b"ctx").key_id == after.current_key_id != before.current_key_id
    # a hash stored before the rotation is still found: it is among the lookup hashes under every key
    assert before.lookup_hashes("order", "A1")[0] in after.lookup_hashes("order", "A1")
    with pytest.raises(SealError, match="no longer configured"):
        DataKeys([DATA_KEY]).open(old, b"ctx")


def test_a_data_key_must_be_32_bytes():
    with pytest.raises(ValueError, match="AES-256 needs 32"):
        DataKeys([b"short"])


# --- the page's pure decisions -------------------------------------------------------------------

@pytest.mark.parametrize(("link", "accept", "expected"), [
    ("zh-Hant", "en-US,en;q=0.9", "zh-Hant"),  # the link knows the customer's script
    (None, "zh-TW,zh;q=0.9,en;q=0.8", "zh-Hant"),
    (None, "zh-HK", "zh-Hant"),
    (None, "zh-Hant-HK", "zh-Hant"),
    (None, "zh-CN,zh;q=0.9", "zh-Hans"),
    (None, "zh", "zh-Hans"),
    (None, "fr-FR, th;q=0.8, en;q=0.5", "th"),
    (None, "en;q=0.2, th;q=0.9", "th"),
    (None, "th;q=0, en", "en"),
    (None, "de-DE", "en"),
    (None, None, "en"),
])
def test_the_page_speaks_the_links_language_else_the_browsers_most_preferred(link, accept, expected):
    assert choose_language(link, accept) == expected


def test_a_form_is_read_with_full_width_digits_and_an_order_number_however_it_was_typed():
    form = parse_submission(b"order_number=ab-123+45&last4=%EF%BC%94%EF%BC%95%EF%BC%96%EF%BC%97&details="
                            b"%E5%9C%B0%E5%9D%80&form_token=t")
    assert (form.order_number, form.last4, form.details, form.form_token) == ("AB12345", "4567", "地址", "t")
    assert "AB12345" not in repr(form)


@pytest.mark.parametrize(("body", "field"), [
    (b"last4=1234&details=&form_token=t", "order_number"),
    (b"order_number=A1&last4=123&details=&form_token=t", "last4"),
    (b"order_number=A1&last4=12345&details=&form_token=t", "last4"),
    (b"order_number=A1&last4=12a4&details=&form_token=t", "last4"),
    (b"order_number=A1&order_number=B2&last4=1234&details=&form_token=t", "order_number"),
    (b"order_number=A1&last4=1234&details=" + b"x" * 4001 + b"&form_token=t", "details"),
    (b"order_number=A1&last4=1234&details=%00&form_token=t", "details"),
    (b"order_number=A1&last4=1234&details=%FF&form_token=t", "could not be read"),
    (b"x=" + b"y" * 20000, "too long"),
])
def test_an_incomplete_or_oversized_form_is_refused_naming_the_field_not_the_value(body, field):
    with pytest.raises(SubmissionInvalid, match=field) as refused:
        parse_submission(body)
    assert "A1" not in str(refused.value)


def test_identity_needs_the_customers_order_and_the_last_4_digits_of_a_phone_on_record():
    phones = ["+852 9123 4567", "(02) 2345-6789"]
    assert identity_matches(True, phones, "4567") and identity_matches(True, phones, "6789")
    assert not identity_matches(False, phones, "4567")  # someone else's order
    assert not identity_matches(True, phones, "1234")
    assert not identity_matches(True, [], "4567")


def test_a_form_token_is_for_one_link_and_a_limited_time():
    link = uuid.uuid4()
    token = form_token([LINK_KEY], link, NOW)
    assert form_token_valid([LINK_KEY], token, link, NOW + timedelta(minutes=29), ttl_s=1800)
    assert form_token(([LINK_KEY]), link, NOW) != token  # a fresh one on every page
    assert not form_token_valid([LINK_KEY], token, uuid.uuid4(), NOW, ttl_s=1800)
    assert not form_token_valid([LINK_KEY], token, link, NOW + timedelta(minutes=31), ttl_s=1800)
    assert not form_token_valid([b"k" * 32], token, link, NOW, ttl_s=1800)
    assert not form_token_valid([LINK_KEY], token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], link,
                                NOW, ttl_s=1800)
    assert not form_token_valid([LINK_KEY], "", link, NOW, ttl_s=1800)
    assert not form_token_valid([LINK_KEY], "%%%", link, NOW, ttl_s=1800)


# --- submit_verification over fakes ---------------------------------------------------------------

class Desk:
    """One customer with an order and a phone on record, a link for their case, and the fakes."""

    def __init__(self, publisher_failures: int = 0) -> None:
        self.keys = DataKeys([DATA_KEY])
        self.policy = VerificationPolicy(data_keys=self.keys, link_keys=[LINK_KEY], max_attempts=5)
        self.store = FakeVerifications()
        self.store.add_phone(self.keys, CUSTOMER, "+886 912-345-678")
        self.store.add_order(self.keys, CUSTOMER, "TW-2026-0042")
        self.publisher = FakePublisher(failures=publisher_failures)
        self.clock = FixedClock(NOW)
        self.claims = LinkClaims(CASE, CUSTOMER, uuid.uuid4(), NOW + timedelta(hours=1), "zh-Hant")

    def form(self, order: str = "tw 2026 0042", last4: str = "5678", details: str = SECRET) -> Submission:
        return Submission(order, last4, details, form_token([LINK_KEY], self.claims.link_id, self.clock.now()))

    async def submit(self, form: Submission) -> tuple[Outcome, int | None]:
        decision = await submit_verification(self.claims, form, verifications=self.store, publisher=self.publisher,
                                             clock=self.clock, policy=self.policy)
        return decision.outcome, decision.attempts_left


async def test_the_right_order_and_digits_verify_the_customer_keep_the_details_sealed_and_announce_ids_only():
    desk = Desk()
    assert await desk.submit(desk.form(order="TW-2026-0042")) == (Outcome.VERIFIED, None)
    customer, case, sealed = desk.store.details[desk.claims.link_id]
    assert (customer, case) == (CUSTOMER, CASE)
    assert desk.keys.open(sealed, details_context(desk.claims)).decode() == SECRET
    assert desk.store.customers_verified == {CUSTOMER: NOW}
    [event] = desk.publisher.events(topics.CRM_VERIFICATIONS, CustomerVerified)
    assert (event.customer_id, event.case_id, event.link_id, event.details_received) == (
        CUSTOMER, CASE, desk.claims.link_id, True)
    assert "4242" not in event.model_dump_json() and "Harbour" not in event.model_dump_json()
    assert desk.publisher.on(topics.CRM_VERIFICATIONS)[0].key == str(CASE)


async def test_a_reused_link_is_refused_and_nothing_more_is_kept_or_announced():
    desk = Desk()
    assert (await desk.submit(desk.form()))[0] is Outcome.VERIFIED
    assert await desk.submit(desk.form(details="a second secret")) == (Outcome.ALREADY_USED, None)
    assert len(desk.store.details) == 1 and len(desk.publisher.published) == 1


async def test_wrong_digits_count_an_attempt_and_the_fifth_spends_the_link():
    desk = Desk()
    left = [await desk.submit(desk.form(last4="0000")) for _ in range(4)]
    assert left == [(Outcome.WRONG_IDENTITY, 4), (Outcome.WRONG_IDENTITY, 3), (Outcome.WRONG_IDENTITY, 2),
                    (Outcome.WRONG_IDENTITY, 1)]
    assert await desk.submit(desk.form(order="TW-2026-9999")) == (Outcome.LOCKED, 0)
    assert desk.store.used == {desk.claims.link_id: LinkUse.LOCKED}
    # even the right answer no longer helps: the customer asks for a new link
    assert await desk.submit(desk.form()) == (Outcome.LOCKED, 0)
    assert desk.store.details == {} and desk.store.customers_verified == {} and desk.publisher.published == []


async def test_another_customers_order_is_a_wrong_attempt():
    desk = Desk()
    other = uuid.uuid4()
    desk.store.add_order(desk.keys, other, "TW-2026-7777")
    assert await desk.submit(desk.form(order="TW-2026-7777")) == (Outcome.WRONG_IDENTITY, 4)


async def test_a_stale_or_foreign_form_counts_nothing():
    desk = Desk()
    form = desk.form()
    desk.clock.time = NOW + timedelta(hours=2)
    assert await desk.submit(form) == (Outcome.STALE_FORM, None)
    foreign = Submission("TW-2026-0042", "0000", "", form_token([LINK_KEY], uuid.uuid4(), desk.clock.now()))
    assert await desk.submit(foreign) == (Outcome.STALE_FORM, None)
    assert desk.store.failures == {} and desk.store.used == {}


async def test_verifying_without_details_keeps_none_and_says_so():
    desk = Desk()
    assert (await desk.submit(desk.form(details="")))[0] is Outcome.VERIFIED
    assert desk.store.details == {}
    assert [e.details_received for e in desk.publisher.events(topics.CRM_VERIFICATIONS, CustomerVerified)] == [False]


async def test_a_broker_that_fails_after_the_commit_leaves_the_customer_verified_and_the_event_for_the_retry():
    desk = Desk(publisher_failures=1)
    assert (await desk.submit(desk.form()))[0] is Outcome.VERIFIED
    assert desk.store.used == {desk.claims.link_id: LinkUse.VERIFIED} and desk.publisher.published == []
    assert await announce_verifications(verifications=desk.store, publisher=desk.publisher) == 1
    assert await announce_verifications(verifications=desk.store, publisher=desk.publisher) == 0
    assert [e.link_id for e in desk.publisher.events(topics.CRM_VERIFICATIONS, CustomerVerified)] == [
        desk.claims.link_id]


async def test_the_retry_loop_leaves_a_fresh_verification_to_the_page_so_it_is_announced_once():
    desk = Desk(publisher_failures=1)
    assert (await desk.submit(desk.form()))[0] is Outcome.VERIFIED
    # the retry loop only takes leftovers verified before its cut-off: this one is still the page's
    cutoff = desk.clock.now() - timedelta(seconds=5)
    assert await announce_verifications(verifications=desk.store, publisher=desk.publisher,
                                        verified_before=cutoff) == 0
    assert await announce_verifications(verifications=desk.store, publisher=desk.publisher,
                                        link_id=uuid.uuid4()) == 0
    later = desk.clock.now() + timedelta(seconds=6)
    assert await announce_verifications(verifications=desk.store, publisher=desk.publisher,
                                        verified_before=later) == 1
    assert [e.link_id for e in desk.publisher.events(topics.CRM_VERIFICATIONS, CustomerVerified)] == [
        desk.claims.link_id]
