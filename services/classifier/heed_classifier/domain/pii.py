"""Personal data found in a post: kinds only (phone, email, card_number, id_number, order_number,
booking_reference).

Found PII forces private handling; the values themselves never leave this function.

Every script: digits are folded to ASCII first (full-width ０-９, Thai ๐-๙, Arabic-Indic, and the
full-width forms of letters, `＠`, `＃`, `：`, `－` and the ideographic space), one character for one,
so `１３８-１２３４-５６７８` and `๐๘๑-๒๓๔-๕๖๗๘` are phones like their ASCII spelling; e-mail
addresses may have Chinese or Thai local parts and domains; order and booking words are in en,
zh (both scripts), th, ja, ko, fr, es, de, ms, id and vi. Validated where a checksum exists: Luhn
for cards, the check digit of Chinese (GB 11643), Thai, Hong Kong and Taiwan id numbers.

Linear time, by construction: the scan reads at most SCAN_CHARS characters whatever the post's
length, and every pattern's repetitions are bounded and none holds another, so one match attempt
reads at most the pattern's longest match (≤ WINDOW_CHARS) from each start: at most SCAN_CHARS ×
WINDOW_CHARS character reads per pattern, a constant (`read_bound`). tests/unit/classifier/
test_pii_linear.py parses the patterns to hold this. Unbounded repetitions backtracked: "order"
and 4,000 spaces took 130 s (three `\\s*` around optional parts, cubic), 4,000 letters without an
"@" 8 ms (each start re-read the run to its end, quadratic).
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


def _fold_table() -> dict[int, str]:
    table = {0xFF01 + i: chr(0x21 + i) for i in range(0x5E)}  # full-width ASCII: ０ → 0, ＡＢ → AB, ＠ → @
    table[0x3000] = " "  # the ideographic space
    for zero in (0x0E50, 0x0660, 0x06F0, 0x0966):  # Thai, Arabic-Indic, Persian, Devanagari digits
        table.update({zero + d: str(d) for d in range(10)})
    return table


FOLD = _fold_table()  # one character for one: positions and lengths are kept

# A search asks only whether there is an address: the last character of the local part and two
# letters of the top-level domain decide it. A domain has at most 253 characters (DNS). Letters of
# any script, and Thai's combining vowels and tone marks, which are no word characters to `\w`.
_EMAIL = re.compile(r"[\w.%+\u0e00-\u0e7f-]@[\w.\u0e00-\u0e7f-]{1,250}\.[^\W\d_]{2}")
# Chinese mobiles (+86); Chinese landlines with an area code (010-12345678); Thai mobiles and
# landlines (081-234-5678, 02-123-4567) and other local numbers with a trunk 0 and separators
# (Japan 03-1234-5678, Korea 010-1234-5678); Taiwan mobiles (0912-345-678); international forms,
# also in pairs (+33 6 12 34 56 78) and French local pairs; North American forms
# The lookahead names the characters a phone can start with, so the engine skips every other
# position at once instead of trying seven alternatives there (ten times faster on the mix).
_PHONE = re.compile(
    r"(?=[0-9+(])(?:"
    r"(?<!\d)(?:\+86[- ]|\+86|86[- ]|86)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"
    r"|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)"
    r"|(?<!\d)0[689]\d[- ]?\d{3}[- ]?\d{4}(?!\d)"
    r"|(?<!\d)0\d{1,3}[- ]\d{3,4}[- ]\d{4}(?!\d)"
    r"|(?<!\d)09\d{2}[- ]?\d{3}[- ]?\d{3}(?!\d)"
    r"|(?<![\w])\+\d{1,3}[- ]?\(?\d{1,4}\)?[- ]?\d{3,4}[- ]?\d{3,4}(?!\d)"
    r"|(?<![\w])\+\d{1,3}[ .]\d[ .]\d{2}[ .]\d{2}[ .]\d{2}[ .]\d{2}(?!\d)"  # +33 6 12 34 56 78
    r"|(?<!\d)0\d[ .]\d{2}[ .]\d{2}[ .]\d{2}[ .]\d{2}(?!\d)"
    r"|(?<!\d)\(?\d{3}\)?[- .]\d{3}[- .]\d{4}(?!\d))")
# 13 to 19 digits, one space or dash allowed between two of them
_CARD = re.compile(r"(?<!\d)\d(?:\d|[ -]\d){12,18}(?!\d)")
_CN_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
# Thai national id: 13 digits, as written on the card 1-2345-67890-12-3 or run together
_TH_ID = re.compile(r"(?<!\d)\d[ -]?\d{4}[ -]?\d{5}[ -]?\d{2}[ -]?\d(?!\d)")
# Hong Kong identity card A123456(7), and Taiwan's A123456789
_HK_ID = re.compile(r"(?<![A-Za-z0-9])[A-Z]{1,2}\d{6}(?:\([0-9A]\)|[0-9A])(?![0-9A-Za-z])")
_TW_ID = re.compile(r"(?<![A-Za-z0-9])[A-Z][12]\d{8}(?!\d)")
# An order or booking word, a gap, an optional "no."/"#"/colon, and a reference that has a digit
# (after at most eight letters): "my order never arrived" names no order. Possessive gaps
# (`{0,16}+`): what follows a gap never starts with whitespace, so giving some back could not help
# a match, and without it the three gaps backtracked against each other.
_ORDER_WORDS = (
    "order|ord|invoice|tracking|订单|訂單|单号|單號|发票|發票|运单|運單|คำสั่งซื้อ|ออเดอร์|พัสดุ|注文|주문"
    "|commande|pedido|bestellung|pesanan|đơn hàng")
_BOOKING_WORDS = (
    "booking|reservation|confirmation|conf|reference|ref|pnr|预订|預訂|订房|訂房|确认号|確認號"
    "|การจอง|เลขที่จอง|หมายเลขการจอง|予約|예약|réservation|reserva|buchung|tempahan|pemesanan|đặt phòng")
# the gap, an optional "no."/"#"/colon, and a reference with a digit after at most eight letters
_REFERENCE = (r"\s{0,16}+(?:no\.|no|nº|n°|n\.º|nr\.|nr|number|num|code|id|#|号|號|编号|編號|番号|번호"
              r"|เลขที่)?"
              r"\s{0,16}+[:#]?\s{0,16}+[A-Za-z-]{0,8}\d[A-Za-z0-9-]{3}")
_ORDER = re.compile(rf"(?<![A-Za-z])(?:{_ORDER_WORDS}){_REFERENCE}", re.IGNORECASE)
_BOOKING = re.compile(rf"(?<![A-Za-z])(?:{_BOOKING_WORDS}){_REFERENCE}", re.IGNORECASE)
_NOT_DIGIT = re.compile(r"\D")
_DIGIT = re.compile(r"\d")
_PATTERNS = (_EMAIL, _PHONE, _CARD, _CN_ID, _TH_ID, _HK_ID, _TW_ID, _ORDER, _BOOKING)


def read_bound(length: int) -> int:
    """At most how many characters the scan of a text of `length` reads: each pattern tries each
    start of the scanned opening and reads at most its longest match from it (the proof of
    linearity, made a number: it stops growing at SCAN_CHARS)."""
    scanned = min(length, SCAN_CHARS)
    return scanned + sum(scanned * (_longest(p) + 1) for p in _PATTERNS)


def _longest(pattern: re.Pattern[str]) -> int:
    import re._parser as sre_parse  # the parser the re module compiles with (Python ≥ 3.11)

    return int(sre_parse.parse(pattern.pattern, pattern.flags).getwidth()[1])


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


def thai_id_valid(digits: str) -> bool:
    """The check digit of a Thai national id: 11 − (Σ dᵢ·(13 − i)) mod 11, its last digit."""
    if len(digits) != 13 or digits[0] == "0":
        return False
    total = sum(int(d) * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == int(digits[12])


def hk_id_valid(value: str) -> bool:
    """The check digit of a Hong Kong identity card (A123456(3)): Σ weights mod 11, A for 10."""
    plain = value.replace("(", "").replace(")", "")
    letters, digits, check = plain[:-7], plain[-7:-1], plain[-1]
    values = ([36] if len(letters) == 1 else []) + [ord(c) - 55 for c in letters] + [int(d) for d in digits]
    total = sum(v * w for v, w in zip(values, range(9, 1, -1), strict=True))
    expected = (11 - total % 11) % 11
    return check == ("A" if expected == 10 else str(expected))


_TW_LETTERS = {c: n for c, n in zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36), strict=True)}


def tw_id_valid(value: str) -> bool:
    """The check digit of a Taiwan national id (A123456789)."""
    n = _TW_LETTERS.get(value[0])
    if n is None:
        return False
    digits = [n // 10, n % 10] + [int(d) for d in value[1:]]
    weights = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)
    return sum(d * w for d, w in zip(digits, weights, strict=True)) % 10 == 0


def find_pii(text: str) -> list[str]:
    """Kinds of PII in the first SCAN_CHARS characters of `text`, sorted; never the values."""
    text = text[:SCAN_CHARS].translate(FOLD)
    kinds = set()
    if "@" in text and _EMAIL.search(text):
        kinds.add("email")
    if not _DIGIT.search(text):  # every other kind has a digit: most posts stop here
        return sorted(kinds)
    ids: set[str] = set()  # the digits of id numbers found, which are no card number
    for match in _CN_ID.finditer(text):
        if _cn_id_valid(match.group()):
            kinds.add("id_number")
            ids.add(match.group())
    for match in _TH_ID.finditer(text):
        digits = _NOT_DIGIT.sub("", match.group())
        if thai_id_valid(digits):
            kinds.add("id_number")
            ids.add(digits)
    if any(hk_id_valid(m.group()) for m in _HK_ID.finditer(text)) or any(
            tw_id_valid(m.group()) for m in _TW_ID.finditer(text)):
        kinds.add("id_number")
    for match in _CARD.finditer(text):
        digits = _NOT_DIGIT.sub("", match.group())
        if digits not in ids and _luhn(digits):
            kinds.add("card_number")
    if _PHONE.search(text):
        kinds.add("phone")
    if _ORDER.search(text):
        kinds.add("order_number")
    if _BOOKING.search(text):
        kinds.add("booking_reference")
    return sorted(kinds)
