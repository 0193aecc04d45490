"""`heed dlq` on the real broker and PostgreSQL: dead letters are archived by ingest, listed without
their bodies, replayed to their source topic once (their original bytes and key), and purged past
retention, by the command and by ingest on its own."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from heed.contracts import topics
from heed.contracts.events import DeadLetter, RawMention
from heed.runtime.messaging import Outgoing
from heed_ingest.domain.erasure import IdentityHashes, attribute
from heed_ops.dlq import REPLAY_HEADER, archive
from tests.harness import client_publisher, count, wait_for
from tests.integration.ingest.test_pollers import ingest_service, local_server
from tests.unit.factories import mention

pytestmark = pytest.mark.integration

PERSONAL = "alice@example.com"


async def records_on(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on `topic`, from the beginning."""
    consumer: AIOKafkaConsumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(topics.BY_NAME[topic].partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[ConsumerRecord[bytes, bytes]] = []
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            for records in (await consumer.getmany(*partitions, timeout_ms=1000)).values():
                found.extend(records)
        return found
    finally:
        await consumer.stop()


def replays_of(records: list[ConsumerRecord[bytes, bytes]], letter_id: str) -> list[ConsumerRecord[bytes, bytes]]:
    return [r for r in records if (REPLAY_HEADER, letter_id.encode()) in list(r.headers or ())]


async def archived(database_url: str, n: int) -> None:
    async def done() -> bool:
        return await count(database_url, "SELECT count(*) FROM ingest.dead_letters") == n

    await wait_for(done, timeout=60)


async def replayed_at(database_url: str, letter_id: str) -> datetime | None:
    conn = await asyncpg.connect(database_url)
    try:
        value: datetime | None = await conn.fetchval(
            "SELECT replayed_at FROM ingest.dead_letters WHERE event_id = $1", uuid.UUID(letter_id))
        return value
    finally:
        await conn.close()


async def test_an_unparseable_raw_mention_is_archived_and_listed_without_its_body(
        heed, database_url, fresh_broker):
    body = json.dumps({"channel": "weibo", "native_id": "wb-1", "author": {"id": "u-1", "name": "Alice"},
                       "text": f"write to me at {PERSONAL}"}).encode()  # no created_at: unparseable
    async with ingest_service(database_url, fresh_broker) as ingest:
        await ingest.publish_raw([RawMention(event_id=uuid.uuid4(), source="api", body=body,
                                             origin="api:req-9")], ["api:req-9"])
        await archived(database_url, 1)

    code, listing = await heed("dlq", "list")
    assert code == 0
    assert "heed.mentions.raw" in listing and "ingest" in listing and "UnparseableBody" in listing
    assert PERSONAL not in listing
    code, out = await heed("dlq", "list", "--json")
    (entry,) = json.loads(out)
    assert PERSONAL not in out and "created_at" in entry["error"]
    assert (entry["raw_source"], entry["key"], entry["replayed_at"]) == ("api", "api:req-9", None)
    assert (await heed("dlq", "list", "--topic", topics.MENTIONS))[1].strip() == "no dead letters"
    assert entry["id"] in (await heed("dlq", "list", "--service", "ingest", "--since", "1h"))[1]

    code, shown = await heed("dlq", "show", entry["id"])
    assert code == 0 and PERSONAL not in shown and "--body" in shown
    code, shown = await heed("dlq", "show", entry["id"], "--body")
    assert code == 0 and PERSONAL in shown
    code, out = await heed("dlq", "show", entry["id"], "--body", "--json")
    assert base64.b64decode(json.loads(out)["original_base64"]) == body
    assert (await heed("dlq", "show", str(uuid.uuid4())))[0] == 1


async def test_replay_publishes_the_original_bytes_and_key_back_once(heed, database_url, fresh_broker):
    failed = mention("the classifier was down for a deploy")
    original = failed.model_dump_json().encode()
    letter = DeadLetter(event_id=uuid.uuid4(), source_topic=topics.MENTIONS, partition=3, offset=17,
                        key=failed.conversation_key, original=original, error_type="RuntimeError",
                        error="the model is not loaded", service="classifier", attempts=3)
    letter_id = str(letter.event_id)
    async with ingest_service(database_url, fresh_broker), client_publisher(fresh_broker) as publisher:
        await publisher.publish([Outgoing(topics.DLQ, letter, letter.source_topic)])
        await archived(database_url, 1)

    code, out = await heed("dlq", "replay", "--all", "--dry-run")
    assert code == 0 and "would replay 1" in out
    assert await records_on(fresh_broker, topics.MENTIONS) == [] and await replayed_at(database_url, letter_id) is None

    code, out = await heed("dlq", "replay", letter_id)
    assert code == 0 and "replayed 1" in out
    (record,) = await records_on(fresh_broker, topics.MENTIONS)
    assert record.value == original and record.key == failed.conversation_key.encode()
    first = await replayed_at(database_url, letter_id)
    assert first is not None

    # already replayed: nothing is published again, by id or with --all, unless forced
    code, out = await heed("dlq", "replay", letter_id)
    assert code == 0 and "replayed 0" in out and "already replayed" in out
    assert (await heed("dlq", "replay", "--all"))[1].startswith("replayed 0")
    assert len(await records_on(fresh_broker, topics.MENTIONS)) == 1
    assert await replayed_at(database_url, letter_id) == first

    code, out = await heed("dlq", "replay", "--force", letter_id)
    assert code == 0 and "replayed 1" in out
    assert len(replays_of(await records_on(fresh_broker, topics.MENTIONS), letter_id)) == 2

    code, out = await heed("dlq", "replay", str(uuid.uuid4()))
    assert code == 1 and "not found" in out


INSTAGRAM_MENTION = json.dumps({"object": "instagram", "entry": [{"id": "17841400000", "time": 1763600000, "changes": [{
    "field": "mentions", "value": {"comment_id": "17900000000000001", "media_id": "17800000000000009"}}]}]}).encode()


async def test_an_instagram_mention_dead_lettered_for_want_of_a_token_is_replayed_once_it_is_set(
        heed, database_url, fresh_broker):
    async with ingest_service(database_url, fresh_broker) as ingest:  # no HEED_META_ACCESS_TOKEN
        await ingest.publish_raw([RawMention(event_id=uuid.uuid4(), source="webhook:meta", body=INSTAGRAM_MENTION,
                                             origin="webhook:meta:req-1")], ["meta:req-1"])
        await archived(database_url, 1)
    (entry,) = json.loads((await heed("dlq", "list", "--json"))[1])
    assert "heed dlq replay <id>" in entry["error"] and entry["raw_source"] == "webhook:meta"

    calls: list[str] = []

    async def graph(request: Request) -> JSONResponse:
        calls.append(request.path_params["ig_user"])
        return JSONResponse({"id": "17841400000", "mentioned_comment": {
            "id": "17900000000000001", "text": "@lumo.official my blender arrived broken",
            "timestamp": "2026-11-20T08:15:00+0000", "username": "nina.k", "media": {"id": "17800000000000009"}}})

    async with (local_server([Route("/v21.0/{ig_user}", graph)]) as base,
                ingest_service(database_url, fresh_broker, meta_access_token="graph-token",
                               meta_graph_base=f"{base}/v21.0")):
        code, out = await heed("dlq", "replay", entry["id"])
        assert code == 0 and "replayed 1" in out

        async def resolved() -> bool:
            return await count(database_url, "SELECT count(*) FROM ingest.mentions WHERE channel = 'instagram'"
                                             " AND native_id = '17900000000000001' AND published") == 1

        await wait_for(resolved, timeout=60)
        assert await replayed_at(database_url, entry["id"]) is not None
        code, out = await heed("dlq", "replay", entry["id"])
        assert code == 0 and "replayed 0" in out

    (replayed,) = replays_of(await records_on(fresh_broker, topics.MENTIONS_RAW), entry["id"])
    raw = RawMention.model_validate_json(replayed.value)
    assert replayed.key == b"meta:req-1" and raw.source == "webhook:meta" and raw.body == INSTAGRAM_MENTION
    assert calls == ["17841400000"]
    assert await count(database_url, "SELECT count(*) FROM ingest.dead_letters") == 1  # not dead-lettered again


def dead_letter_failed(ago: timedelta) -> DeadLetter:
    return DeadLetter(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC) - ago, source_topic=topics.MENTIONS_RAW,
                      original=PERSONAL.encode(), error_type="UnparseableBody", error="no created_at",
                      service="ingest")


