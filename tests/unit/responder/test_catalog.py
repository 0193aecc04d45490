"""The replies file: checked on load with the line and template of every problem, reloaded when
edited, a bad edit kept out (the last good file stays)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from heed_responder.adapters.replies_file import RepliesFile, shipped_path, shipped_replies_path
from heed_responder.domain.catalog import CatalogError, parse_catalog
from heed_responder.domain.knowledge import KnowledgeError, parse_knowledge

SHIPPED = shipped_replies_path().read_text(encoding="utf-8")


def _edit(old: str, new: str) -> str:
    """The shipped file with the first `old` among the templates (not the header's comments) changed."""
    head, templates = SHIPPED.split("\ntemplates:\n", 1)
    assert old in templates
    return head + "\ntemplates:\n" + templates.replace(old, new, 1)


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_the_shipped_file_loads_with_every_template_in_every_language():
    catalog = parse_catalog(SHIPPED, "replies.yaml")
    assert {t.id for t in catalog.file.templates} >= {"answer", "holding", "private", "handoff", "follow-up"}
    assert all(set(t.text) == {"en", "zh", "th"} for t in catalog.file.templates)
    assert catalog.brand_for("lumo_tw").market == "TW" and catalog.brand_for("someone-else").market == "CN"


def test_an_unknown_placeholder_is_refused_with_its_line_and_template():
    bad = _edit("{{ department }} team has your question", "{{ departement }} team has your question")
    with pytest.raises(CatalogError) as e:
        parse_catalog(bad, "replies.yaml")
    line = _line_of(bad, "{{ departement }}")
    assert str(e.value).startswith("replies.yaml line ") and "template 'answer'" in str(e.value)
    assert "unknown placeholder departement" in str(e.value)
    assert abs(int(str(e.value).split(" line ")[1].split(",")[0]) - line) <= 3  # the template's entry


def test_a_missing_language_and_a_bad_time_zone_are_named():
    no_thai = _edit('      th: "ขอบคุณมากค่ะคุณ', '      xx: "ขอบคุณมากค่ะคุณ')
    with pytest.raises(CatalogError, match=r"template 'acknowledge-praise'.*missing language th"):
        parse_catalog(no_thai, "replies.yaml")
    line = _line_of(SHIPPED, "time_zone: Asia/Shanghai")
    with pytest.raises(CatalogError, match=rf"line {line}: .*unknown time zone 'Asia/Shanghia'"):
        parse_catalog(SHIPPED.replace("time_zone: Asia/Shanghai", "time_zone: Asia/Shanghia"), "replies.yaml")


def test_a_template_that_cannot_render_cleanly_is_refused():
    broken = _edit("{{ hotline }}", "{{ hotline")
    with pytest.raises(CatalogError, match="not a valid template"):
        parse_catalog(broken, "replies.yaml")
    # Traditional-only characters in a Simplified source break the Simplified reply
    mixed = _edit("希望您的问题已经解决", "希望您的問題已經解決")
    with pytest.raises(CatalogError, match=r"template 'follow-up'.*zh: script"):
        parse_catalog(mixed, "replies.yaml")


def test_an_edit_is_picked_up_and_a_bad_one_keeps_the_last_good_file(tmp_path: Path):
    path = tmp_path / "replies.yaml"
    path.write_text(SHIPPED, encoding="utf-8")
    watched = RepliesFile(path)
    path.write_text(SHIPPED.replace("hotline: \"400-820-0000\"", "hotline: \"400-000-1111\""), encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert watched.check() and watched.current().brand_for(None).hotline == "400-000-1111"
    path.write_text(_edit("{{ brand }}", "{{ brnad }}"), encoding="utf-8")
    assert not watched.check()
    assert watched.current().brand_for(None).hotline == "400-000-1111"
    assert watched.problem is not None and "unknown placeholder brnad" in watched.problem


KNOWLEDGE = shipped_path("knowledge.yaml").read_text(encoding="utf-8")


def test_the_knowledge_base_is_checked_with_the_line_and_entry_of_each_problem():
    assert len(parse_knowledge(KNOWLEDGE, "knowledge.yaml").file.entries) == 3
    bad_regex = KNOWLEDGE.replace('"重置|恢复出厂|复位"', '"重置|(恢复出厂"', 1)
    with pytest.raises(KnowledgeError, match=r"knowledge.yaml line \d+, entry 'reset-vacuum': .*regular expression"):
        parse_knowledge(bad_regex, "knowledge.yaml")
    bad_answer = KNOWLEDGE.replace("/stores – {{ brand }}", "/stores – {{ shop }}", 1)
    with pytest.raises(KnowledgeError, match=r"entry 'store-hours': en answer: unknown placeholder shop"):
        parse_knowledge(bad_answer, "knowledge.yaml")
