"""A mention in a language the brand has no replies in, through the real pipeline: the classifier
names it, the router routes it, the responder answers in the brand's fallback language, and the
case says so (issue 12 point 3)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from heed_ingest.replay import replay_file
from tests.harness import client_publisher, count, mention_line, pipeline, wait_for, write_jsonl

pytestmark = pytest.mark.integration

POSTS = {
    "fr": "Bonjour, la chambre était sale et personne n'est venu la nettoyer",
    "es": "Mi pedido llegó roto y nadie contesta mis correos",
    "ja": "注文した商品がまだ届きません。いつ発送されますか？",
    "en": "My parcel still has not arrived after two weeks",
}


async def test_a_post_in_a_language_without_replies_is_answered_in_the_fallback_and_the_case_marked(
        database_url, fresh_broker, tmp_path: Path):
    dsn = database_url
    lines = [mention_line(i, "lang", text=text, channel="x") for i, text in enumerate(POSTS.values())]
    path = write_jsonl(tmp_path / "languages.jsonl", lines)
    async with pipeline(fresh_broker, dsn), client_publisher(fresh_broker) as publisher:
        assert await replay_file(path, publisher) == len(POSTS)

        async def acknowledged() -> bool:
            return await count(dsn, "SELECT count(*) FROM router.case_events WHERE kind = 'acknowledged'") == len(POSTS)

        await wait_for(acknowledged, timeout=90)
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT r.in_reply_to, c.language AS classified, r.language, r.template_id FROM responder.replies r"
                " JOIN classifier.classifications c USING (mention_id)")
            marks = [r["mark"] for r in await conn.fetch(
                "SELECT body->>'language_fallback' AS mark FROM router.case_events WHERE kind = 'acknowledged'")]
        finally:
            await conn.close()
    by_post = {r["in_reply_to"]: r for r in rows}
    for i, language in enumerate(POSTS):
        row = by_post[f"lang-{i}"]
        assert row["classified"] == language  # named in its own language
        assert row["language"] == "en"  # answered in the brand's fallback language (the shipped replies file)
        assert row["template_id"].endswith(f"+fallback-from-{language}") == (language != "en")
    assert sorted(m for m in marks if m) == ["es", "fr", "ja"]
