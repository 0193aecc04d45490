"""Ingest's handlers on in-memory fakes (no broker, no database), and its subscriptions once through
faststream's TestKafkaBroker."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from aiokafka.errors import KafkaTimeoutError
from faststream.kafka import TestKafkaBroker

from heed.contracts import topics
from heed.contracts.events import Channel, DeadLetter, Mention, RawMention
from heed.runtime.messaging import Rejected
from heed_ingest.app import IngestService
from heed_ingest.bootstrap import Overrides
from heed_ingest.domain.erasure import IdentityHashes
from heed_ingest.handlers import Counts, archive_dead_letters, normalise
from heed_ingest.ports import InstagramResolver
from heed_ingest.settings import IngestSettings
from tests.unit.factories import batch
from tests.unit.ingest import payloads as p
from tests.unit.ingest.fakes import (
    FakeArchive,
    FakeErasures,
    FakeInstagram,
    FakeLedger,
    FakeNonces,
    FakePublisher,
)

IG_ACCOUNT = "17841400000"
IG_MENTION = json.dumps({"object": "instagram", "entry": [{"id": IG_ACCOUNT, "time": 1763600000, "changes": [{
    "field": "mentions", "value": {"comment_id": "179001", "media_id": "178009"}}]}]}).encode()
IG_COMMENT: dict[str, object] = {"mentioned_comment": {"id": "179001", "text": "@lumo.official the lamp flickers",
                                    "timestamp": "2026-11-20T08:15:00+0000", "username": "nina.k",
                                    "media": {"id": "178009"}}}


def raw(body: bytes, source: str = "webhook:x", content_type: str = "application/json") -> RawMention:
    return RawMention(event_id=uuid.uuid4(), source=source, body=body, content_type=content_type,
                      origin=f"{source}:req-1")


def generic(native_id: str, in_reply_to: str | None = None) -> RawMention:
    line = {"channel": "weibo", "native_id": native_id, "author": {"id": "u1"}, "text": "还是没到",
            "created_at": "2026-11-20T08:15:00+08:00", "in_reply_to": in_reply_to}
    return raw(json.dumps(line).encode(), source="api")


class Ingest:
    """The normaliser bound to fakes, as bootstrap binds it to PostgreSQL and the broker."""

    def __init__(self, instagram: InstagramResolver | None = None, publish_failures: int = 0) -> None:
        self.publisher = FakePublisher(failures=publish_failures)
        self.ledger = FakeLedger(self.publisher)
        self.instagram = instagram
        self.counts = Counts()

    async def normalise(self, *raws: RawMention) -> list[Rejected]:
        """The raws as one batch, as the Stage hands it over; returns what the handler rejected."""
        return await normalise(batch(*raws, topic=topics.MENTIONS_RAW), ledger=self.ledger,
                               publisher=self.publisher, instagram=self.instagram, counts=self.counts,
                               hashes=IdentityHashes())

    def mentions(self) -> list[Mention]:
        return self.publisher.mentions()


async def test_a_webhook_body_becomes_one_mention_on_heed_mentions_with_its_thread_root():
    ingest = Ingest()
    assert await ingest.normalise(raw(p.x_tweet_create("1990000000000000555"))) == []
    (out,) = ingest.publisher.published
    mention = out.event
    assert out.topic == topics.MENTIONS and isinstance(mention, Mention)
    assert (mention.channel, mention.native_id) == (Channel.X, "1990000000000000555")
    assert mention.thread_root == "1989999999999999999"  # the parent: ingest has not seen its root
    assert out.key == f"x:{mention.thread_root}"  # the conversation stays in one partition, in order
    assert mention.text == "@Lumo my order is late and nobody answers the phone"
    assert ingest.ledger.published() == {"1990000000000000555"}


async def test_a_reply_joins_the_root_of_a_parent_seen_before_or_earlier_in_the_batch():
    ingest = Ingest()
    await ingest.normalise(generic("w0"))
    await ingest.normalise(generic("w1", in_reply_to="w0"), generic("w2", in_reply_to="w1"))
    assert {m.native_id: m.thread_root for m in ingest.mentions()} == {"w0": "w0", "w1": "w0", "w2": "w0"}


async def test_a_duplicate_is_published_once():
    ingest = Ingest()
    tweet_id = "1990000000000000555"
    by_webhook = raw(p.x_tweet_create(tweet_id))
    by_poll = raw(json.dumps(p.x_search_page([tweet_id])).encode(), source="poll:x")
    await ingest.normalise(by_webhook, by_poll)  # webhook and poll in one batch
    await ingest.normalise(by_webhook)  # the platform's retry, later
    assert [m.native_id for m in ingest.mentions()] == [tweet_id]
    assert ingest.ledger.arrivals[("x", tweet_id)].seen == 2  # one arrival per batch: counted, not published


async def test_an_unparseable_body_comes_back_rejected_with_its_original_bytes_and_source():
    ingest = Ingest()
    broken = b'{"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed", "value": 7}]}]}'
    bad = raw(broken, source="webhook:meta")
    good = raw(p.x_tweet_create())
    (rejected,) = await ingest.normalise(bad, good)
    assert rejected.item.event == bad and rejected.original == broken and "feed value" in str(rejected.error)
    assert rejected.details == {"raw_source": "webhook:meta", "raw_content_type": "application/json"}
    assert rejected.origin == "webhook:meta:req-1"
    assert [m.native_id for m in ingest.mentions()] == ["1990000000000000001"]  # the rest of the batch goes on


async def test_engagement_is_counted_not_published():
    ingest = Ingest()
    await ingest.normalise(raw(p.meta_page_mixed(), source="webhook:meta"))
    assert [m.native_id for m in ingest.mentions()] == [f"{p.PAGE_ID}_777"] and ingest.counts.engagement == 1


async def test_an_instagram_mention_without_a_graph_token_is_rejected_naming_heed_dlq_replay():
    ingest = Ingest(instagram=None)
    notification = raw(IG_MENTION, source="webhook:meta")
    (rejected,) = await ingest.normalise(notification)
    assert "HEED_META_ACCESS_TOKEN" in str(rejected.error) and "heed dlq replay" in str(rejected.error)
    assert rejected.original == IG_MENTION and ingest.publisher.published == []


async def test_an_instagram_mention_with_a_graph_token_goes_round_again_with_its_text():
    ingest = Ingest(instagram=FakeInstagram({"179001": IG_COMMENT}))
    await ingest.normalise(raw(IG_MENTION, source="webhook:meta"))
    (lookup,) = ingest.publisher.on(topics.MENTIONS_RAW)
    assert isinstance(lookup.event, RawMention) and lookup.event.source == "poll:instagram"
    await ingest.normalise(lookup.event)
    (mention,) = ingest.mentions()
    assert (mention.channel, mention.native_id, mention.account) == (Channel.INSTAGRAM, "179001", IG_ACCOUNT)
    assert mention.text == "@lumo.official the lamp flickers" and mention.thread_root == "178009"


async def test_a_publish_failure_leaves_nothing_marked_published_and_the_redelivery_publishes_once():
    ingest = Ingest(publish_failures=1)
    body = raw(p.x_tweet_create())
    with pytest.raises(KafkaTimeoutError):
        await ingest.normalise(body)
    assert ingest.ledger.published() == set() and ingest.mentions() == []
    await ingest.normalise(body)  # the Stage's retry, or the broker's redelivery
    assert [m.native_id for m in ingest.mentions()] == ["1990000000000000001"]
    assert ingest.ledger.published() == {"1990000000000000001"}


def dead_letter(error: str) -> DeadLetter:
    return DeadLetter(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), source_topic=topics.MENTIONS_RAW,
                      original=b"{}", error_type="UnparseableBody", error=error, service="ingest")


async def test_archive_stores_each_dead_letter_once():
    archive = FakeArchive()
    letters = batch(dead_letter("no created_at"), dead_letter("not JSON"), topic=topics.DLQ)
    await archive_dead_letters(letters, archive=archive, hashes=IdentityHashes())
    await archive_dead_letters(letters, archive=archive, hashes=IdentityHashes())  # the same batch redelivered
    assert sorted(d.error for d in archive.letters.values()) == ["no created_at", "not JSON"]


async def test_the_service_subscriptions_normalise_raw_mentions_and_archive_what_they_reject():
    publisher, archive = FakePublisher(), FakeArchive()
    ledger = FakeLedger(publisher)
    service = IngestService(
        IngestSettings(kafka_bootstrap="127.0.0.1:1", database_url="postgresql://unused/ingest"),
        Overrides(ledger=ledger, archive=archive, publisher=publisher, instagram=FakeInstagram(),
                  nonces=FakeNonces(), erasures=FakeErasures(ledger, archive)))
    service.register()
    broken = b'{"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed", "value": 7}]}]}'
    async with TestKafkaBroker(service.broker) as broker:
        await broker.publish(raw(p.x_tweet_create("1990000000000000555")).model_dump_json().encode(),
                             topic=topics.MENTIONS_RAW)
        await broker.publish(raw(broken, source="webhook:meta").model_dump_json().encode(),
                             topic=topics.MENTIONS_RAW)
    (mention,) = publisher.mentions()
    assert (mention.native_id, mention.thread_root) == ("1990000000000000555", "1989999999999999999")
    # the Stage dead-lettered the unparseable body to heed.dlq, whose subscription archived it
    (letter,) = archive.letters.values()
    assert letter.original == broken and letter.raw_source == "webhook:meta" and letter.service == "ingest"
