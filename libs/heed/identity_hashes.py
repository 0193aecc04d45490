"""Keyed hashes of customer identities (`channel:platform_id`): how a service remembers or finds an
identity it must not hold in clear, such as one erased on request.

A platform id has little entropy (often a number), so an unkeyed hash of it is reversed by trying
every id. These are HMAC-SHA256 under HEED_ERASURE_KEY, newest key first; the built-in key is
always last, so what was hashed before a key was configured is still found. Ingest, the router and
the responder share the keys and this module.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

# Used when HEED_ERASURE_KEY is unset, and always last in the ring so that hashes made before a key
# was configured are still found. Public: without a configured key a hash of a numeric platform id can
# be reversed by trying every id, so it is only as private as the ids themselves. (Its text predates
# this module: ingest's rows were hashed with it first.)
BUILTIN_KEY = b"heed ingest identity hash v1 (no HEED_ERASURE_KEY set)"
_IDENTITY = b"identity\x1f"
_PLATFORM_ID = b"platform-id\x1f"
_SUBJECT = b"erased-customer\x1f"


@dataclass(frozen=True, order=True)
class Identity:
    """One channel identity of a customer: `channel:platform_id`."""

    channel: str
    platform_id: str

    @classmethod
    def parse(cls, text: str) -> Identity | None:
        """`weibo:123456` → Identity; None for anything without both a channel and an id."""
        channel, sep, platform_id = text.partition(":")
        if not sep or not channel or not platform_id:
            return None
        return cls(channel, platform_id)

    def __str__(self) -> str:
        return f"{self.channel}:{self.platform_id}"


class IdentityHashes:
    """Keyed hashes of identities: the first key hashes what is stored, every key finds it again.

    Keys come from HEED_ERASURE_KEY, newest first; the built-in key is always last. A key retired from
    the setting no longer finds the rows hashed with it: keep retired keys listed.
    An identity is an `Identity` or its text, `channel:platform_id`; both hash the same.
    """

    def __init__(self, keys: Sequence[bytes] = ()) -> None:
        self._keys = (*keys, BUILTIN_KEY)

    @property
    def keyed(self) -> bool:
        return len(self._keys) > 1

    def identity(self, identity: Identity | str) -> bytes:
        """What is stored with a row about `identity`."""
        return self._mac(self._keys[0], _IDENTITY, str(identity).encode())

    def identity_all(self, identity: Identity | str) -> tuple[bytes, ...]:
        """The hash of `identity` under every key, the current one first: what finds rows stored
        before a rotation."""
        return tuple(self._mac(k, _IDENTITY, str(identity).encode()) for k in self._keys)

    def platform_id(self, platform_id: bytes) -> bytes:
        """The hash of a platform id on its own, for letters whose channel cannot be told."""
        return self._mac(self._keys[0], _PLATFORM_ID, platform_id)

    def platform_id_all(self, platform_id: bytes) -> tuple[bytes, ...]:
        return tuple(self._mac(k, _PLATFORM_ID, platform_id) for k in self._keys)

    def subject(self, customer_id: uuid.UUID) -> bytes:
        """The erased customer in the audit: answers "was this customer erased?" without naming them."""
        return self._mac(self._keys[0], _SUBJECT, customer_id.bytes)

    @staticmethod
    def _mac(key: bytes, label: bytes, value: bytes) -> bytes:
        return hmac.digest(key, label + value, hashlib.sha256)
