"""Stated preferences read from customers' posts: what is kept, how sure, and what is never extracted."""

from __future__ import annotations

import sre_constants
import sre_parse
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heed_crm_sync.domain.preferences import (
    CONFIRM_BELOW,
    PATTERNS,
    SCRIPT_OF,
    VOCABULARY,
    StatedPreference,
    extract_preferences,
    needs_confirmation,
)

HIGH = "record"  # confidence >= CONFIRM_BELOW: straight onto the customer record
LOW = "confirm"  # an agent confirms first

# (text, language hint, {(kind, value): HIGH | LOW}); the expected set is exact: nothing else may be extracted.
CASES: list[tuple[str, str | None, dict[tuple[str, str], str]]] = [
    # a question, then a first-person statement referring back
    ("do you have feather pillows? I always sleep better with them", "en", {("pillow", "feather"): HIGH}),
    ("Do you have feather pillows?", "en", {("pillow", "feather"): LOW}),
    ("I prefer a firm pillow and a room on a high floor, thanks!", "en",
     {("pillow", "firm"): HIGH, ("room", "high_floor"): HIGH}),
    ("Is there a buckwheat pillow on the menu?", "en", {("pillow", "buckwheat"): LOW}),
    ("I'm vegetarian, is breakfast OK for me?", "en", {("dietary", "vegetarian"): HIGH}),
    ("I use a wheelchair", "en", {("accessibility", "wheelchair"): HIGH}),
    ("please call me after 6pm", "en", {("contact_time", "evening"): HIGH, ("contact_channel", "phone"): HIGH}),
    ("I'd rather you write to me in English", None, {("language", "en"): HIGH}),
    ("I have a severe peanut allergy and I don't eat pork.", "en",
     {("dietary", "nut_allergy"): HIGH, ("dietary", "no_pork"): HIGH}),
    ("We always book a non-smoking twin room with a sea view.", "en",
     {("room", "non_smoking"): HIGH, ("room", "twin"): HIGH, ("room", "sea_view"): HIGH}),
    ("I'm allergic to feathers, so a hypoallergenic pillow please", "en", {("pillow", "hypoallergenic"): HIGH}),
    ("Could we have connecting rooms? Travelling with the kids.", "en", {("room", "connecting"): HIGH}),
    ("Please email me rather than calling, I'm deaf.", "en",
     {("contact_channel", "email"): HIGH, ("accessibility", "hearing"): HIGH}),
    ("Ｐｌｅａｓｅ ＤＭ ｍｅ, a quiet room away from the lift", "en",
     {("contact_channel", "private_message"): HIGH, ("room", "quiet"): HIGH}),
    ("Can you reach me on weekends only? I work nights.", "en", {("contact_time", "weekend"): HIGH}),
    # negation: nothing, or never the negated value
    ("I don't want a feather pillow", "en", {}),
    ("No feather pillows please, I'd like memory foam", "en", {("pillow", "memory_foam"): HIGH}),
    ("I'd prefer a high floor rather than a sea view", "en", {("room", "high_floor"): HIGH}),
    ("I'm not vegetarian, but I can't eat gluten", "en", {("dietary", "gluten_free"): HIGH}),
    # third person: kept, below the line
    ("My wife is vegetarian", "en", {("dietary", "vegetarian"): LOW}),
    ("My husband uses a wheelchair, could we have an accessible room?", "en",
     {("accessibility", "wheelchair"): LOW, ("room", "accessible"): HIGH}),
    # unrelated posts
    ("My parcel was supposed to arrive on Monday and it is still not here. Three days late!", "en", {}),
    ("The staff at the front desk were wonderful, thank you Mei and Somchai!", "en", {}),
    ("We arrive after 6pm on Friday, is late check-in fine?", "en", {}),
    # Simplified Chinese
    ("我是素食者，早餐有没有素食选择", "zh", {("dietary", "vegetarian"): HIGH}),
    ("有没有羽毛枕？我习惯用这种", "zh", {("pillow", "feather"): HIGH}),
    ("有没有羽毛枕", "zh", {("pillow", "feather"): LOW}),
    ("我不要羽绒枕", "zh", {}),
    ("我不要羽毛枕", "zh", {}),
    ("我对花生和海鲜过敏，请注意", "zh", {("dietary", "nut_allergy"): HIGH, ("dietary", "seafood_allergy"): HIGH}),
    ("我吃素，也不吃猪肉", "zh", {("dietary", "vegetarian"): HIGH, ("dietary", "no_pork"): HIGH}),
    ("请安排高楼层的无烟房，谢谢", "zh", {("room", "high_floor"): HIGH, ("room", "non_smoking"): HIGH}),
    ("我太太吃素，我对花生过敏", "zh", {("dietary", "vegetarian"): LOW, ("dietary", "nut_allergy"): HIGH}),
    ("请晚上打电话给我", "zh", {("contact_time", "evening"): HIGH, ("contact_channel", "phone"): HIGH}),
    ("快递晚了三天还没到，太失望了", "zh", {}),
    ("前台的服务员非常热情，下次还来", "zh", {}),
    # Traditional Chinese
    ("我對花生過敏", "zh", {("dietary", "nut_allergy"): HIGH}),
    ("請用中文回覆，我習慣用羽絨枕", "zh", {("language", "zh-Hant"): HIGH, ("pillow", "down"): HIGH}),
    ("有沒有海景房？", "zh", {("room", "sea_view"): LOW}),
    ("我們需要無障礙客房，我先生坐輪椅", "zh", {("room", "accessible"): HIGH, ("accessibility", "wheelchair"): LOW}),
    ("我不是素食者", "zh", {}),
    # Thai
    ("ขอห้องชั้นสูงๆ เงียบๆ นะคะ", "th", {("room", "high_floor"): HIGH, ("room", "quiet"): HIGH}),
    ("ไม่เอาหมอนขนนก", "th", {}),
    ("มีหมอนขนนกไหมคะ", "th", {("pillow", "feather"): LOW}),
    ("มีหมอนขนนกไหมคะ ปกติใช้แบบนี้ค่ะ", "th", {("pillow", "feather"): HIGH}),
    ("ฉันแพ้ถั่วและอาหารทะเลค่ะ", "th", {("dietary", "nut_allergy"): HIGH, ("dietary", "seafood_allergy"): HIGH}),
    ("ผมทานมังสวิรัติครับ ขอห้องปลอดบุหรี่ด้วยครับ", "th",
     {("dietary", "vegetarian"): HIGH, ("room", "non_smoking"): HIGH}),
    ("ภรรยาผมทานมังสวิรัติครับ", "th", {("dietary", "vegetarian"): LOW}),
    ("รบกวนตอบเป็นภาษาอังกฤษนะคะ", "th", {("language", "en"): HIGH}),
    ("พนักงานบริการดีมาก ประทับใจค่ะ", "th", {}),
    ("ของที่สั่งมาส่งช้าไปสามวันแล้ว", "th", {}),
    # a hint that names a language without rows falls back to all of them
    ("I prefer a king bed", "fr", {("room", "king"): HIGH}),
]


