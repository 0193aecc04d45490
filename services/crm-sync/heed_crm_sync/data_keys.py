"""Customer data at rest: AES-256-GCM under a key ring from the environment, and keyed hashes that
find a value (an order number, a phone) without storing it in clear.

Every sealed value names the key that sealed it (`key_id`), so keys rotate: the newest seals, any
configured key opens. A sealed value is bound to its place (the `context`, e.g. the customer and
case it belongs to): moved to another row, it no longer opens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed value that cannot be opened: unknown key, or altered, or moved from its place."""


@dataclass(frozen=True)
class Sealed:
    ciphertext: bytes  # with GCM's 16-byte tag at the end
    nonce: bytes
    key_id: str


def key_id(key: bytes) -> str:
    """A short public name for a key, derived one-way so it reveals nothing of the key."""
    return hmac.new(key, b"heed data key id", hashlib.sha256).hexdigest()[:12]


class DataKeys:
    """The key ring: the first key seals and hashes new values; every key opens and finds old ones."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("crm data keys: none configured")
        for position, key in enumerate(keys, start=1):
            if len(key) != KEY_BYTES:
                raise ValueError(f"crm data keys: key {position} is {len(key)} bytes; AES-256 needs {KEY_BYTES}")
        self._by_id = {key_id(k): AESGCM(k) for k in keys}
        self._current = key_id(keys[0])
        self._lookup = [hmac.new(k, b"heed lookup v1", hashlib.sha256).digest() for k in keys]

    @property
    def current_key_id(self) -> str:
        return self._current

    def seal(self, plaintext: bytes, context: bytes) -> Sealed:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return Sealed(self._by_id[self._current].encrypt(nonce, plaintext, context), nonce, self._current)

    def open(self, sealed: Sealed, context: bytes) -> bytes:
        box = self._by_id.get(sealed.key_id)
        if box is None:
            raise SealError(f"sealed with key {sealed.key_id}, which is no longer configured")
        try:
            return box.decrypt(sealed.nonce, sealed.ciphertext, context)
        except InvalidTag:
            raise SealError(f"a value sealed with key {sealed.key_id} was altered or is not in its place") from None

    def lookup_hashes(self, purpose: str, value: str) -> list[bytes]:
        """The keyed hash of `value` under each key, newest first: the first is stored with a new value,
        any of them finds one stored before a rotation. `value` should be normalised by the caller."""
        message = purpose.encode() + b"\x1f" + value.encode()
        return [hmac.new(k, message, hashlib.sha256).digest() for k in self._lookup]
