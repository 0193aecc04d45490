"""The console's own text: every key in each of its four languages, none blank, and a translator
that falls back to English only for a language the console does not have."""

from __future__ import annotations

import re
from importlib import resources

from heed.contracts.events import CaseStatus, Urgency
from heed_router.console.text import catalogue, missing_keys, translator
from heed_router.domain.accounts import CONSOLE_LANGUAGES


def test_every_key_is_in_every_language():
    messages = catalogue()
    assert sorted(messages) == sorted(CONSOLE_LANGUAGES)
    assert missing_keys(messages) == {}
    assert len({frozenset(m) for m in messages.values()}) == 1


def test_a_missing_or_blank_key_is_reported_per_language():
    broken = {"en": {"a": "A", "b": "B"}, "zh-Hans": {"a": "甲"}, "zh-Hant": {"a": "甲", "b": " "},
              "th": {"a": "ก", "b": "ข"}}
    assert missing_keys(broken) == {"zh-Hans": ["b"], "zh-Hant": ["b"]}


def test_every_key_the_templates_use_is_in_the_catalogue():
    keys = set(catalogue()["en"])
    templates = resources.files("heed_router.console").joinpath("templates")
    used: set[str] = set()
    for page in templates.iterdir():
        used |= set(re.findall(r"t\('([a-z_]+)'\)", page.read_text(encoding="utf-8")))
    assert used and used <= keys, sorted(used - keys)


def test_the_translator_speaks_the_agents_language():
    assert translator("zh-Hant")("take_next") == "接下一個"
    assert translator("zh-Hans")("take_next") == "接下一个"
    assert translator("th")("send") == "ส่ง"
    assert translator("fr")("send") == "Send"


def test_every_case_status_and_urgency_has_its_words():
    keys = set(catalogue()["en"])
    assert {f"case_{s.value}" for s in CaseStatus} <= keys
    assert {f"urgency_{u.value}" for u in Urgency} <= keys
    assert {f"status_{s}" for s in ("sent", "failed", "unknown")} <= keys


def test_every_value_an_agent_may_correct_to_has_its_words():
    from heed.contracts.events import Category, IssueType
    from heed_router.console.app import CORRECTION_LANGUAGES

    keys = set(catalogue()["en"])
    wanted = ({f"category_{c.value}" for c in Category} | {f"issue_{i.value}" for i in IssueType}
              | {f"lang_{tag}" for tag in CORRECTION_LANGUAGES})
    assert wanted <= keys, sorted(wanted - keys)
