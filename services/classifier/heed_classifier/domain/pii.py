"""Personal data found in a post: kinds only (phone, email, card, national id, order number).

Found PII forces private handling; the values themselves never leave this function.

Every pattern runs in time linear in the text: each repetition has an upper bound and none holds
another, so one match attempt reads a bounded stretch in a bounded number of steps, whatever the
text (tests/unit/classifier/test_pii_linear.py parses the patterns to hold this). Unbounded
repetitions backtracked: "order" and 4,000 spaces took 130 s (three `\\s*` around optional parts,
cubic), 4,000 letters without an "@" 8 ms (each start re-read the run to its end, quadratic).
"""

from __future__ import annotations

import re

# The scan reads the opening of a post (the classifier's MAX_CHARS: every other decision reads the
# same opening) plus a window as long as the longest match, so a value that starts in the opening
# is read whole. The cap bounds the cost of one post whatever its length. PII only past it is not
# seen: a longer post goes private only if its opening has PII. That is the classifier's trade for
# every field, and the opening is the whole post on most channels (X 280, Weibo 2,000 characters).
OPENING_CHARS = 4000
# the longest text a pattern matches (an e-mail address from the last character of its local part:
# 1 + 1 + 250 + 1 + 2) and the one character after it that a lookahead reads
WINDOW_CHARS = 256
SCAN_CHARS = OPENING_CHARS + WINDOW_CHARS

# A search asks only whether there is an address: the last character of the local part and two
# letters of the top-level domain decide it. A domain has at most 253 characters (DNS).
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]@[A-Za-z0-9.-]{1,250}\.[A-Za-z]{2}")
# Chinese mobile numbers, Thai mobiles, and international/North American forms
_PHONE = re.compile(
    r"(?<!\d)(?:\+86[- ]|\+86|86[- ]|86)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"
    r"|(?<!\d)0[689]\d[- ]?\d{3}[- ]?\d{4}(?!\d)"
    r"|(?<![\w])\+\d{1,3}[- ]?\(?\d{1,4}\)?[- ]?\d{3,4}[- ]?\d{3,4}(?!\d)"
    r"|(?<!\d)\(?\d{3}\)?[- .]\d{3}[- .]\d{4}(?!\d)")
# 13 to 19 digits, one space or dash allowed between two of them
_CARD = re.compile(r"(?<!\d)\d(?:\d|[ -]\d){12,18}(?!\d)")
_CN_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
# Possessive whitespace (`{0,16}+`): what follows a gap never starts with whitespace, so giving
# some back could not help a match, and without it the three gaps backtracked against each other.
# Five characters of the number decide that there is one.
_ORDER = re.compile(
    r"(?:order|ord|订单|訂單|单号|單號|คำสั่งซื้อ|ออเดอร์)\s{0,16}+(?:no\.|no|number|#|号|號|编号|編號)?"
    r"\s{0,16}+[:：#]?\s{0,16}+[A-Za-z0-9-]{5}",
    re.IGNORECASE)
_NOT_DIGIT = re.compile(r"\D")


def _luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2 == 1:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    return total % 10 == 0


def _cn_id_valid(value: str) -> bool:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(c) * w for c, w in zip(value[:17], weights, strict=True)) % 11]
    return value[17].upper() == check


def find_pii(text: str) -> list[str]:
    """Kinds of PII in the first SCAN_CHARS characters of `text`, sorted; never the values."""
    text = text[:SCAN_CHARS]
    kinds = set()
    if _EMAIL.search(text):
        kinds.add("email")
    for match in _CN_ID.finditer(text):
        if _cn_id_valid(match.group()):
            kinds.add("id_number")
    for match in _CARD.finditer(text):
        digits = _NOT_DIGIT.sub("", match.group())
        if _luhn(digits) and "id_number" not in kinds:
            kinds.add("card_number")
    if _PHONE.search(text):
        kinds.add("phone")
    if _ORDER.search(text):
        kinds.add("order_number")
    return sorted(kinds)
