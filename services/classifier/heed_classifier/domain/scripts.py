"""Language by Unicode script, and Chinese script (Hans/Hant) by character evidence.

The characters that exist only in Simplified or only in Traditional Chinese are derived from
OpenCC's conversion tables (shipped with the opencc package): a character that OpenCC converts
to something else in one direction belongs to the other script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

CANTONESE_CHARS = "嘅咗喺唔冇嘢佢哋啲咁嚟睇吓嗰乜咩撚屌閪柒啱攞搵畀嘥諗靚仲咪揸嘈噉囉喎嘞啫啩㗎噃冚嬲瞓攰氹嗌噏掟嚿哂"


@lru_cache(maxsize=1)
def script_only_chars() -> tuple[frozenset[str], frozenset[str]]:
    """(simplified-only, traditional-only) characters."""
    import opencc

    folder = Path(opencc.__file__).parent / "dictionary"

    def changed(name: str) -> set[str]:
        out = set()
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            source, _, targets = line.partition("\t")
            if len(source) == 1 and source not in targets.split():
                out.add(source)
        return out

    simplified = changed("STCharacters.txt")
    # written Cantonese (Hong Kong, Macau) is written in Traditional script: its own characters
    # are evidence for Hant even where OpenCC has no Simplified form for them
    traditional = changed("TSCharacters.txt") | set(CANTONESE_CHARS)
    return frozenset(simplified - traditional), frozenset(traditional - simplified)


@dataclass(frozen=True)
class ScriptCounts:
    han: int = 0
    thai: int = 0
    latin: int = 0
    latin_words: int = 0
    kana: int = 0
    hangul: int = 0
    simplified: int = 0
    traditional: int = 0
    other_letters: int = 0  # letters of the other alphabets lingua reads (Cyrillic, Arabic, Greek, …)


_HAN = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")
_THAI = re.compile("[\u0e00-\u0e7f]")
_LATIN_WORD = re.compile("[A-Za-z]+")
_KANA = re.compile("[\u3040-\u30ff]")
_HANGUL = re.compile("[\uac00-\ud7af]")
# Greek, Cyrillic, Armenian, Hebrew, Arabic, Devanagari … Bengali, Georgian
_OTHER_ALPHABETS = re.compile("[\u0370-\u03ff\u0400-\u052f\u0530-\u058f\u0590-\u05ff\u0600-\u06ff"
                              "\u0750-\u077f\u0900-\u09ff\u0a80-\u0aff\u0b80-\u0bff\u0c00-\u0c7f\u10a0-\u10ff]")


def count_scripts(text: str) -> ScriptCounts:
    """Characters per script (regex scans in C rather than a loop per character: this is the hot path)."""
    simp, trad = script_only_chars()
    han = _HAN.findall(text)
    s = t = 0
    if han:
        s = sum(1 for ch in han if ch in simp)
        t = sum(1 for ch in han if ch in trad)
    words = _LATIN_WORD.findall(text)
    return ScriptCounts(len(han), len(_THAI.findall(text)), sum(map(len, words)), len(words),
                        len(_KANA.findall(text)), len(_HANGUL.findall(text)), s, t,
                        len(_OTHER_ALPHABETS.findall(text)))


def detect_language(c: ScriptCounts) -> tuple[str, float]:
    """The dominant language by script, comparing roughly word-sized units.

    A Han character counts as a word and Thai as a word per four letters; a mixed post with as
    many Chinese characters as English words is Chinese (its writer reads Chinese).
    """
    weights = {"zh": c.han * 1.0, "th": c.thai / 4, "en": c.latin_words * 0.99, "ja": c.kana * 1.0,
               "ko": c.hangul / 2}
    if c.kana and c.han:
        weights["ja"] += c.han  # Han with kana is Japanese
        weights["zh"] = 0
    total = sum(weights.values())
    if total == 0:
        return "und", 0.5
    lang, weight = max(weights.items(), key=lambda kv: kv[1])
    return lang, round(weight / total, 3)


def detect_script(c: ScriptCounts) -> tuple[Literal["Hans", "Hant"], float]:
    """Hans or Hant for Chinese text; without distinguishing characters, Hans at low confidence."""
    if c.traditional > c.simplified:
        return "Hant", round(0.5 + 0.5 * c.traditional / (c.traditional + c.simplified), 3)
    if c.simplified > c.traditional:
        return "Hans", round(0.5 + 0.5 * c.simplified / (c.traditional + c.simplified), 3)
    return "Hans", 0.5
