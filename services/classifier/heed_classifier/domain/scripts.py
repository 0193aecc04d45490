"""Language by Unicode script, and Chinese script (Hans/Hant) by character evidence.

The characters that exist only in Simplified or only in Traditional Chinese are derived from
OpenCC's conversion tables (shipped with the opencc package): a character that OpenCC converts
to something else in one direction belongs to the other script.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

CANTONESE_CHARS = "嘅咗喺唔冇嘢佢哋啲咁嚟睇吓嗰乜咩撚屌閪柒啱攞搵畀嘥諗靚仲咪揸嘈噉囉喎嘞啫"


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


def count_scripts(text: str) -> ScriptCounts:
    simp, trad = script_only_chars()
    han = thai = latin = kana = hangul = s = t = words = 0
    in_word = False
    for ch in text:
        latin_letter = ch.isascii() and ch.isalpha()
        if latin_letter and not in_word:
            words += 1
        in_word = latin_letter
        o = ord(ch)
        if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF:
            han += 1
            if ch in simp:
                s += 1
            elif ch in trad:
                t += 1
        elif 0x0E00 <= o <= 0x0E7F:
            thai += 1
        elif ch.isascii() and ch.isalpha():
            latin += 1
        elif 0x3040 <= o <= 0x30FF:
            kana += 1
        elif 0xAC00 <= o <= 0xD7AF:
            hangul += 1
    return ScriptCounts(han, thai, latin, words, kana, hangul, s, t)


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