def _found(text: str, language: str | None) -> dict[tuple[str, str], str]:
    return {(p.kind, p.value): LOW if needs_confirmation(p) else HIGH for p in extract_preferences(text, language)}


@pytest.mark.parametrize(("text", "language", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_a_post_yields_exactly_the_preferences_it_states_at_the_right_confidence(
        text: str, language: str | None, expected: dict[tuple[str, str], str]) -> None:
    assert _found(text, language) == expected


def test_the_feather_pillow_question_alone_goes_to_an_agent_and_with_a_reason_to_the_record() -> None:
    [asked] = extract_preferences("do you have feather pillows?")
    [stated] = extract_preferences("do you have feather pillows? I always sleep better with them")
    assert (asked.kind, asked.value) == (stated.kind, stated.value) == ("pillow", "feather")
    assert 0.5 <= asked.confidence < CONFIRM_BELOW <= 0.75 <= stated.confidence
    assert stated.confidence >= 0.85


def test_one_preference_per_kind_and_value_with_the_highest_confidence() -> None:
    found = extract_preferences("Do you have vegetarian options? I'm vegetarian. Vegetarian food please.", "en")
    assert [(p.kind, p.value) for p in found] == [("dietary", "vegetarian")]
    assert found[0].confidence >= 0.85


def test_the_evidence_is_the_pattern_id_never_the_customers_words() -> None:
    text = "Hi, I'm Jane Doe, jane@example.com, I always need a quiet room"
    [preference] = extract_preferences(text)
    assert preference == StatedPreference("room", "quiet", preference.confidence, "en.room.quiet")
    assert preference.evidence in {row.id for row in PATTERNS}
    assert "jane" not in repr(preference).casefold()


def test_the_language_hint_limits_the_rows() -> None:
    text = "I'm vegetarian 我吃素"
    assert {p.evidence for p in extract_preferences(text, "en")} == {"en.dietary.vegetarian"}
    assert {p.evidence for p in extract_preferences(text, "zh-Hant")} == {"zh.dietary.vegetarian"}
    assert {p.evidence for p in extract_preferences(text)} == {"en.dietary.vegetarian"}  # same key, table order


def test_the_table_covers_the_vocabulary_in_every_language() -> None:
    required = {
        "pillow": {"feather", "down", "memory_foam", "hypoallergenic", "firm", "soft", "buckwheat"},
        "room": {"high_floor", "low_floor", "quiet", "sea_view", "city_view", "non_smoking", "twin", "king",
                 "connecting", "accessible"},
        "dietary": {"vegetarian", "vegan", "halal", "kosher", "gluten_free", "lactose_free", "nut_allergy",
                    "seafood_allergy", "no_pork", "no_beef"},
        "accessibility": {"wheelchair", "step_free", "hearing", "visual", "mobility"},
        "language": {"en", "zh-Hans", "zh-Hant", "th"},
        "contact_time": {"morning", "afternoon", "evening", "weekend"},
        "contact_channel": {"phone", "email", "private_message"},
    }
    assert VOCABULARY == {(kind, value) for kind, values in required.items() for value in values}
    for language in ("en", "zh", "th"):
        covered = {(row.kind, row.value) for row in PATTERNS if row.language == language}
        assert covered >= VOCABULARY - {("language", "zh-Hans"), ("language", "zh-Hant")}, language
    ids = [row.id for row in PATTERNS]
    assert len(ids) == len(set(ids))
    assert all(row.id == f"{row.language}.{row.kind}.{row.value}" for row in PATTERNS)
    assert all(0 < row.base < CONFIRM_BELOW for row in PATTERNS)  # a bare mention never goes to the record


_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}


def _repeats_inside(items: Any) -> bool:
    """Whether a parsed regex fragment holds a quantifier that can repeat more than once."""
    for op, av in items:
        if op in _REPEATS:
            if av[1] > 1 or _repeats_inside(av[2]):
                return True
        elif op is sre_constants.SUBPATTERN and _repeats_inside(av[-1]):
            return True
        elif op is sre_constants.BRANCH and any(_repeats_inside(branch) for branch in av[1]):
            return True
        elif op in {sre_constants.ASSERT, sre_constants.ASSERT_NOT} and _repeats_inside(av[1]):
            return True
    return False


def _nested_quantifier(items: Any) -> bool:
    """Whether a quantified group contains another quantifier: the shape that backtracks catastrophically."""
    for op, av in items:
        if op in _REPEATS:
            if av[1] > 1 and _repeats_inside(av[2]):
                return True
            if _nested_quantifier(av[2]):
                return True
        elif op is sre_constants.SUBPATTERN and _nested_quantifier(av[-1]):
            return True
        elif op is sre_constants.BRANCH and any(_nested_quantifier(branch) for branch in av[1]):
            return True
    return False


@pytest.mark.parametrize("row", PATTERNS, ids=[row.id for row in PATTERNS])
def test_no_row_nests_quantifiers(row: Any) -> None:
    assert not _nested_quantifier(sre_parse.parse(row.regex)), row.regex


def test_the_nesting_check_sees_a_nested_quantifier() -> None:
    assert _nested_quantifier(sre_parse.parse(r"(?:a+)+b"))
    assert not _nested_quantifier(sre_parse.parse(r"(?:ab|c)?d[^,]{0,30}e"))


def _needs_a_letter(items: Any, letter: Any) -> bool:
    """Whether every text a parsed regex fragment matches holds a character that `letter` accepts: some
    item that must match does (a literal, a class of such letters only, a branch whose every way does, a
    group or a repeat of at least one that does). Look-arounds and optional parts never count."""
    for op, av in items:
        if op is sre_constants.LITERAL and letter(chr(av)):
            return True
        if op is sre_constants.IN and av and all(
                (kind is sre_constants.LITERAL and letter(chr(value)))
                or (kind is sre_constants.RANGE and all(letter(chr(c)) for c in range(value[0], value[1] + 1)))
                for kind, value in av):
            return True
        if op is sre_constants.SUBPATTERN and _needs_a_letter(av[-1], letter):
            return True
        if op is sre_constants.BRANCH and all(_needs_a_letter(branch, letter) for branch in av[1]):
            return True
        if op in _REPEATS and av[0] >= 1 and _needs_a_letter(av[2], letter):
            return True
    return False


@pytest.mark.parametrize("row", PATTERNS, ids=[row.id for row in PATTERNS])
def test_every_row_needs_a_letter_of_its_own_writing_system(row: Any) -> None:
    # what lets a post be read with only the rows of the writing systems it holds
    letters = SCRIPT_OF[row.language]
    assert _needs_a_letter(sre_parse.parse(row.regex), lambda c: letters.fullmatch(c) is not None), row.regex


def test_the_letter_check_sees_a_row_that_could_match_without_its_letters() -> None:
    latin = SCRIPT_OF["en"]
    assert not _needs_a_letter(sre_parse.parse(r"\bfeather|\d{4}"), lambda c: latin.fullmatch(c) is not None)
    assert not _needs_a_letter(sre_parse.parse(r"(?:pillow)?!"), lambda c: latin.fullmatch(c) is not None)
    assert _needs_a_letter(sre_parse.parse(r"\b(?:goose|duck)[- ]?down"), lambda c: latin.fullmatch(c) is not None)


def test_a_post_in_two_writing_systems_is_read_with_both_tables() -> None:
    found = {p.evidence for p in extract_preferences("I'm vegetarian. 另外我对花生过敏 แพ้กุ้งค่ะ")}
    assert {"en.dietary.vegetarian"} <= found and any(e.startswith("zh.") for e in found) \
        and any(e.startswith("th.") for e in found)


@pytest.mark.parametrize("text", [
    "a" * 100_000,
    "allergic to " * 8_500,
    "do you have feather pillows " * 3_600,
    "do you have feather pillows? " * 3_500,
    "不" * 100_000,
    "我对花生" * 25_000,
    "หมอนขนนกไหม" * 9_000,
    "call me " + "x" * 100_000,
    "?" * 100_000,
])
def test_a_pathological_100kb_post_is_read(text: str) -> None:
    found = extract_preferences(text)
    assert all((p.kind, p.value) in VOCABULARY for p in found)
    if "feather" in text:
        assert [(p.kind, p.value, p.confidence) for p in found] == [("pillow", "feather", 0.55)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
       st.sampled_from([None, "en", "zh", "zh-Hant", "th", "xx"]))
def test_random_text_never_raises_and_stays_in_the_vocabulary(text: str, language: str | None) -> None:
    found = extract_preferences(text, language)
    assert len({(p.kind, p.value) for p in found}) == len(found)
    for preference in found:
        assert (preference.kind, preference.value) in VOCABULARY
        assert 0 < preference.confidence <= 1
        assert preference.evidence in {row.id for row in PATTERNS}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["feather pillow", "I always", "don't", "?", "。", "我", "不要", "ไม่", "ขอ", " ",
                                 "my wife", "羽毛枕", "หมอนขนนก", "please", "call me", "after 6pm", ","]), max_size=30))
def test_random_phrases_from_the_cues_never_raise(parts: list[str]) -> None:
    assert all((p.kind, p.value) in VOCABULARY for p in extract_preferences("".join(parts)))

