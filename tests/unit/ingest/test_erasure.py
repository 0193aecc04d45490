"""Erasure in ingest, on in-memory fakes: an erased customer's ledger rows and dead letters go, other
customers' stay, and a dead letter about them that arrives later is not kept."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from faststream.kafka import TestKafkaBroker
from pydantic import SecretStr

from heed.contracts import topics
from heed.contracts.events import (
    Author,
    CaseEvent,
    CaseEventKind,
    Channel,
    CustomerUpdate,
    DeadLetter,
    HandlingMode,
    RawMention,
    Reply,
    ReplyStatus,
    Visibility,
)
from heed.runtime.settings import KeyRingError
from heed_ingest.app import IngestService
from heed_ingest.bootstrap import Overrides
from heed_ingest.domain.erasure import (
    Identity,
    IdentityHashes,
    attribute,
    erasure_of,
    holds_platform_id,
    id_tokens,
    identities_named,
    identity_in_key,
)
from heed_ingest.handlers import Counts, archive_dead_letters, forget_erased_customers, normalise
from heed_ingest.ports import LedgerRow
from heed_ingest.settings import IngestSettings
from tests.unit.factories import batch, mention
from tests.unit.ingest import payloads as p
from tests.unit.ingest.fakes import FakeArchive, FakeErasures, FakeLedger, FakePublisher

ALICE_POSTS = "5566778899"  # payloads.WEIBO_USER: the author of a polled Weibo post
ALICE_WRITES = "2489518277"  # payloads.weibo_push's sender: a private message
BOB = "u1"  # the author of the generic API's lines below


def raw_mention(body: bytes, source: str) -> RawMention:
    return RawMention(event_id=uuid.uuid4(), source=source, body=body, origin=f"{source}:req-1")


def letter(original: bytes, topic: str = topics.MENTIONS_RAW, key: str | None = None,
           raw_source: str | None = "webhook:weibo") -> DeadLetter:
    return DeadLetter(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), source_topic=topic, original=original,
                      key=key, error_type="UnparseableBody", error="unexpected shape", service="ingest",
                      raw_source=raw_source if topic == topics.MENTIONS_RAW else None)


def reply_to(platform_id: str) -> bytes:
    return Reply(event_id=uuid.uuid4(), reply_id=uuid.uuid4(), mention_id=uuid.uuid4(), case_id=uuid.uuid4(),
                 channel=Channel.WEIBO, visibility=Visibility.PUBLIC, handling_mode=HandlingMode.ANSWER,
                 in_reply_to="4950000000000001", recipient_platform_id=platform_id, text="we are on it",
                 language="zh", template_id="t", status=ReplyStatus.FAILED,
                 received_at=datetime.now(UTC)).model_dump_json().encode()


def erased(*identities: str, erased: bool = True) -> CustomerUpdate:
    return CustomerUpdate(event_id=uuid.uuid4(), customer_id=uuid.uuid4(), identities=list(identities),
                          erased=erased, version=7)


class Ingest:
    """The normaliser, the archive and the erasure handler on one set of fakes, as bootstrap binds them."""

    def __init__(self, hashes: IdentityHashes | None = None) -> None:
        self.hashes = hashes or IdentityHashes()
        self.publisher = FakePublisher()
        self.ledger = FakeLedger(self.publisher)
        self.archive = FakeArchive()
        self.erasures = FakeErasures(self.ledger, self.archive)

    async def receive(self) -> None:
        """Alice's public Weibo post and private message, and Bob's post, through the normaliser."""
        bob = json.dumps({"channel": "weibo", "native_id": "w0", "author": {"id": BOB}, "text": "还是没到",
                          "created_at": "2026-11-20T08:15:00+08:00"}).encode()
        await normalise(batch(raw_mention(json.dumps(p.weibo_page(["4950000000000001"])).encode(), "poll:weibo"),
                              raw_mention(p.weibo_push(), "webhook:weibo"), raw_mention(bob, "api"),
                              topic=topics.MENTIONS_RAW),
                        ledger=self.ledger, publisher=self.publisher, instagram=None, counts=Counts(),
                        hashes=self.hashes)

    async def file(self, *letters: DeadLetter) -> None:
        await archive_dead_letters(batch(*letters, topic=topics.DLQ), archive=self.archive, hashes=self.hashes)

    async def announce(self, *updates: CustomerUpdate) -> None:
        await forget_erased_customers(batch(*updates, topic=topics.CRM_CUSTOMERS), erasures=self.erasures,
                                      hashes=self.hashes)

    def ledger_natives(self) -> set[str]:
        return {native for _, native in self.ledger.arrivals}


async def test_an_erasure_deletes_the_identities_ledger_rows_and_dead_letters_and_nothing_else():
    ingest = Ingest()
    await ingest.receive()
    # a DM recorded before authors were hashed: found by the identity its thread root spells
    ingest.ledger.seed(LedgerRow("weibo", "old-dm", uuid.uuid4(), f"dm:{ALICE_POSTS}", uuid.uuid4(),
                                 datetime.now(UTC)))
    natives = ingest.ledger_natives()
    assert len(natives) == 4 and {"4950000000000001", "w0", "old-dm"} < natives
    assert [n for n in natives if n.startswith(f"{ALICE_WRITES}:")]  # Weibo gave the DM no id: Heed made one
    alices_mention = letter(mention(author=Author(platform_id=ALICE_POSTS)).model_dump_json().encode(),
                            topic=topics.MENTIONS)
    alices_body = letter(json.dumps({"type": "bogus", "sender_id": int(ALICE_WRITES)}).encode())
    alices_dm_key = letter(b"not json", topic=topics.MENTIONS, key=f"weibo:dm:{ALICE_POSTS}")
    bobs_reply = letter(reply_to(BOB), topic=topics.REPLIES)
    # Alice's id inside a longer number is not Alice's
    an_order = letter(json.dumps({"type": "bogus", "order": f"91{ALICE_POSTS}"}).encode())
    await ingest.file(alices_mention, alices_body, alices_dm_key, bobs_reply, an_order)

    await ingest.announce(erased(f"weibo:{ALICE_POSTS}", f"weibo:{ALICE_WRITES}"))

    assert ingest.ledger_natives() == {"w0"}
    assert set(ingest.archive.letters) == {bobs_reply.event_id, an_order.event_id}
    ((subject, identities, report),) = ingest.erasures.audit.values()
    assert (identities, report.mentions, report.dead_letters) == (2, 3, 3)
    assert ALICE_POSTS.encode() not in subject and ALICE_WRITES.encode() not in subject


async def test_a_dead_letter_about_an_erased_identity_arriving_later_is_not_kept(caplog):
    ingest = Ingest()
    await ingest.announce(erased(f"weibo:{ALICE_POSTS}", f"weibo:{ALICE_WRITES}"))
    assert ingest.archive.erased  # hashes only
    assert not any(ALICE_POSTS.encode() in h or ALICE_WRITES.encode() in h
                   for k, (v, _) in ingest.archive.erased.items() for h in (k, v))

    typed = letter(reply_to(ALICE_POSTS), topic=topics.REPLIES)
    raw_body = letter(p.weibo_push(kind="bogus"))  # sent by ALICE_WRITES, unreadable
    bobs = letter(reply_to(BOB), topic=topics.REPLIES)
    bobs_raw = letter(json.dumps({"type": "bogus", "sender_id": 1234}).encode())
    with caplog.at_level(logging.INFO, logger="heed_ingest.handlers"):
        await ingest.file(typed, raw_body, bobs, bobs_raw)

    assert set(ingest.archive.letters) == {bobs.event_id, bobs_raw.event_id}
    (record,) = [r for r in caplog.records if "not archived" in r.getMessage()]
    assert getattr(record, "fields", None) == {"withheld": 2}


async def test_updates_that_are_not_erasures_change_nothing():
    ingest = Ingest()
    await ingest.receive()
    kept = letter(reply_to(ALICE_POSTS), topic=topics.REPLIES)
    await ingest.file(kept)
    rows = ingest.ledger_natives()

    await ingest.announce(erased(f"weibo:{ALICE_POSTS}", erased=False), erased("no-channel-here"))

    assert ingest.ledger_natives() == rows and set(ingest.archive.letters) == {kept.event_id}
    assert not ingest.erasures.audit and not ingest.archive.erased


async def test_a_redelivered_erasure_is_audited_once_with_its_first_counts(caplog):
    ingest = Ingest()
    await ingest.receive()
    update = erased(f"weibo:{ALICE_POSTS}", "not-an-identity")
    with caplog.at_level(logging.INFO, logger="heed_ingest.handlers"):
        await ingest.announce(update)
        await ingest.announce(update)
    ((_, identities, report),) = ingest.erasures.audit.values()
    assert (identities, report.mentions) == (1, 1)
    logged = [getattr(r, "fields", None) for r in caplog.records if r.getMessage() == "erased customer forgotten"]
    assert logged == [{"identities": 1, "unreadable_identities": 1, "mentions": 1, "dead_letters": 0},
                      {"identities": 1, "unreadable_identities": 1, "mentions": 0, "dead_letters": 0}]
    assert ALICE_POSTS not in caplog.text


async def test_rows_hashed_before_a_key_was_set_or_rotated_are_still_found():
    old, new = b"o" * 32, b"n" * 32
    before = Ingest(IdentityHashes())  # no key yet: the built-in one
    await before.receive()
    await before.file(letter(reply_to(ALICE_POSTS), topic=topics.REPLIES))
    keyed = Ingest(IdentityHashes([old]))
    keyed.ledger, keyed.archive, keyed.erasures = before.ledger, before.archive, before.erasures
    await keyed.file(letter(mention(author=Author(platform_id=ALICE_POSTS)).model_dump_json().encode(),
                            topic=topics.MENTIONS))
    assert len(keyed.archive.letters) == 2

    rotated = Ingest(IdentityHashes([new, old]))
    rotated.ledger, rotated.archive, rotated.erasures = before.ledger, before.archive, before.erasures
    await rotated.announce(erased(f"weibo:{ALICE_POSTS}"))
    assert not rotated.archive.letters and "4950000000000001" not in rotated.ledger_natives()

    # a replica in the middle of the rotation: the new key listed, not first yet
    rolling = Ingest(IdentityHashes([old, new]))
    rolling.ledger, rolling.archive, rolling.erasures = before.ledger, before.archive, before.erasures
    await rolling.file(letter(reply_to(ALICE_POSTS), topic=topics.REPLIES))
    assert not rolling.archive.letters


async def test_erased_identities_are_forgotten_after_retention_and_their_letters_kept_again():
    ingest = Ingest()
    await ingest.announce(erased(f"weibo:{ALICE_POSTS}"))
    assert await ingest.erasures.expire(timedelta(days=30)) == 0
    assert await ingest.erasures.expire(timedelta(0)) == 1
    later = letter(reply_to(ALICE_POSTS), topic=topics.REPLIES)
    await ingest.file(later)
    assert set(ingest.archive.letters) == {later.event_id}


async def test_the_service_forgets_an_erased_customer_announced_on_heed_crm_erasures():
    publisher = FakePublisher()
    ledger, archive = FakeLedger(publisher), FakeArchive()
    service = IngestService(
        IngestSettings(kafka_bootstrap="127.0.0.1:1", database_url="postgresql://unused/ingest"),
        Overrides(ledger=ledger, archive=archive, publisher=publisher, erasures=FakeErasures(ledger, archive)))
    service.register()
    alices, bobs = letter(reply_to(ALICE_POSTS), topic=topics.REPLIES), letter(reply_to(BOB), topic=topics.REPLIES)
    async with TestKafkaBroker(service.broker) as broker:
        for d in (alices, bobs):
            await broker.publish(d.model_dump_json().encode(), topic=topics.DLQ)
        await broker.publish(erased(f"weibo:{ALICE_POSTS}").model_dump_json().encode(), topic=topics.CRM_ERASURES)
    assert set(archive.letters) == {bobs.event_id}


def test_a_malformed_erasure_key_stops_the_service_without_quoting_it():
    short = base64.b64encode(b"too short").decode()
    with pytest.raises(KeyRingError, match="HEED_ERASURE_KEY: entry 1") as refused:
        IngestService(IngestSettings(kafka_bootstrap="127.0.0.1:1", erasure_key=SecretStr(short)))
    assert short not in str(refused.value)


# -- the pure decisions -----------------------------------------------------------------------------

def test_heeds_own_events_name_their_customers_and_other_bytes_do_not():
    alice = Identity("weibo", ALICE_POSTS)
    assert identities_named(topics.MENTIONS, mention(author=Author(platform_id=ALICE_POSTS))
                            .model_dump_json().encode()) == [alice]
    assert identities_named(topics.REPLIES, reply_to(ALICE_POSTS)) == [alice]
    assert identities_named(topics.CRM_CUSTOMERS, erased("weibo:1", "x:2", "junk").model_dump_json().encode()) \
        == [Identity("weibo", "1"), Identity("x", "2")]
    case_event = CaseEvent(event_id=uuid.uuid4(), case_id=uuid.uuid4(), kind=CaseEventKind.OPENED)
    assert identities_named(topics.CASE_EVENTS, case_event.model_dump_json().encode()) == []
    assert identities_named(topics.REPLIES, b"{not json") is None  # bytes only
    assert identities_named(topics.MENTIONS_RAW, p.weibo_push()) is None
    assert identity_in_key(f"weibo:dm:{ALICE_WRITES}") == Identity("weibo", ALICE_WRITES)
    assert identity_in_key("weibo:4950000000000001") is None and identity_in_key("nochannel:dm:1") is None


def test_a_platform_id_is_found_as_a_whole_token_only():
    body = p.weibo_push()
    assert holds_platform_id(body, ALICE_WRITES) and not holds_platform_id(body, ALICE_WRITES[1:])
    assert holds_platform_id(p.wechat_text(), "oUser123") and not holds_platform_id(p.wechat_text(), "oUser12")
    assert not holds_platform_id(b'{"order": "9125566778899"}', ALICE_POSTS)
    assert holds_platform_id(b'"author": "amy@example.com"', "amy@example.com")  # not an id alphabet: anywhere
    assert {b"dm", ALICE_WRITES.encode(), b"weibo"} <= id_tokens(f"weibo:dm:{ALICE_WRITES}".encode())


def test_an_erasure_names_each_identity_once_by_hash_and_counts_the_unreadable():
    hashes = IdentityHashes([b"k" * 32])
    update = erased(f"weibo:{ALICE_POSTS}", f"weibo:{ALICE_POSTS}", "junk", ":9")
    erasure = erasure_of(update, hashes)
    assert erasure is not None and erasure.unreadable == 2 and erasure.erasure_id == update.event_id
    (forgotten,) = erasure.identities
    assert forgotten.identity_hash == hashes.identity(Identity("weibo", ALICE_POSTS))
    assert forgotten.identity_hashes == (forgotten.identity_hash, IdentityHashes().identity(forgotten.identity))
    assert erasure_of(erased(f"weibo:{ALICE_POSTS}", erased=False), hashes) is None


def test_a_raw_body_is_screened_by_its_tokens_and_an_event_by_its_identities():
    hashes = IdentityHashes()
    raw = attribute(letter(p.weibo_push()), hashes)
    assert not raw.complete and not raw.identity_hashes
    assert hashes.platform_id(ALICE_WRITES.encode()) in raw.screen_platform_ids
    typed = attribute(letter(reply_to(ALICE_POSTS), topic=topics.REPLIES, key=f"weibo:dm:{ALICE_WRITES}"), hashes)
    assert typed.complete and not typed.screen_platform_ids
    assert set(typed.identity_hashes) == {hashes.identity(Identity("weibo", ALICE_POSTS)),
                                          hashes.identity(Identity("weibo", ALICE_WRITES))}


def test_an_erasure_key_left_empty_by_the_deploy_templates_means_the_built_in_key():
    assert not IngestSettings(erasure_key=SecretStr("")).identity_hashes().keyed
    key = base64.b64encode(b"k" * 32).decode()
    assert IngestSettings(erasure_key=SecretStr(key)).identity_hashes().keyed
