from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from heed.contracts import asyncapi, topics
from heed.contracts.events import Author, Channel, Mention, RawMention, derive_id

ROOT = Path(__file__).resolve().parents[3]


def test_derived_ids_are_stable_and_distinct_per_kind():
    assert derive_id("mention", "weibo", "1") == derive_id("mention", "weibo", "1")
    assert derive_id("mention", "weibo", "1") != derive_id("mention", "x", "1")
    assert derive_id("reply", "a") != derive_id("case", "a")


@given(st.text(), st.lists(st.one_of(st.text(), st.integers(), st.uuids(), st.tuples(st.text(), st.integers()))))
def test_derived_ids_are_uuid5_of_their_parts_in_heeds_namespace(kind, parts):
    expected = uuid.uuid5(uuid.UUID("6f1c1b0e-6c1d-4b51-9a4e-8f9e0c1d2a33"),
                          kind + "\x1f" + "\x1f".join(str(p) for p in parts))
    derived = derive_id(kind, *parts)
    assert derived == expected and str(derived) == str(expected) and hash(derived) == hash(expected)
    assert (derived.version, derived.variant, derived.bytes) == (5, uuid.RFC_4122, expected.bytes)


def test_raw_bytes_survive_json_exactly():
    body = b"\xff\x00" + "投诉".encode()
    raw = RawMention(event_id=uuid.uuid4(), source="webhook:meta", body=body)
    assert RawMention.model_validate_json(raw.model_dump_json()).body == body


def test_mentions_are_immutable_and_keyed_by_conversation():
    now = datetime.now(UTC)
    m = Mention(event_id=uuid.uuid4(), mention_id=uuid.uuid4(), raw_event_id=uuid.uuid4(), channel=Channel.WEIBO,
                native_id="2", author=Author(platform_id="u"), text="hi", thread_root="1", created_at=now,
                received_at=now)
    assert m.conversation_key == "weibo:1"
    assert m.schema_version == 1
    with pytest.raises(ValidationError):
        m.text = "changed"  # type: ignore[misc]


def test_every_topic_has_a_contract_with_the_required_fields():
    for topic in topics.TOPICS:
        fields = topic.model.model_fields
        assert {"schema_version", "event_id", "occurred_at"} <= set(fields), topic.name
        assert topic.partitions >= 1


def test_the_committed_asyncapi_document_is_current():
    committed = (ROOT / "docs" / "asyncapi.json").read_text()
    assert committed == asyncapi.render(), "run `make asyncapi` and commit docs/asyncapi.json"
    doc = json.loads(committed)
    assert {c["address"] for c in doc["channels"].values()} == {t.name for t in topics.TOPICS}


def _mention(**changes: object) -> Mention:
    now = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    author = {"platform_id": "u", "name": "Amy", "followers": 10, **changes.pop("author", {})}  # type: ignore[dict-item]
    values: dict[str, object] = {
        "event_id": uuid.uuid4(), "mention_id": uuid.uuid4(), "raw_event_id": uuid.uuid4(),
        "channel": Channel.WEIBO, "native_id": "n", "author": author, "text": "hi", "thread_root": "n",
        "created_at": now, "received_at": now, **changes}
    return Mention.model_validate(values)


@pytest.mark.parametrize("changes", [
    {"text": "order\x00 late"},
    {"text": "lone \ud800 surrogate"},
    {"author": {"name": "Am\x00y"}},
    {"author": {"platform_id": "u\x00"}},
    {"author": {"platform_id": ""}},
    {"native_id": "n" * 201},
    {"author": {"followers": 2**31}},
    {"author": {"followers": -1}},
    {"created_at": datetime(1, 1, 1, tzinfo=UTC)},
    {"created_at": datetime(9999, 12, 31, 23, 0, tzinfo=UTC)},
    {"created_at": datetime(2026, 11, 20, 8, 0)},  # no UTC offset: not a moment in time
    {"matched": ["brand\x00"]},
], ids=lambda c: next(iter(c)))
def test_a_mention_holds_only_what_every_service_can_store(changes):
    with pytest.raises(ValidationError):
        _mention(**changes)


def test_the_edges_of_what_can_be_stored_are_accepted():
    m = _mention(text="\x01\u200b😀", author={"followers": 2**31 - 1},
                 created_at=datetime(2099, 12, 31, 23, 59, tzinfo=UTC))
    assert m.author.followers == 2**31 - 1
