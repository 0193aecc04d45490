"""A cue table finds exactly what searching for each cue alone finds: every non-word cue the
text holds (overlapping ones too), in table order, and the longest whole word at each place."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from heed_classifier.domain import lexicon
from heed_classifier.domain.classifier import BUCKETS, Cues, _bucket


def _plainly(cues: list[str], text: str) -> list[str]:
    """The cue search written out, one cue at a time: what the prefix-tree table must equal."""
    words = [c for c in cues if c.isascii() and any(ch.isalpha() for ch in c)]
    others = [c for c in cues if c not in words]
    found = [c for bucket in BUCKETS for c in others if _bucket(c) == bucket and c in text]
    if words:
        alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        found += re.findall(rf"(?<![a-z])(?:{alternation})(?![a-z])", text)
    return found


_ALPHABET = "ab d-'.?*退款慢快差ร้านดีçé 1"  # Latin words, Han, Thai, accented, digits, regex metacharacters


@settings(max_examples=400, deadline=None)
@given(cues=st.lists(st.text(_ALPHABET, min_size=1, max_size=5), min_size=1, max_size=12, unique=True),
       texts=st.lists(st.text(_ALPHABET, max_size=24), min_size=1, max_size=6))
def test_a_table_finds_what_each_cue_alone_finds(cues: list[str], texts: list[str]):
    table = Cues(cues)
    for text in texts:
        assert table.found_in(text) == _plainly(cues, text), (cues, text)


def test_the_shipped_tables_find_what_each_cue_alone_finds_in_texts_made_of_their_cues():
    tables = {**{f"category {k}": v for k, v in lexicon.CATEGORY_CUES.items()},
              **{f"issue {k}": v for k, v in lexicon.ISSUE_CUES.items()},
              "positive": lexicon.POSITIVE, "negative": lexicon.NEGATIVE, "critical": lexicon.CRITICAL_CUES,
              "repeat": lexicon.REPEAT_CUES, "complex": lexicon.COMPLEX_CUES}
    checked = 0
    for name, cues in tables.items():
        cues = list(cues)
        table = Cues(cues)
        for i, cue in enumerate(cues):
            neighbour = cues[(i * 7 + 3) % len(cues)]
            for text in (cue, f"x{cue}y", f"the {cue}, {neighbour}!", f"{neighbour}{cue}", f"no{cue}s"):
                folded = text.casefold()
                assert table.found_in(folded) == _plainly(cues, folded), (name, folded)
                checked += 1
    assert checked > 1000
