"""The bundled sample `make run` replays: well-formed, threaded correctly, and as varied as promised."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from heed_ingest.domain.generic import GenericMention

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "samples" / "mentions.jsonl"
# characters whose form differs between the scripts, common in customer posts
SIMPLIFIED = set("这头为么们门说还没发货时问题机")
TRADITIONAL = set("這頭為麼們門說還沒發貨時問題機")
PHONE = re.compile(r"(?<!\d)(?:\+?\d[\d -]{7,14}\d)(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture(scope="module")
def lines() -> list[dict[str, Any]]:
    with SAMPLE.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _texts(lines: list[dict[str, Any]]) -> list[str]:
    return [str(line["text"]) for line in lines]


def test_every_line_is_a_mention_in_the_generic_shape():
    with SAMPLE.open(encoding="utf-8") as handle:
        raw = [line for line in handle if line.strip()]
    assert len(raw) >= 300
    for number, line in enumerate(raw, start=1):
        item = json.loads(line)
        assert {"channel", "native_id", "author", "text", "created_at"} <= item.keys(), number
        assert item["author"].get("id"), number
        GenericMention.model_validate(item)


def test_native_ids_are_unique_per_channel(lines):
    seen: set[tuple[str, str]] = set()
    for line in lines:
        key = (line["channel"], line["native_id"])
        assert key not in seen, f"duplicate {key}"
        seen.add(key)


def test_every_reply_points_at_an_earlier_mention_on_its_channel(lines):
    earlier: set[tuple[str, str]] = set()
    replies = 0
    for line in lines:
        if line.get("in_reply_to"):
            replies += 1
            assert (line["channel"], line["in_reply_to"]) in earlier, line["native_id"]
        earlier.add((line["channel"], line["native_id"]))
    assert replies >= 8, "the sample should carry follow-up threads"


def test_all_four_languages_are_present_and_each_chinese_post_keeps_to_one_script(lines):
    texts = _texts(lines)
    thai = [t for t in texts if re.search("[\u0e00-\u0e7f]", t)]
    simplified = [t for t in texts if SIMPLIFIED & set(t)]
    traditional = [t for t in texts if TRADITIONAL & set(t)]
    english = [t for t in texts if re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", t)
               and not re.search("[\u0e00-\u0e7f\u3400-\u9fff]", t)]
    assert thai and simplified and traditional and english
    mixed = [t for t in texts if SIMPLIFIED & set(t) and TRADITIONAL & set(t)]
    assert not mixed, f"posts mixing Simplified and Traditional characters: {mixed}"


def test_the_sample_spans_at_least_five_channels(lines):
    assert len({line["channel"] for line in lines}) >= 5


def test_some_posts_carry_a_phone_number_or_an_email(lines):
    assert any(PHONE.search(t) or EMAIL.search(t) for t in _texts(lines))


def test_the_demo_replays_the_bundled_sample():
    from heed_ops.demo import SAMPLE

    assert SAMPLE.is_file() and SAMPLE.read_bytes().count(b"\n") >= 300
