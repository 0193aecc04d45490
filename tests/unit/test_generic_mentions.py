"""The generic mention shape (JSONL replay and POST /v1/mentions), thread roots, replay keys."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from heed.contracts.events import Channel, MentionKind, RawMention, Visibility
from heed_ingest.domain.drafts import UnparseableBody
from heed_ingest.domain.generic import parse_generic
from heed_ingest.domain.normalise import build_mention, resolve_thread_root
from heed_ingest.parsing import parse_raw
from heed_ingest.replay import read_lines

LINE = {"channel": "weibo", "native_id": "w2", "author": {"id": "u1", "handle": "xiao", "followers": 12},
        "text": "还是没到", "created_at": "2026-11-20T08:15:00+08:00", "in_reply_to": "w1"}


def test_a_generic_line_becomes_a_draft_with_defaults():
    (draft,) = parse_generic(json.dumps(LINE).encode())
    assert draft.channel is Channel.WEIBO and draft.kind is MentionKind.REPLY
    assert draft.visibility is Visibility.PUBLIC and draft.author.followers == 12
    assert draft.created_at.utcoffset() is not None


@pytest.mark.parametrize(("body", "reason"), [
    (b"{not json", "not JSON"),
    (b"\xff\xfe", "not UTF-8"),
    (b"[]", "empty array"),
    (b"[1]", "expected a JSON object"),
    (json.dumps({**LINE, "channel": "myspace"}).encode(), "channel"),
    (json.dumps({**LINE, "created_at": "2026-11-20T08:15:00"}).encode(), "created_at"),
    (json.dumps({k: v for k, v in LINE.items() if k != "author"}).encode(), "author"),
    # what no downstream table could hold is refused here, before anything is published
    (json.dumps({**LINE, "text": "late\x00"}).encode(), "text"),
    (json.dumps({**LINE, "author": {"id": "u1", "name": "A\x00my"}}).encode(), "author.name"),
    (json.dumps({**LINE, "author": {"id": "u1", "followers": 2**31}}).encode(), "author.followers"),
    (json.dumps({**LINE, "created_at": "0001-01-01T00:00:00+05:00"}).encode(), "created_at"),
    (json.dumps({**LINE, "created_at": "9999-12-31T23:00:00-05:00"}).encode(), "created_at"),
    (b'{"channel": "weibo", "native_id": "w", "author": {"id": "u"}, "created_at": '
     b'"2026-11-20T08:15:00+08:00", "text": "\\ud800"}', "text"),
    (b"[" * 100_000 + b"]" * 100_000, "too deeply"),
])
def test_bad_bodies_raise_a_reason_a_person_can_act_on(body: bytes, reason: str):
    with pytest.raises(UnparseableBody, match=reason):
        parse_generic(body)


def test_unknown_sources_are_unparseable_not_crashes():
    with pytest.raises(UnparseableBody, match="no parser for source"):
        parse_raw(RawMention(event_id=uuid.uuid4(), source="carrier-pigeon", body=b"{}"))


def test_follow_ups_join_the_root_of_their_parent():
    (draft,) = parse_generic(json.dumps(LINE).encode())
    assert resolve_thread_root(draft, {("weibo", "w1"): "w0"}) == "w0"
    assert resolve_thread_root(draft, {}) == "w1"
    (root,) = parse_generic(json.dumps({**LINE, "in_reply_to": None, "native_id": "w0"}).encode())
    assert resolve_thread_root(root, {}) == "w0"


def test_mention_ids_depend_only_on_channel_and_native_id():
    raw1 = RawMention(event_id=uuid.uuid4(), source="replay", body=json.dumps(LINE).encode())
    raw2 = RawMention(event_id=uuid.uuid4(), source="api", body=json.dumps(LINE).encode())
    m1 = build_mention(parse_raw(raw1).drafts[0], raw1, "w1")
    m2 = build_mention(parse_raw(raw2).drafts[0], raw2, "w1")
    assert m1.mention_id == m2.mention_id and m1.raw_event_id != m2.raw_event_id


def test_replay_keeps_a_thread_on_one_key_and_keeps_malformed_lines(tmp_path: Path):
    lines = [
        {**LINE, "native_id": "a", "in_reply_to": None},
        {**LINE, "native_id": "b", "in_reply_to": "a"},
        {**LINE, "native_id": "c", "in_reply_to": "b"},
    ]
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"\n".join(json.dumps(x).encode() for x in lines) + b"\n\n{broken\n")
    read = list(read_lines(path))
    assert [r.key for r in read[:3]] == ["weibo:a"] * 3
    assert read[3].raw.body == b"{broken" and read[3].raw.origin == "t.jsonl:5"


def test_ndjson_bodies_carry_one_mention_per_line_and_name_a_bad_line():
    body = b"\n".join(json.dumps({**LINE, "native_id": f"w{i}"}).encode() for i in range(3)) + b"\n\n"
    assert [d.native_id for d in parse_generic(body, ndjson=True)] == ["w0", "w1", "w2"]
    raw = RawMention(event_id=uuid.uuid4(), source="api", body=body, content_type="application/x-ndjson")
    assert len(parse_raw(raw).drafts) == 3
    with pytest.raises(UnparseableBody, match="line 2"):
        parse_generic(json.dumps(LINE).encode() + b"\n{broken\n", ndjson=True)
