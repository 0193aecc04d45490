"""The reply guard: the last check before anything is sent to a customer.

`check` refuses a reply that would embarrass the brand or break a platform rule, and says why in
short stable codes ("placeholder: …", "length: …"). It never edits the reply: a reply that is too
long is refused, not cut (cutting once sent "热线：400-82…").

How the platforms count, as found in their published rules:
- X counts with twitter-text's version 3 configuration (twitter/twitter-text, config/v3.json): the
  text is NFC-normalised; code points in 0–4351, 8192–8205, 8208–8223 and 8242–8247 weigh 1 and
  every other one (CJK, emoji) weighs 2; an emoji sequence (skin tone, ZWJ family, flag, keycap)
  weighs 2 in all; every URL weighs 23, the length of the t.co link that replaces it; a post may
  weigh 280.
- Weibo's comment API (open.weibo.com/wiki/2/comments/create) takes at most 140 Chinese characters.
  Its counter, as client developers have reimplemented it from Weibo's web page, gives a character
  from U+0000–U+00FF (Latin letters, digits, ASCII punctuation) half a character and anything else a
  whole one, rounding the total up: two Latin letters cost one Chinese character. A link is
  shortened to t.cn and costs 10 characters (a t.cn link counts as written; a link over 140
  half-characters costs its excess on top).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from heed.contracts.events import Category, Channel, HandlingMode
from heed_responder.domain.regional import off_script

# Characters a public reply may hold on each channel, counted the channel's way.
PUBLIC_LIMITS: dict[str, int] = {
    Channel.X: 280, Channel.WEIBO: 140, Channel.INSTAGRAM: 2200, Channel.FACEBOOK: 8000,
    Channel.LINKEDIN: 1250, Channel.WECHAT: 600, Channel.WHATSAPP: 4096, Channel.MESSENGER: 2000,
    Channel.API: 2000,  # Heed's own API: no platform limit, so the common direct-message size
}

# Characters a private message may hold.
PRIVATE_LIMITS: dict[str, int] = {
    Channel.X: 10000, Channel.MESSENGER: 2000, Channel.WHATSAPP: 4096, Channel.WECHAT: 600,
    Channel.INSTAGRAM: 1000, Channel.FACEBOOK: 2000, Channel.API: 2000,
    # Unconfirmed: no published limit was found for Weibo private messages; a comment's 140 is the
    # one rule known to hold, so a private message is held to it too.
    Channel.WEIBO: 140,
    # Unconfirmed for LinkedIn messages: held to the public limit.
    Channel.LINKEDIN: 1250,
}

# Channels whose length is not a count of code points.
WEIGHTED_CHANNELS = frozenset({Channel.X.value, Channel.WEIBO.value})

# twitter-text v3: code point ranges that weigh one character; all others weigh two.
X_LIGHT_RANGES: tuple[tuple[int, int], ...] = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
X_URL_LENGTH = 23

# Weibo, in half-characters: a link costs 20 up to 140 of its own; links on Weibo's own hosts cost
# what they are written as up to 41.
WEIBO_LINK_COST = 20
WEIBO_LINK_FREE_UP_TO = 140
WEIBO_OWN_LINK_AS_WRITTEN_UP_TO = 41

NEGATIVE_SENTIMENT = -0.2

# The shortest customer value worth looking for in a reply: shorter ones match by chance (a year).
PII_MIN_LENGTH = 5

_URL = re.compile(r"https?://[!-~]+", re.IGNORECASE)
_URL_TRAILING = ".,!?;:'\")]}"
# A bare domain X turns into a link (twitter-text needs no scheme); the common top-level domains.
_BARE_DOMAIN = re.compile(
    r"(?<![\w@./:-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    r"(?:com|net|org|info|biz|io|co|app|dev|me|ai|ly|gl|gg|tv|cc|xyz|shop|store|online|site|top|vip|"
    r"cn|hk|tw|mo|th|sg|my|jp|kr|uk|us|de|fr|au|ca|in|id|ph|vn)"
    r"(?![a-z0-9-])(?:/[!-~]*)?",
    re.IGNORECASE,
)
_EMOJI_PART = (
    r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2300-\u23FF\u2B00-\u2BFF]"
    r"(?:\uFE0F|[\U0001F3FB-\U0001F3FF]|[\U000E0020-\U000E007F])*"
)
_EMOJI_SEQUENCE = re.compile(
    r"[\U0001F1E6-\U0001F1FF]{2}"  # a flag: two regional indicators
    r"|[0-9#*]\uFE0F?\u20E3"  # a keycap
    r"|[\u00A9\u00AE\u203C\u2049\u2122\u2139\u2194-\u2199]\uFE0F"  # a symbol asked to show as emoji
    rf"|{_EMOJI_PART}(?:\u200D{_EMOJI_PART})*"
)
_X_ENTITY = re.compile(
    f"(?P<url>{_URL.pattern})|(?P<domain>{_BARE_DOMAIN.pattern})|(?P<emoji>{_EMOJI_SEQUENCE.pattern})",
    re.IGNORECASE,
)
_WEIBO_OWN_HOST = re.compile(r"https?://(?:t\.sina\.com\.cn|t\.sina\.cn|weibo\.com|weibo\.cn)", re.IGNORECASE)
_WEIBO_SHORT_LINK = re.compile(r"https?://t\.cn/", re.IGNORECASE)

# Template leftovers: Jinja2, str.format, $-substitution, <angle>, printf and [[double bracket]].
# Chosen so that ordinary text is not caught: "$5" and "$TSLA" (a cashtag), "20%", "I <3 you".
PLACEHOLDERS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL),
    re.compile(r"\{\s*[^\W\d]\w*(?:\.\w+|\[\w+\])*\s*(?:![rsa])?(?::[^{}]*)?\}|\{\d*\}"),
    re.compile(r"\$\{[^}]*\}|(?<![\w$])\$[a-z_][a-z0-9_]*"),
    re.compile(r"<[^\W\d]\w*(?:[ -]\w+){0,3}>"),
    re.compile(r"%\(\w+\)[sdifr]|(?<![\w%])%[sd](?!\w)"),
    re.compile(r"\[\[[^\]]*\]\]|__[A-Z][A-Z0-9_]*__"),
    re.compile(r"\{\{|\}\}|\{%|%\}"),  # half a Jinja2 tag: a broken template
)

# Thanks and praise wording, wrong in an automatic reply to an unhappy customer.
THANKS_FOR_PRAISE = re.compile(
    r"thank(?:s| you) so much|made our day|kind words|\byour approval\b|glad you (?:liked|loved|enjoyed)"
    r"|happy to hear you|means a lot to us"
    r"|(?:感谢|感謝|谢谢|謝謝|多谢|多謝).{0,16}?(?:肯定|好评|好評|赞扬|讚揚|赞美|讚美|表扬|表揚|鼓励|鼓勵)"
    r"|(?:您|你)的(?:肯定|鼓励|鼓勵|好评|好評|赞美|讚美)"
    r"|ขอบคุณ.{0,40}?คำชม|คำชม|ชื่นชม",
    re.IGNORECASE | re.DOTALL,
)

# Wording that promises an answer to a question.
ANSWER_PROMISE = re.compile(
    r"answer your question|answer (?:right )?here|will (?:answer|get back to you|respond)"
    r"|thanks for asking|(?:为|為)您解答|解答您的|回复您的问题|回覆您的問題|ตอบกลับที่นี่|ตอบคำถาม|ที่สอบถาม",
    re.IGNORECASE,
)

APOLOGY = re.compile(r"\bsorry\b|\bapologi[sz]e|\bapologies\b|抱歉|对不起|對不起|不便|ขออภัย|ขอโทษ", re.IGNORECASE)

# A reply that sends the customer to private messages.
MOVE_TO_PRIVATE = re.compile(
    r"private message|direct message|\bDMs?\b|continue there|check your inbox|sent you a (?:private|direct)"
    r"|私信|私訊|私讯|私聊|站内信|站內信|ข้อความส่วนตัว|ทักแชท|อินบ็อกซ์|\binbox\b",
    re.IGNORECASE,
)

# Old character forms a Traditional reply must never carry (see regional.py).
NEVER_IN_TRADITIONAL = ("爲", "裏")

# What a post without words is made of, besides punctuation, symbols and spaces.
_MENTION = re.compile(r"@[A-Za-z0-9_.\-]+|@[^\s@]{1,30}(?=[\s:：])")
_HASHTAG = re.compile(r"#[^#\n]{1,40}#|#\w+")
_REPLACEMENT = "\ufffd"

_PII_SEPARATORS = re.compile(r"[\s\-–—.()（）/+]")


@dataclass(frozen=True)
class GuardInput:
    """A reply about to be sent, with what the guard needs to know about it and its post."""

    text: str
    channel: str
    private: bool  # the reply goes out as a private message
    automatic: bool  # a template reply, not an agent's answer
    mode: str  # a HandlingMode value
    category: str | None  # a Category value
    sentiment: float | None  # -1 … 1
    sales_lead: bool
    post_text: str
    post_private: bool  # the customer wrote in private
    script: str | None  # "Hans", "Hant" or None: the script the reply must be in
    customer_pii: Sequence[str] = ()  # phones, emails, order numbers the customer wrote
    protected: Sequence[str] = ()  # name, handle, quotes: as the customer wrote them, in any script


@dataclass(frozen=True)
class Verdict:
    """Whether a reply may go out, and every reason it may not."""

    ok: bool
    reasons: tuple[str, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """The reasons' codes ("placeholder", "length", …), in order."""
        return tuple(reason.split(":", 1)[0] for reason in self.reasons)


