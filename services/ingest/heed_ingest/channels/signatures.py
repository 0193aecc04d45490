"""Each platform's request verification, constant-time where a secret is compared."""

from __future__ import annotations

import base64
import hashlib
import hmac


def meta_signature_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body keyed with the app secret."""
    if not header or not header.startswith("sha256=") or not app_secret:
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256="):].lower().encode(), expected.encode())


def x_crc_response(crc_token: str, consumer_secret: str) -> str:
    """The CRC answer: "sha256=" + base64 HMAC-SHA256 of the crc_token keyed with the consumer secret."""
    digest = hmac.new(consumer_secret.encode(), crc_token.encode(), hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def x_signature_valid(body: bytes, header: str | None, consumer_secret: str) -> bool:
    """x-twitter-webhooks-signature: "sha256=" + base64 HMAC-SHA256 of the raw body."""
    if not header or not header.startswith("sha256=") or not consumer_secret:
        return False
    expected = base64.b64encode(hmac.new(consumer_secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(header[len("sha256="):].encode(), expected)


def sorted_sha1_valid(token: str, timestamp: str | None, nonce: str | None, signature: str | None) -> bool:
    """WeChat (and Weibo fans-service) signature: sha1 of token, timestamp and nonce sorted and joined."""
    if not (token and timestamp and nonce and signature):
        return False
    expected = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return hmac.compare_digest(signature.lower().encode(), expected.encode())
