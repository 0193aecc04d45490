"""Personal data found in a post: kinds only (phone, email, card, national id, order number).

Found PII forces private handling; the values themselves never leave this function.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Chinese mobile numbers, Thai mobiles, and international/North American forms
_PHONE = re.compile(
    r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"
    r"|(?<!\d)0[689]\d[- ]?\d{3}[- ]?\d{4}(?!\d)"
    r"|(?<![\w])\+\d{1,3}[- ]?\(?\d{1,4}\)?[- ]?\d{3,4}[- ]?\d{3,4}(?!\d)"
    r"|(?<!\d)\(?\d{3}\)?[- .]\d{3}[- .]\d{4}(?!\d)")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){13,19}(?!\d)")
_CN_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_ORDER = re.compile(
    r"(?:order|ord|订单|訂單|单号|單號|คำสั่งซื้อ|ออเดอร์)\s*(?:no\.?|number|#|号|號|编号|編號)?\s*[:：#]?\s*[A-Za-z0-9-]{5,}",
    re.IGNORECASE)


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
    """Kinds of PII in `text`, sorted; never the values."""
    kinds = set()
    if _EMAIL.search(text):
        kinds.add("email")
    for match in _CN_ID.finditer(text):
        if _cn_id_valid(match.group()):
            kinds.add("id_number")
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn(digits) and "id_number" not in kinds:
            kinds.add("card_number")
    if _PHONE.search(text):
        kinds.add("phone")
    if _ORDER.search(text):
        kinds.add("order_number")
    return sorted(kinds)
