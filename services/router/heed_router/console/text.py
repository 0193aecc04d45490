"""The console's own words in its four languages, from `messages.json` (one mapping per language,
the same keys in each: a unit test holds them to it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

from heed_router.domain.accounts import CONSOLE_LANGUAGES

HTML_LANG = {"en": "en", "zh-Hans": "zh-Hans", "zh-Hant": "zh-Hant", "th": "th"}


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """Language → key → text, as shipped."""
    raw: dict[str, dict[str, str]] = json.loads(
        resources.files("heed_router.console").joinpath("messages.json").read_text(encoding="utf-8"))
    # the supervisor views' words (console/supervisor.py) are kept in their own file, merged here
    extra = json.loads(resources.files("heed_router.console").joinpath("supervisor_messages.json")
                       .read_text(encoding="utf-8"))
    return {lang: {**words, **extra.get(lang, {})} for lang, words in raw.items()}


def missing_keys(messages: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """Per language, the keys some other language has and it lacks (or leaves blank)."""
    every = set().union(*(set(m) for m in messages.values()))
    return {lang: sorted(k for k in every if not messages.get(lang, {}).get(k, "").strip())
            for lang in CONSOLE_LANGUAGES if every - {k for k, v in messages.get(lang, {}).items() if v.strip()}}


def translator(language: str) -> Callable[[str], str]:
    """t(key) in `language` (English for a language the console does not have)."""
    messages = catalogue()
    chosen = messages.get(language) or messages["en"]

    def t(key: str) -> str:
        return chosen.get(key) or messages["en"][key]

    return t
