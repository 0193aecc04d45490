"""Secure verification links: signed, expiring tokens bound to one case and one customer.

The responder issues a link in a private message; crm-sync, which owns customer data, checks it
when the customer opens the page. Pure: no I/O, no clock of its own. Single use and attempt limits
are crm-sync's (they need a database); this module only proves a token is ours, whole and in time.

A v1 token is base64url (no padding) of 90 bytes:

    version (1) | case_id (16) | customer_id (16) | link_id (16) | expires_at, Unix seconds (8, big-endian)
    | language (1, index into LANGUAGES) | HMAC-SHA256 over everything before it (32)

Key rotation: wherever keys are taken, a sequence is accepted; the first signs, every one verifies.
Error messages name what is wrong with a link, never what it holds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

VERSION = 1
# the page's languages; index 0 means "not given" (the page goes by Accept-Language)
LANGUAGES: tuple[str | None, ...] = (None, "en", "zh-Hans", "zh-Hant", "th")
MIN_KEY_BYTES = 32

_MAC_BYTES = 32
_BODY = struct.Struct(">B16s16s16sQB")
_TOKEN_BYTES = _BODY.size + _MAC_BYTES
_TOKEN_CHARS = (_TOKEN_BYTES * 8 + 5) // 6
# 90 bytes are exactly 120 characters: no padding and no spare bits, so one token has one spelling
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
_MAC_LABEL = b"heed secure link\x1f"

Keys = bytes | Sequence[bytes]


class LinkError(ValueError):
    """A link that must not be honoured; the subclass says why, the message says it to a person."""


class LinkMalformed(LinkError):
    """Not a token Heed could have issued: wrong length, alphabet or version."""


class LinkTampered(LinkError):
    """Well formed, but no key signed it: altered, or signed with a key no longer configured."""


class LinkExpired(LinkError):
    """Signed by us, but past its expiry."""

    def __init__(self, message: str, claims: LinkClaims) -> None:
        super().__init__(message)
        self.claims = claims  # authentic: the page may still speak the customer's language


@dataclass(frozen=True)
class LinkClaims:
    """What a genuine link vouches for."""

    case_id: uuid.UUID
    customer_id: uuid.UUID
    link_id: uuid.UUID
    expires_at: datetime
    language: str | None = None


def _key_list(key: Keys) -> list[bytes]:
    keys = [key] if isinstance(key, bytes | bytearray) else list(key)
    if not keys:
        raise ValueError("secure link: no signing key configured")
    for position, k in enumerate(keys, start=1):
        if len(k) < MIN_KEY_BYTES:
            raise ValueError(f"secure link: key {position} is {len(k)} bytes; at least {MIN_KEY_BYTES} are needed")
    return [bytes(k) for k in keys]


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, _MAC_LABEL + body, hashlib.sha256).digest()


def sign(key: Keys, claims: LinkClaims) -> str:
    """The token for `claims`, signed with the first key."""
    if claims.language not in LANGUAGES:
        raise ValueError(f"secure link: language {claims.language!r} is not one of the page's "
                         f"({', '.join(x for x in LANGUAGES if x)})")
    if claims.expires_at.tzinfo is None or claims.expires_at.timestamp() < 0:
        raise ValueError("secure link: expires_at needs a UTC offset and a time after 1970")
    body = _BODY.pack(VERSION, claims.case_id.bytes, claims.customer_id.bytes, claims.link_id.bytes,
                      int(claims.expires_at.timestamp()), LANGUAGES.index(claims.language))
    token = body + _mac(_key_list(key)[0], body)
    return base64.urlsafe_b64encode(token).rstrip(b"=").decode("ascii")


def issue(key: Keys, *, case_id: uuid.UUID, customer_id: uuid.UUID, link_id: uuid.UUID, expires_at: datetime,
          base_url: str, language: str | None = None) -> str:
    """The verification page's URL for one case and customer: `base_url` (the page's address up to
    the token, e.g. https://care.example.com/verify) followed by the signed token."""
    token = sign(key, LinkClaims(case_id=case_id, customer_id=customer_id, link_id=link_id,
                                 expires_at=expires_at, language=language))
    return f"{base_url.rstrip('/')}/{token}"


def verify(key: Keys, token: str, *, now: datetime) -> LinkClaims:
    """The claims of a token we signed that has not expired at `now`; LinkError otherwise."""
    keys = _key_list(key)
    if len(token) != _TOKEN_CHARS or not _TOKEN_PATTERN.fullmatch(token):
        raise LinkMalformed("this link is incomplete or was changed: use the whole link from the message")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    if raw[0] != VERSION:
        raise LinkMalformed("this link's format is not one Heed issues")
    body, mac = raw[:_BODY.size], raw[_BODY.size:]
    # every key is tried, so the time taken does not tell which one (or whether any) matched
    matched = [hmac.compare_digest(_mac(k, body), mac) for k in keys]
    if not any(matched):
        raise LinkTampered("this link was changed or is not one of ours")
    _, case_id, customer_id, link_id, expires, language = _BODY.unpack(body)
    if language >= len(LANGUAGES):
        raise LinkMalformed("this link's format is not one Heed issues")
    try:
        expires_at = datetime.fromtimestamp(expires, UTC)
    except (OverflowError, OSError, ValueError):
        raise LinkMalformed("this link's format is not one Heed issues") from None
    claims = LinkClaims(case_id=uuid.UUID(bytes=case_id), customer_id=uuid.UUID(bytes=customer_id),
                        link_id=uuid.UUID(bytes=link_id), expires_at=expires_at, language=LANGUAGES[language])
    if now >= claims.expires_at:
        raise LinkExpired("this link has expired: ask us for a new one", claims)
    return claims
