"""The PII scan costs time linear in a post's length, held by the patterns' structure, not a clock.

A pattern whose repetitions are all bounded, none inside another, reads a bounded stretch per
match attempt, so a scan costs at most a constant times the text's length; the scan itself stops
at `SCAN_CHARS`.
"""

from __future__ import annotations

import re
import re._constants as sre
import re._parser as sre_parse
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from heed_classifier.domain import MAX_CHARS, pii
from heed_classifier.domain.pii import OPENING_CHARS, SCAN_CHARS, WINDOW_CHARS, find_pii

PATTERNS = {name: value for name, value in vars(pii).items() if isinstance(value, re.Pattern)}
REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def _children(op: Any, av: Any) -> list[Any]:
    """The sub-patterns held by one parsed node."""
    if op in REPEATS:
        return [av[2]]
    if op is sre.SUBPATTERN:
        return [av[3]]
    if op is sre.BRANCH:
        return list(av[1])
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        return [av[1]]
    if op is sre.ATOMIC_GROUP:
        return [av]
    if op is sre.GROUPREF_EXISTS:
        return [av[1]] + ([av[2]] if av[2] is not None else [])
    return []


def _repeats(tree: Any) -> list[tuple[Any, Any]]:
    """Every repetition in a parsed pattern, outermost first."""
    found = []
    for op, av in tree:
        if op in REPEATS:
            found.append((op, av))
        for child in _children(op, av):
            found += _repeats(child)
    return found


def quadratic_risks(pattern: str, flags: int = 0) -> list[str]:
    """What in `pattern` can make a scan cost more than linear time; empty when nothing can."""
    risks = []
    for _op, (low, high, body) in _repeats(sre_parse.parse(pattern, flags)):
        if high == sre.MAXREPEAT:
            risks.append(f"unbounded repetition {{{low},}}")
        if _repeats(body):
            risks.append("a repetition inside a repetition")
    return risks


def test_the_check_finds_the_patterns_that_backtracked():
    # the e-mail and order patterns before the fix: quadratic and cubic on crafted posts
    assert quadratic_risks(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
    assert quadratic_risks(r"(?:order|ord)\s*(?:no\.?|number|#)?\s*[:：#]?\s*[A-Za-z0-9-]{5,}")
    assert quadratic_risks(r"(?<!\d)(?:\d[ -]?){13,19}(?!\d)") == ["a repetition inside a repetition"]
    assert not quadratic_risks(r"(?<!\d)\d(?:\d|[ -]\d){12,18}(?!\d)")


def test_every_pattern_has_bounded_unnested_repetitions_and_a_match_fits_the_window():
    assert {"_EMAIL", "_PHONE", "_CARD", "_CN_ID", "_ORDER"} <= set(PATTERNS)
    for name, pattern in PATTERNS.items():
        assert quadratic_risks(pattern.pattern, pattern.flags) == [], name
        _, longest = sre_parse.parse(pattern.pattern, pattern.flags).getwidth()
        # a value that starts inside the opening is read whole, with the character after it
        assert longest + 1 <= WINDOW_CHARS, name


def test_the_scan_covers_what_the_classifier_reads():
    assert OPENING_CHARS == MAX_CHARS
    assert SCAN_CHARS == OPENING_CHARS + WINDOW_CHARS


SAMPLES = ["amy.lee@example.com", "138-1234-5678", "+86 13812345678", "4111 1111 1111 1111",
           "11010519491231002X", "order #A12345", "订单号：202311230001", "(415) 555-0100", "0812345678"]


@settings(max_examples=150, deadline=None)
@given(head=st.text(max_size=40), filler=st.sampled_from(["a", " ", "1", "1 ", "@", "a.", "order "]),
       sample=st.sampled_from(SAMPLES), offset=st.integers(-60, 400), tail=st.text(max_size=40))
def test_the_kinds_found_depend_only_on_the_scanned_opening(head, filler, sample, offset, tail):
    # PII placed around and past the cap, after a crafted run: nothing past SCAN_CHARS changes the answer
    body = head + filler * ((SCAN_CHARS + offset - len(head)) // len(filler) + 1)
    text = body[:SCAN_CHARS + offset] + sample + tail
    assert find_pii(text) == find_pii(text[:SCAN_CHARS])


def test_pii_in_the_opening_after_a_crafted_run_is_still_found():
    assert find_pii("a" * 3900 + "@example.com") == ["email"]
    assert find_pii("order" + " " * 16 + "A12345") == ["order_number"]
    assert find_pii("x" * 3990 + " 13812345678") == ["phone"]
    # a card number that starts in the opening and ends past it is read whole
    assert find_pii("x" * (OPENING_CHARS - 5) + " 4111 1111 1111 1111 thanks") == ["card_number"]


def test_crafted_posts_find_nothing_where_there_is_nothing():
    for crafted in ("order" + " " * 3995, "1" * 4000, "1 " * 2000, "1-" * 2000, "@" * 4000, "a." * 2000,
                    "a" * 4000, "a@" * 2000, "+1 " * 1333, "(123) " * 666):
        kinds = find_pii(crafted)
        assert "email" not in kinds and "order_number" not in kinds, crafted[:12]
    # past the cap nothing is read: a 100,000-character post is answered from its opening
    assert find_pii("a" * 100_000 + " amy@example.com") == []
