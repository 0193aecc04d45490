"""The language a post is written in: its script where the script names the language, else lingua
(lingua-language-detector) choosing among the languages the brand answers customers in.

Exact by script (`scripts.detect_language`): Chinese characters are `zh` (with kana, `ja`), kana
`ja`, Hangul `ko`, Thai `th`. Text in an alphabet that several languages share (Latin, Cyrillic,
Arabic, …) goes through three steps, cheapest first:

1. A post whose words are plainly English (only ASCII letters, and at least two words and one in
   eight from a list of common English words that no default Latin-script language writes the
   same) is English: most posts a brand gets in Latin script are, and lingua's full mode costs
   about 200 µs a post, as much as everything else the classifier does.
2. Too little to go on (fewer than two words or eight letters of Latin script: "ok", "merci!",
   "👍 thx") is the configured default language at low confidence rather than a guess.
3. Otherwise lingua, restricted to the configured languages that no script names (a short list is
   both faster and more accurate): its quick mode, confirmed by the full one on a short post where
   the quick answer is not the default language; when it cannot tell two languages apart, the
   default at low confidence.

Handles, hashtags and links are left out before reading: `@united` is not a word of any language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from heed_classifier.domain.scripts import ScriptCounts, detect_language

# what a brand gets out of the box: the languages of its seeds' markets (CN, HK, TW, TH, SG/MY,
# ID, VN, JP, KR) and of their travellers
DEFAULT_LANGUAGES = ("en", "zh", "th", "fr", "ja", "ko", "ms", "vi", "es", "de", "id", "ar")
# named by their script alone, never asked of lingua
BY_SCRIPT = frozenset({"zh", "ja", "ko", "th"})
LOW_CONFIDENCE = 0.3
MIN_WORDS, MIN_LETTERS = 2, 8
ENGLISH_SHARE = 8  # one word in eight from ENGLISH_WORDS, and two at least, makes a post plainly English
# lingua's low-accuracy mode (trigrams only) costs about a quarter of the full one and is as
# accurate from about 120 characters on (lingua's own evaluation); below this many letters its
# answer stands only when it is the default language
LONG_LETTERS = 100
READ_CHARS = 400  # lingua reads the opening: enough to tell languages apart, bounded in cost
# lingua answers None when its two best languages are closer than this (relative distance)
MIN_DISTANCE = 0.05

# Common English words that are not words of French, Spanish, German, Malay, Indonesian or
# Vietnamese (`was`, `will`, `die`, `im`, `last` are German, `me`, `no`, `he` Spanish, `or`, `on`
# French, `in`, `an`, `am`, `so` several: left out for that).
ENGLISH_WORDS = frozenset("""
the and you your yours my mine is are were to for of with this that these those it its it's i i'm i've
i'll i'd you're we're they're don't doesn't didn't can't won't isn't aren't wasn't haven't have has had
not but what why how when where who which would could should there their they them she his her
him we our us be been being at from about do does did any all out up if by now just still again
please thanks thank very really only some than then after before over back here more one get got
dont cant didnt wont u ur lol omg thx pls plz love great good best never ever know need want
going gonna make like today day time new people first help flight customer account
""".split())

_NOISE = re.compile(r"(?:https?://|www\.)\S{1,500}|[@#][\w.]{1,100}")  # links, handles, hashtags
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff']+")
_NON_ASCII_LETTER = re.compile(r"[^\W\d_a-zA-Z]")


class UnknownLanguage(ValueError):
    """A configured language that is not an ISO 639-1 code lingua knows."""


def check_languages(codes: Sequence[str]) -> tuple[str, ...]:
    """The codes, lower-cased and checked: each an ISO 639-1 code lingua can detect (or a script's)."""
    cleaned = tuple(dict.fromkeys(c.strip().lower() for c in codes if c.strip()))
    if not cleaned:
        raise UnknownLanguage("no language configured: list at least one ISO 639-1 code, e.g. en,zh,th")
    unknown = [c for c in cleaned if c not in BY_SCRIPT and _lingua_language(c) is None]
    if unknown:
        raise UnknownLanguage(f"unknown language {', '.join(unknown)}: give ISO 639-1 codes lingua detects "
                              f"(e.g. {', '.join(DEFAULT_LANGUAGES)})")
    return cleaned


def _lingua_language(code: str) -> Language | None:
    try:
        return Language.from_iso_code_639_1(IsoCode639_1.from_str(code))
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _detector(codes: tuple[str, ...], low_accuracy: bool) -> LanguageDetector:
    """One detector per set of languages and mode, its models loaded once (Classifiers share it)."""
    languages = [lang for lang in (_lingua_language(c) for c in codes) if lang is not None]
    builder = LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models()
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.with_minimum_relative_distance(MIN_DISTANCE).build()


@dataclass(frozen=True, slots=True)
class LanguageReading:
    language: str
    confidence: float
    by: str  # "script", "english words", "too short", "lingua", "lingua undecided": the explanation's


class LanguageReader:
    """Names the language of a post among `languages` (ISO 639-1; the script-named ones always)."""

    def __init__(self, languages: Sequence[str] = DEFAULT_LANGUAGES, default: str = "en") -> None:
        self.languages = check_languages(languages)
        [self.default] = check_languages([default])
        self.alphabetic = tuple(c for c in self.languages if c not in BY_SCRIPT)
        self._english = "en" in self.alphabetic
        # lingua needs two languages to choose between; with one, every alphabetic post is in it
        self._lingua = _detector(self.alphabetic, False) if len(self.alphabetic) >= 2 else None
        self._lingua_long = _detector(self.alphabetic, True) if len(self.alphabetic) >= 2 else None

    def read(self, raw: str, counts: ScriptCounts, scripted: tuple[str, float] | None = None) -> LanguageReading:
        """The language of `raw` (the classifier's opening), whose script counts are `counts` (and
        `scripts.detect_language` of them `scripted`, when the caller has it already)."""
        by_script, confidence = scripted if scripted is not None else detect_language(counts)
        if by_script not in ("en", "und") or not (counts.latin_words or counts.other_letters):
            return LanguageReading(by_script, confidence, "script")
        if by_script == "und":  # letters of an alphabet only (Arabic, Cyrillic, …): theirs is the post
            confidence = 1.0
        if not self.alphabetic:
            return LanguageReading(self.default, LOW_CONFIDENCE, "no alphabetic language configured")
        text = raw[:READ_CHARS]
        if "@" in text or "#" in text or "http" in text or "www." in text:
            text = _NOISE.sub(" ", text)
        latin = _LATIN_WORD.findall(text)
        if self._english and _plainly_english(text, latin):
            return LanguageReading("en", max(confidence, 0.9), "english words")
        if not counts.other_letters and (len(latin) < MIN_WORDS or sum(map(len, latin)) < MIN_LETTERS):
            return LanguageReading(self.default, LOW_CONFIDENCE, "too short")
        if self._lingua is None or self._lingua_long is None:
            return LanguageReading(self.alphabetic[0], min(confidence, 0.8), "the one alphabetic language")
        found = self._lingua_long.detect_language_of(text)
        letters = sum(map(len, latin)) + counts.other_letters
        if letters < LONG_LETTERS and (found is None or found.iso_code_639_1.name.lower() != self.default):
            # on a short post the quick mode's slips are other languages for the usual one (an English
            # tweet read as German): the full mode confirms any answer but the default
            found = self._lingua.detect_language_of(text)
        if found is None:
            return LanguageReading(self.default, LOW_CONFIDENCE, "lingua undecided")
        return LanguageReading(found.iso_code_639_1.name.lower(), round(min(confidence, 0.9), 3), "lingua")


def _plainly_english(text: str, latin: list[str]) -> bool:
    if len(latin) < MIN_WORDS or _NON_ASCII_LETTER.search(text):
        return False
    hits = sum(1 for w in latin if w.lower() in ENGLISH_WORDS)
    return hits >= 2 and hits * ENGLISH_SHARE >= len(latin)