async def remaining(database_url: str) -> set[uuid.UUID]:
    async with archive(database_url) as letters:
        return {d.event_id for d in await letters.select()}


async def test_purge_deletes_only_dead_letters_past_retention(heed, monkeypatch, database_url):
    old, older, fresh = (dead_letter_failed(timedelta(days=d)) for d in (10, 40, 0))
    async with archive(database_url) as letters:
        await letters.archive([attribute(d, IdentityHashes()) for d in (old, older, fresh)])

    code, out = await heed("dlq", "purge", "--older-than", "20")
    assert code == 0 and "purged 1 " in out
    assert await remaining(database_url) == {old.event_id, fresh.event_id}
    code, out = await heed("dlq", "purge", "--retention")  # 30 days by default
    assert code == 0 and "purged 0 " in out
    monkeypatch.setenv("HEED_DLQ_RETENTION_DAYS", "5")
    code, out = await heed("dlq", "purge", "--retention")
    assert code == 0 and "purged 1 " in out
    assert await remaining(database_url) == {fresh.event_id}


async def test_ingest_purges_dead_letters_past_retention_on_its_own(heed, database_url, fresh_broker):
    expired, kept = dead_letter_failed(timedelta(days=31)), dead_letter_failed(timedelta(days=29))
    async with archive(database_url) as letters:
        await letters.archive([attribute(d, IdentityHashes()) for d in (expired, kept)])

    async with ingest_service(database_url, fresh_broker):
        async def purged() -> bool:
            return await remaining(database_url) == {kept.event_id}

        await wait_for(purged, timeout=30)
