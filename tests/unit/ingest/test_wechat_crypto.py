"""WeChat safe-mode message encryption: a vector built outside this code, round trips at every
padding length, and every malformed or foreign ciphertext refused with WeChatCryptoError."""

from __future__ import annotations

import base64
import random

import pytest

from heed_ingest.channels import signatures
from heed_ingest.channels.wechat_crypto import WeChatCipher, WeChatCryptoError, encrypted_element

# the 32-byte AES key b"Heed-WeChat-safe-mode-test-key!!", base64 without its trailing "="
KEY = "SGVlZC1XZUNoYXQtc2FmZS1tb2RlLXRlc3Qta2V5ISE"
APP_ID = "wx0123456789abcdef"
PREFIX = b"0123456789abcdef"
MESSAGE = (b"<xml><ToUserName><![CDATA[gh_lumo]]></ToUserName><FromUserName><![CDATA[oUser123]]></FromUserName>"
           b"<CreateTime>1763600000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           b"<Content><![CDATA[hello]]></Content><MsgId>1</MsgId></xml>")
# Built by hand, not by WeChatCipher: PREFIX + len(MESSAGE) as 4 bytes big-endian + MESSAGE + APP_ID,
# padded with 24 bytes of 0x18 to 288, then `openssl enc -aes-256-cbc -nopad -K <key hex> -iv <first
# 16 key bytes hex>` and base64.
VECTOR = ("8/HZxFTgcRTL6Qhwum+Ietq8MFIEz9N/WPSxc2h6pDFejgUrknLbetP9K7AYXC8aADL8AWGOl8TD4j0GSaHYCc3oa1ohy3EGqTx6O"
          "vsyEg7ry7H8VxKfwX04lHzktjetQH4mdSj3igxNli0fVulA9OU+s0ZYfkKo3+rOFV3oLhr/dYxjZGz+uN6DPUaYuCBt+PzaAynkeP"
          "PE6HUo2gDXnOzOMa2VuoBqtKl86LA9Kn4tuHYkawc/HAMU5X7HNVjUijEwx1ySZSRlh+QQ+0/mWU21Oyj7ECCOLqZkOIftK0vgzO"
          "xE+BtPA+fSci6+FZ+l+x2ppEtSWcw8DnT6j9lnuvmk0MrVtqGKO9WYOHYAZX4YW34HAnkOvnAnlmB1md4v")
# `printf '%s\n' wx-token 1763600000 n0nce "$VECTOR" | LC_ALL=C sort | tr -d '\n' | sha1sum`
VECTOR_MSG_SIGNATURE = "8784b7ba100caec5f22000d4007fc339a1c497ce"


@pytest.fixture
def cipher() -> WeChatCipher:
    return WeChatCipher(KEY, APP_ID)


def test_the_hand_built_vector_decrypts_and_encrypts_to_itself(cipher):
    assert cipher.decrypt(VECTOR) == MESSAGE
    assert cipher.encrypt(MESSAGE, PREFIX) == VECTOR


def test_msg_signature_of_the_vector():
    assert signatures.wechat_msg_signature("wx-token", "1763600000", "n0nce", VECTOR) == VECTOR_MSG_SIGNATURE
    assert signatures.wechat_msg_signature_valid("wx-token", "1763600000", "n0nce", VECTOR, VECTOR_MSG_SIGNATURE)
    assert not signatures.wechat_msg_signature_valid("wx-token", "1763600000", "n0nce", VECTOR[:-4] + "AAAA",
                                                     VECTOR_MSG_SIGNATURE)


@pytest.mark.parametrize("size", [0, 1, 11, 12, 13, 43, 44, 45, 100, 1000])
def test_round_trip_at_every_padding_length(cipher, size):
    # 16 + 4 + 18 (AppID) = 38 bytes around the message: sizes 12 and 44 make the plaintext a whole
    # number of 32-byte blocks, which PKCS#7 pads with a full block of 32s
    message = "订单".encode() * (size // 6) + b"x" * (size % 6)
    encrypted = cipher.encrypt(message)
    assert len(base64.b64decode(encrypted)) % 32 == 0
    assert cipher.decrypt(encrypted) == message
    assert cipher.encrypt(message) != encrypted  # a fresh random prefix each time


def test_another_app_id_or_key_is_refused(cipher):
    foreign = WeChatCipher(KEY, "wxffffffffffffffff").encrypt(MESSAGE)
    with pytest.raises(WeChatCryptoError, match="AppID"):
        cipher.decrypt(foreign)
    other_key = base64.b64encode(b"another-32-byte-key-for-testing!").decode()[:-1]
    with pytest.raises(WeChatCryptoError):
        WeChatCipher(other_key, APP_ID).decrypt(VECTOR)


@pytest.mark.parametrize("bad", ["", "not base64!", base64.b64encode(b"short").decode(),
                                 base64.b64encode(b"x" * 17).decode()])
def test_malformed_ciphertexts_are_refused(cipher, bad):
    with pytest.raises(WeChatCryptoError):
        cipher.decrypt(bad)


def test_tampering_is_caught_by_msg_signature_and_never_crashes_decryption(cipher):
    """AES-CBC has no MAC: a flipped bit in a middle block can still decrypt (garbled). The
    integrity check is msg_signature over the ciphertext, which the receiver verifies first."""
    data = bytearray(base64.b64decode(VECTOR))
    rng = random.Random(7)
    for _ in range(200):
        tampered = bytearray(data)
        tampered[rng.randrange(len(tampered))] ^= 1 << rng.randrange(8)
        encoded = base64.b64encode(bytes(tampered)).decode()
        assert not signatures.wechat_msg_signature_valid("wx-token", "1763600000", "n0nce", encoded,
                                                         VECTOR_MSG_SIGNATURE)
        try:
            cipher.decrypt(encoded)
        except WeChatCryptoError:
            pass


@pytest.mark.parametrize(("key", "app_id", "reason"), [
    (KEY[:-1], APP_ID, "43 characters"), ("!" * 43, APP_ID, "not base64"), (KEY, "", "HEED_WECHAT_APP_ID")])
def test_a_misconfigured_key_fails_at_construction(key, app_id, reason):
    with pytest.raises(ValueError, match=reason):
        WeChatCipher(key, app_id)


def test_the_encrypt_element_is_read_safely():
    body = f"<xml><ToUserName><![CDATA[gh_lumo]]></ToUserName><Encrypt><![CDATA[{VECTOR}]]></Encrypt></xml>"
    assert encrypted_element(body.encode()) == VECTOR
    for bad in (b"<xml><ToUserName>x</ToUserName></xml>", b"not xml", b'<!DOCTYPE x [<!ENTITY a "b">]><xml/>',
                "<xml/>".encode("utf-16"), b"<other><Encrypt>abc</Encrypt></other>"):
        with pytest.raises(WeChatCryptoError):
            encrypted_element(bad)