def _known_channel(channel: str) -> str:
    if channel not in PUBLIC_LIMITS:
        known = ", ".join(sorted(PUBLIC_LIMITS))
        raise ValueError(f"unknown channel {channel!r}: expected one of {known}")
    return str(channel)


# the characters outside X's light ranges: a text weighs its length plus one per such character
_X_HEAVY = re.compile("[^" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in X_LIGHT_RANGES) + "]")


def _x_weights(text: str) -> int:
    return len(text) + len(_X_HEAVY.findall(text))


def _x_length(text: str) -> int:
    text = unicodedata.normalize("NFC", text)
    total = 0
    pos = 0
    for match in _X_ENTITY.finditer(text):
        total += _x_weights(text[pos:match.start()])
        entity = match.group()
        if match.lastgroup == "url":
            body = entity.rstrip(_URL_TRAILING)
            total += X_URL_LENGTH + _x_weights(entity[len(body):])
        elif match.lastgroup == "domain":
            # X may or may not link a bare domain; the larger count is the safe one.
            total += max(X_URL_LENGTH, _x_weights(entity))
        else:
            total += 2
        pos = match.end()
    return total + _x_weights(text[pos:])


_WIDE = re.compile("[^\\u0000-\\u00ff]")


def _weibo_units(text: str) -> int:
    return len(text) + len(_WIDE.findall(text))


