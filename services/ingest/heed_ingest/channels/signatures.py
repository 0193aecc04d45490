"""Each platform's request verification, constant-time where a secret is compared."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

# X's crc_tokens are short opaque ASCII strings. Answering only these keeps the challenge from being
# a signing oracle: a POST body must be a JSON object (it starts with "{"), which no token matching
# this can be, so no CRC answer is ever a valid POST signature.
CRC_TOKEN = re.compile(r"[A-Za-z0-9_\-+/=.]{1,128}")
_JSON_WHITESPACE = b" \t\r\n"
# seconds until year 5138; a larger value is milliseconds (Weibo's timestamps are)
_SECONDS_LIMIT = 10**11


def meta_signature_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body keyed with the app secret."""
    if not header or not header.startswith("sha256=") or not app_secret:
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256="):].lower().encode(), expected.encode())


def x_crc_token_valid(crc_token: str) -> bool:
    return CRC_TOKEN.fullmatch(crc_token) is not None


def x_crc_response(crc_token: str, consumer_secret: str) -> str:
    """The CRC answer: "sha256=" + base64 HMAC-SHA256 of the crc_token keyed with the consumer secret."""
    if not x_crc_token_valid(crc_token):
        raise ValueError("crc_token must be 1-128 characters of A-Z a-z 0-9 _ - + / = .")
    digest = hmac.new(consumer_secret.encode(), crc_token.encode(), hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def is_json_object(body: bytes) -> bool:
    """Whether the first non-whitespace byte opens a JSON object (the only shape X posts)."""
    return body.lstrip(_JSON_WHITESPACE)[:1] == b"{"


def x_signature_valid(body: bytes, header: str | None, consumer_secret: str) -> bool:
    """x-twitter-webhooks-signature: "sha256=" + base64 HMAC-SHA256 of the raw body.

    Anything but a JSON object is refused before the signature is looked at: the CRC answers
    HMACs of short tokens with the same key, and only this keeps those from validating a body."""
    if not header or not header.startswith("sha256=") or not consumer_secret or not is_json_object(body):
        return False
    expected = base64.b64encode(hmac.new(consumer_secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(header[len("sha256="):].encode(), expected)


def _sorted_sha1_matches(signature: str | None, *parts: str | None) -> bool:
    if not signature or not all(parts):
        return False
    expected = hashlib.sha1("".join(sorted(p for p in parts if p)).encode()).hexdigest()
    return hmac.compare_digest(signature.lower().encode(), expected.encode())


def wechat_signature_valid(token: str, timestamp: str | None, nonce: str | None, signature: str | None) -> bool:
    """WeChat plaintext mode: `signature` = sha1 of token, timestamp and nonce sorted and joined.
    It does not cover the body: the receiver adds a timestamp window and a nonce ledger."""
    return _sorted_sha1_matches(signature, token, timestamp, nonce)


def wechat_msg_signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """WeChat safe mode's `msg_signature`: sha1 of token, timestamp, nonce and the <Encrypt> value."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def wechat_msg_signature_valid(token: str, timestamp: str | None, nonce: str | None, encrypted: str | None,
                               msg_signature: str | None) -> bool:
    """`msg_signature` over the encrypted body (or encrypted echostr): the body is covered."""
    return _sorted_sha1_matches(msg_signature, token, timestamp, nonce, encrypted)


def weibo_signature_valid(app_secret: str, timestamp: str | None, nonce: str | None,
                          signature: str | None) -> bool:
    """Weibo fans service: sha1 of the app secret, timestamp (milliseconds) and nonce sorted and
    joined; like WeChat's plaintext mode it does not cover the body."""
    return _sorted_sha1_matches(signature, app_secret, timestamp, nonce)


def timestamp_seconds(timestamp: str | None) -> float | None:
    """A signed `timestamp` query value as Unix seconds: WeChat sends seconds, Weibo milliseconds."""
    if not timestamp or len(timestamp) > 16 or not timestamp.isascii() or not timestamp.isdigit():
        return None
    value = int(timestamp)
    return value / 1000 if value >= _SECONDS_LIMIT else float(value)
