"""The secure verification page's decisions, pure: which language the page speaks, what a submitted
form holds, whether it proves the customer's identity, and the per-page form token.

The link itself (signature, expiry) is `heed.secure_link`'s; single use and attempt counting need
the database and live in `handlers.submit_verification` over the `Verifications` port.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import parse_qs

from heed.contracts.events import CustomerVerified, derive_id
from heed.secure_link import LinkClaims

PAGE_LANGUAGES = ("en", "zh-Hans", "zh-Hant", "th")
DEFAULT_LANGUAGE = "en"
MAX_FORM_BYTES = 16 * 1024
MAX_DETAILS_CHARS = 4000
MAX_ORDER_CHARS = 64
# Chinese tags without a script say where the reader is; these regions read Traditional
_TRADITIONAL_REGIONS = {"tw", "hk", "mo"}


def choose_language(link_language: str | None, accept_language: str | None) -> str:
    """The link's language when it names one, else the browser's most preferred page language."""
    if link_language in PAGE_LANGUAGES:
        return link_language
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = _page_language(tag.strip())
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def _page_language(tag: str) -> str | None:
    parts = [p.lower() for p in tag.replace("_", "-").split("-") if p]
    if not parts:
        return None
    if parts[0] == "zh":
        if "hant" in parts or any(p in _TRADITIONAL_REGIONS for p in parts[1:]):
            return "zh-Hant"
        return "zh-Hans"
    return {"en": "en", "th": "th"}.get(parts[0])


def normalise_order_number(text: str) -> str:
    """An order number as typed or as a CRM holds it, compared without case, spaces or dashes."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(c for c in folded if c.isalnum())


def phone_digits(text: str) -> str:
    """The ASCII digits of a phone number, whatever digits or separators it was written with."""
    return "".join(str(unicodedata.digit(c)) for c in unicodedata.normalize("NFKC", text)
                   if unicodedata.digit(c, None) is not None)


def identity_matches(order_known: bool, phones_on_record: Iterable[str], last4: str) -> bool:
    """The order is the customer's and `last4` ends one of the customer's phones on record."""
    endings = [phone_digits(p)[-4:] for p in phones_on_record]
    # every phone is compared, so the time taken does not say which one matched
    matched = [len(e) == 4 and hmac.compare_digest(e.encode(), last4.encode()) for e in endings]
    return order_known and any(matched)


class SubmissionInvalid(ValueError):
    """The form is incomplete or not ours; the message names the field, never what was typed."""


@dataclass(frozen=True)
class Submission:
    order_number: str  # normalised
    last4: str  # four ASCII digits
    details: str  # may be empty: the customer only proves who they are
    form_token: str

    def __repr__(self) -> str:  # never in a log or a traceback by accident
        return "Submission(<withheld>)"


def parse_submission(body: bytes) -> Submission:
    """The verification form's fields from an application/x-www-form-urlencoded body."""
    if len(body) > MAX_FORM_BYTES:
        raise SubmissionInvalid("the form is too long")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=8, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise SubmissionInvalid("the form could not be read") from None

    def one(name: str) -> str:
        values = fields.get(name, [])
        if len(values) != 1:
            raise SubmissionInvalid(f"the form needs exactly one {name}")
        if "\x00" in values[0]:
            raise SubmissionInvalid(f"{name} holds a character that cannot be stored")
        return values[0]

    order_number = normalise_order_number(one("order_number"))
    if not 0 < len(order_number) <= MAX_ORDER_CHARS:
        raise SubmissionInvalid("order_number is missing or too long")
    last4 = phone_digits(one("last4"))
    if len(last4) != 4 or len(one("last4").strip()) != 4:
        raise SubmissionInvalid("last4 must be exactly 4 digits")
    details = one("details").strip()
    if len(details) > MAX_DETAILS_CHARS:
        raise SubmissionInvalid(f"details are longer than {MAX_DETAILS_CHARS} characters")
    return Submission(order_number, last4, details, one("form_token"))


# The form token: a fresh one on every page, bound to the link and signed with a key derived from
# the link keys; a form posted from anywhere but a page we served for this link is refused.
_FORM = struct.Struct(">Q8s")
_FORM_MAC_BYTES = 16


def _form_key(link_key: bytes) -> bytes:
    return hmac.new(link_key, b"heed verify form v1", hashlib.sha256).digest()


def _form_mac(link_key: bytes, link_id: uuid.UUID, stamp: bytes) -> bytes:
    return hmac.new(_form_key(link_key), link_id.bytes + stamp, hashlib.sha256).digest()[:_FORM_MAC_BYTES]


def form_token(link_keys: Sequence[bytes], link_id: uuid.UUID, now: datetime) -> str:
    stamp = _FORM.pack(int(now.timestamp()), secrets.token_bytes(8))
    return base64.urlsafe_b64encode(stamp + _form_mac(link_keys[0], link_id, stamp)).decode().rstrip("=")


def form_token_valid(link_keys: Sequence[bytes], token: str, link_id: uuid.UUID, now: datetime,
                     ttl_s: int) -> bool:
    """The token came from a page served for this link no longer than `ttl_s` ago."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return False
    if len(raw) != _FORM.size + _FORM_MAC_BYTES:
        return False
    stamp, mac = raw[:_FORM.size], raw[_FORM.size:]
    if not any([hmac.compare_digest(_form_mac(k, link_id, stamp), mac) for k in link_keys]):
        return False
    issued, _ = _FORM.unpack(stamp)
    return 0 <= now.timestamp() - issued <= ttl_s


def details_context(claims: LinkClaims) -> bytes:
    """What sealed details are bound to: moved to another customer, case or link, they do not open."""
    return b"heed sensitive details\x1f" + claims.customer_id.bytes + claims.case_id.bytes + claims.link_id.bytes


def contact_context(customer_id: uuid.UUID, kind: str) -> bytes:
    """What a sealed contact point is bound to: its customer and its kind."""
    return b"heed contact point\x1f" + customer_id.bytes + kind.encode()


class LinkUse(StrEnum):
    """How a link was spent."""

    VERIFIED = "verified"
    LOCKED = "locked"


class Outcome(StrEnum):
    VERIFIED = "verified"
    WRONG_IDENTITY = "wrong_identity"  # counted; the link allows fewer tries now
    LOCKED = "locked"  # too many wrong tries: the link is spent
    ALREADY_USED = "already_used"  # verified before: each link is honoured once
    STALE_FORM = "stale_form"  # the form token is missing, foreign or too old; nothing counted


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    attempts_left: int | None = None


def verified_event(claims: LinkClaims, verified_at: datetime, details_received: bool) -> CustomerVerified:
    """The announcement of one link's verification; announcing it again repeats its event id."""
    return CustomerVerified(event_id=derive_id("customer-verified", claims.link_id), customer_id=claims.customer_id,
                            case_id=claims.case_id, link_id=claims.link_id, verified_at=verified_at.astimezone(UTC),
                            details_received=details_received)
