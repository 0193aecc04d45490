"""WeChat Official Account message encryption (消息加解密, safe and compatible modes).

The spec: AESKey = base64decode(EncodingAESKey + "="), 32 bytes; AES-256-CBC with the key's first
16 bytes as IV; PKCS#7 padding to a multiple of 32 bytes; the plaintext is 16 random bytes, the
message's length as 4 bytes big-endian, the message XML, then the account's AppID. The <Encrypt>
element carries base64 of the ciphertext, and `msg_signature` (see signatures.py) signs it.
CBC carries no MAC, so a tampered ciphertext can decrypt to garbled bytes: msg_signature is the
integrity check and must pass before `decrypt` is called.
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
import xml.etree.ElementTree as ET

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PAD_BLOCK = 32
ENCODING_AES_KEY_LENGTH = 43
# a message is at most the webhook body limit; the XML envelope and base64 only add to it
MAX_ENVELOPE_BYTES = 4 * 1024 * 1024


class WeChatCryptoError(ValueError):
    """An <Encrypt> value this account's key and AppID do not open."""


class WeChatCipher:
    """Decrypts (and, for replies and tests, encrypts) one account's messages."""

    def __init__(self, encoding_aes_key: str, app_id: str) -> None:
        if len(encoding_aes_key) != ENCODING_AES_KEY_LENGTH:
            raise ValueError(f"HEED_WECHAT_ENCODING_AES_KEY must be {ENCODING_AES_KEY_LENGTH} characters, "
                             f"got {len(encoding_aes_key)}")
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error:
            raise ValueError("HEED_WECHAT_ENCODING_AES_KEY is not base64 (copy it from 开发 → 基本配置)") from None
        if not app_id:
            raise ValueError("HEED_WECHAT_APP_ID is required with HEED_WECHAT_ENCODING_AES_KEY: every "
                             "decrypted message names the AppID it was encrypted for")
        self._key = key
        self._app_id = app_id.encode()

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def decrypt(self, encrypted: str) -> bytes:
        """The message XML inside an <Encrypt> value, after checking its padding, length and AppID."""
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise WeChatCryptoError("the <Encrypt> value is not base64") from None
        if not data or len(data) % 16:
            raise WeChatCryptoError(f"ciphertext of {len(data)} bytes is not whole AES blocks")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(data) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= PAD_BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise WeChatCryptoError("padding is wrong: the message was encrypted with another key")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise WeChatCryptoError("plaintext is shorter than its 20-byte header")
        (length,) = struct.unpack(">I", plain[16:20])
        message, app_id = plain[20:20 + length], plain[20 + length:]
        if len(message) != length:
            raise WeChatCryptoError("the length field runs past the plaintext")
        if app_id != self._app_id:
            raise WeChatCryptoError("the message was encrypted for another AppID than HEED_WECHAT_APP_ID")
        return message

    def encrypt(self, message: bytes, random_prefix: bytes | None = None) -> str:
        """An <Encrypt> value for `message` (what WeChat sends; encrypted passive replies need it too)."""
        prefix = os.urandom(16) if random_prefix is None else random_prefix
        if len(prefix) != 16:
            raise ValueError("the random prefix is 16 bytes")
        plain = prefix + struct.pack(">I", len(message)) + message + self._app_id
        pad = PAD_BLOCK - len(plain) % PAD_BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def encrypted_element(body: bytes) -> str:
    """The text of the <Encrypt> element of a safe- or compatible-mode push body."""
    if len(body) > MAX_ENVELOPE_BYTES:
        raise WeChatCryptoError("body too large for a WeChat message")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WeChatCryptoError("body is not UTF-8") from None
    # the same refusal as the parser's: expat would expand declared entities
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper() or "\x00" in text:
        raise WeChatCryptoError("body declares a DOCTYPE or entity, or contains NUL")
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        raise WeChatCryptoError("body is not XML") from None
    node = root.find("Encrypt")
    value = (node.text or "").strip() if node is not None and root.tag == "xml" else ""
    if not value:
        raise WeChatCryptoError("body has no <Encrypt> element")
    return value