def _weibo_length(text: str) -> int:
    half_characters = 0
    pos = 0
    for match in _URL.finditer(text):
        half_characters += _weibo_units(text[pos:match.start()])
        link = match.group()
        units = _weibo_units(link)
        if _WEIBO_SHORT_LINK.match(link):
            half_characters += units
        elif _WEIBO_OWN_HOST.match(link) and units <= WEIBO_OWN_LINK_AS_WRITTEN_UP_TO:
            half_characters += units
        elif units <= WEIBO_LINK_FREE_UP_TO:
            half_characters += WEIBO_LINK_COST
        else:
            half_characters += units - WEIBO_LINK_FREE_UP_TO + WEIBO_LINK_COST
        pos = match.end()
    half_characters += _weibo_units(text[pos:])
    return math.ceil(half_characters / 2)


def platform_length(text: str, channel: str) -> int:
    """The length of `text` as `channel` counts it against its limit (code points where not weighted)."""
    channel = _known_channel(channel)
    if channel == Channel.X:
        return _x_length(text)
    if channel == Channel.WEIBO:
        return _weibo_length(text)
    return len(text)


def platform_limit(channel: str, private: bool) -> int:
    """The most a reply on `channel` may hold, public or private, in platform_length's units."""
    channel = _known_channel(channel)
    return PRIVATE_LIMITS[channel] if private else PUBLIC_LIMITS[channel]


def fits(text: str, channel: str, private: bool) -> bool:
    """Whether `text` may be sent whole on `channel`; a reply that does not fit is refused, never cut."""
    return platform_length(text, channel) <= platform_limit(channel, private)


_MAY_HOLD_PLACEHOLDER = re.compile(r"[{}$<%\[_]")


def _placeholders(text: str) -> list[str]:
    if not _MAY_HOLD_PLACEHOLDER.search(text):
        return []  # every placeholder form needs one of these characters
    found: list[str] = []
    remaining = text
    for pattern in PLACEHOLDERS:
        found.extend(pattern.findall(remaining))
        # a complete tag is reported once, not again as a broken half
        remaining = pattern.sub(" ", remaining)
    return list(dict.fromkeys(found))


def _is_mojibake(text: str) -> bool:
    """Whether `text` is UTF-8 bytes that were decoded as Latin-1 or Windows-1252 ("æˆ‘" for 我)."""
    raw = bytearray()
    for char in text:
        if ord(char) < 0x100:
            raw.append(ord(char))
            continue
        try:
            raw.extend(char.encode("cp1252"))
        except UnicodeEncodeError:
            return False
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return decoded != text


