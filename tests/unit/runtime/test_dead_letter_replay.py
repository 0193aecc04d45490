"""What `heed dlq replay` puts back on the broker for a dead letter, and how `heed dlq list`
reads its filters and shows its rows: pure functions, no broker or database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from heed.contracts import topics
from heed.contracts.events import RawMention
from heed_ingest.adapters.dead_letters import ArchivedDeadLetter
from heed_ops.dlq import UnknownRawSource, format_list, format_record, parse_since, replay_record

FAILED = datetime(2026, 11, 20, 8, 15, tzinfo=UTC)
BODY = b'{"object": "instagram", "entry": [{"id": "178", "changes": []}]}'


def letter(**overrides: object) -> ArchivedDeadLetter:
    fields: dict[str, object] = dict(
        event_id=uuid.UUID("00000000-0000-4000-8000-000000000001"), failed_at=FAILED,
        source_topic=topics.MENTIONS_RAW, partition=2, offset=41, key="meta:abc", service="ingest",
        error_type="UnparseableBody", error="an Instagram @mention needs a Graph API call for its text",
        origin="webhook:meta:req-1", raw_source="webhook:meta", raw_content_type="application/json",
        replayed_at=None, size=len(BODY))
    fields.update(overrides)
    return ArchivedDeadLetter(**fields)  # type: ignore[arg-type]


def test_a_raw_body_goes_back_wrapped_in_a_raw_mention_with_its_source_and_key():
    record = replay_record(letter(), BODY)
    raw = RawMention.model_validate_json(record.value)
    assert record.topic == topics.MENTIONS_RAW and record.key == b"meta:abc"
    assert raw.source == "webhook:meta" and raw.body == BODY and raw.content_type == "application/json"
    assert raw.received_at == FAILED  # the SLA runs from when Heed first had it
    # replaying the same dead letter again makes the same raw event
    assert RawMention.model_validate_json(replay_record(letter(), BODY).value).event_id == raw.event_id


def test_any_other_original_goes_back_byte_for_byte():
    original = b'{"schema_version": 1, "mention_id": "not even valid"}'
    record = replay_record(letter(source_topic=topics.MENTIONS, key="weibo:1", raw_source=None,
                                  raw_content_type=None), original)
    assert (record.topic, record.key, record.value) == (topics.MENTIONS, b"weibo:1", original)
    assert record.wrapped_as is None


def test_a_raw_envelope_that_failed_in_a_handler_goes_back_as_it_was():
    envelope = RawMention(event_id=uuid.uuid4(), source="api", body=b"{}").model_dump_json().encode()
    record = replay_record(letter(raw_source=None), envelope)
    assert record.value == envelope and record.wrapped_as is None


def test_a_raw_body_archived_without_its_source_needs_the_operator_to_name_it():
    with pytest.raises(UnknownRawSource, match="--raw-source"):
        replay_record(letter(raw_source=None), BODY)
    record = replay_record(letter(raw_source=None, raw_content_type=None), BODY, raw_source="webhook:meta")
    assert RawMention.model_validate_json(record.value).source == "webhook:meta"


def test_since_takes_relative_ages_and_iso_times():
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert parse_since("24h", now) == datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2026, 11, 13, 12, 0, tzinfo=UTC)
    assert parse_since("2026-11-20") == datetime(2026, 11, 20, tzinfo=UTC)
    with pytest.raises(ValueError, match="24h"):
        parse_since("yesterday")


def test_listings_and_records_leave_the_body_out_unless_asked():
    personal = b'{"text": "call me on +86 138 0013 8000"}'
    row = letter(error="x" * 200, size=len(personal))
    listing = format_list([row])
    assert str(row.event_id) in listing and "UnparseableBody" in listing and "x" * 200 not in listing
    assert "138 0013" not in format_record(row, None) and "--body" in format_record(row, None)
    assert "138 0013" in format_record(row, personal)