def readable(post: str) -> bool:
    """Whether a post has words to answer: not only links, mentions, hashtags, emoji and punctuation,
    and not mojibake or mostly replacement characters."""
    text = _HASHTAG.sub(" ", _MENTION.sub(" ", _BARE_DOMAIN.sub(" ", _URL.sub(" ", post))))
    letters = [c for c in text if unicodedata.category(c)[0] in "LN"]
    if not letters:
        return False
    visible = [c for c in post if not c.isspace()]
    if post.count(_REPLACEMENT) * 5 >= len(visible):
        return False
    return not _is_mojibake(post)


def _digits_runs(text: str) -> list[str]:
    """Runs of digits, read through the spaces and dashes people put in phone numbers."""
    return re.findall(r"\d+", _PII_SEPARATORS.sub("", unicodedata.normalize("NFKC", text)))


def _compact(text: str) -> str:
    return _PII_SEPARATORS.sub("", unicodedata.normalize("NFKC", text).casefold())


def _repeats_pii(reply: str, values: Sequence[str]) -> bool:
    reply_runs = _digits_runs(reply)
    reply_compact = _compact(reply)
    for value in values:
        compact = _compact(value)
        if len(compact) < PII_MIN_LENGTH:
            continue
        if compact.isdigit():
            # a phone with or without its country code: "+86 138 0013 8000" and "13800138000"
            if any(compact in run or (len(run) >= 7 and compact.endswith(run)) for run in reply_runs):
                return True
        elif compact in reply_compact:
            return True
    return False


def _without(text: str, protected: Sequence[str]) -> str:
    for value in sorted({p for p in protected if p}, key=len, reverse=True):
        text = text.replace(value, " ")
    return text


def check(inp: GuardInput) -> Verdict:
    """Every reason `inp.text` must not be sent; ok when there is none.

    Every reply: no template leftover; within the platform's limit as the platform counts; in the
    required script (protected strings aside); no customer's phone, email or number in public; no
    "move to private messages" to a customer who already wrote in private.
    Automatic replies only, where an agent's judgement may differ: no thanks or praise to an unhappy
    customer, no answer promised to praise, no apology to a sales lead, no public reply to a post
    without words.
    """
    reasons: list[str] = []
    text = inp.text

    leftovers = _placeholders(text)
    if leftovers:
        reasons.append(f"placeholder: {', '.join(leftovers)} left unfilled")

    length = platform_length(text, inp.channel)
    limit = platform_limit(inp.channel, inp.private)
    if length > limit:
        unit = "weighted characters" if inp.channel in WEIGHTED_CHANNELS else "characters"
        kind = "private message" if inp.private else "public reply"
        reasons.append(f"length: {length} of {limit} {unit} on {inp.channel} ({kind})")

    if inp.script in ("Hans", "Hant"):
        own_text = _without(text, inp.protected)
        foreign = off_script(own_text, inp.script)
        if foreign:
            other = "Simplified" if inp.script == "Hant" else "Traditional"
            reasons.append(f"script: {''.join(foreign)} written in {other} in a {inp.script} reply")
        if inp.script == "Hant":
            old = [c for c in NEVER_IN_TRADITIONAL if c in own_text]
            if old:
                reasons.append(f"variant: {''.join(old)} is not written in Hong Kong or Taiwan (為, 裡)")

    if not inp.private and inp.customer_pii and _repeats_pii(text, inp.customer_pii):
        # the value itself is not repeated here: reasons reach logs
        reasons.append("pii: a phone number, email or reference the customer wrote, repeated in public")

    if inp.post_private and MOVE_TO_PRIVATE.search(text):
        reasons.append("private-handoff: asks to move to private messages, but the customer wrote in private")

    if inp.automatic:
        unhappy = inp.category == Category.COMPLAINT or (
            inp.sentiment is not None and inp.sentiment <= NEGATIVE_SENTIMENT)
        if unhappy and THANKS_FOR_PRAISE.search(text):
            reasons.append("thanks: praise-style thanks to an unhappy customer")
        if inp.category == Category.PRAISE and (inp.mode == HandlingMode.ANSWER or ANSWER_PROMISE.search(text)):
            reasons.append("promise: an answer promised to praise, which asked nothing")
        if (inp.sales_lead or inp.category == Category.SALES_LEAD) and APOLOGY.search(text):
            reasons.append("apology: an apology to a sales lead")
        if not inp.private and not readable(inp.post_text):
            reasons.append("empty-post: a public reply to a post with nothing to read")

    return Verdict(ok=not reasons, reasons=tuple(reasons))
