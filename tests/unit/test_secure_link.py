"""Secure verification links: a genuine, unexpired link is honoured; anything else is refused with
the reason, and the reason never repeats what the link holds."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from heed import secure_link
from heed.runtime.settings import KeyRingError, key_ring
from heed.secure_link import LinkClaims, LinkError, LinkExpired, LinkMalformed, LinkTampered

KEY = bytes(range(32))
OLD_KEY = b"o" * 32
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
CASE = uuid.UUID("11111111-2222-3333-4444-555555555555")
CUSTOMER = uuid.UUID("66666666-7777-8888-9999-aaaaaaaaaaaa")
LINK = uuid.UUID("bbbbbbbb-cccc-dddd-eeee-ffffffffffff")


def claims(**changes: object) -> LinkClaims:
    fields: dict[str, object] = {"case_id": CASE, "customer_id": CUSTOMER, "link_id": LINK,
                                 "expires_at": NOW + timedelta(hours=1), "language": "zh-Hant"}
    fields.update(changes)
    return LinkClaims(**fields)  # type: ignore[arg-type]


def test_an_issued_link_is_the_page_address_and_a_token_that_verifies_to_its_claims():
    url = secure_link.issue(KEY, case_id=CASE, customer_id=CUSTOMER, link_id=LINK,
                            expires_at=NOW + timedelta(hours=1), base_url="https://care.example.com/verify/",
                            language="th")
    prefix, token = url.rsplit("/", 1)
    assert prefix == "https://care.example.com/verify"
    assert len(token) == 120 and "=" not in token
    assert secure_link.verify(KEY, token, now=NOW) == claims(language="th")


def test_a_link_without_a_language_leaves_the_choice_to_the_browser():
    assert secure_link.verify(KEY, secure_link.sign(KEY, claims(language=None)), now=NOW).language is None


def test_an_expired_link_is_refused_and_still_tells_which_language_to_say_so_in():
    token = secure_link.sign(KEY, claims())
    with pytest.raises(LinkExpired) as refused:
        secure_link.verify(KEY, token, now=NOW + timedelta(hours=1))
    assert refused.value.claims.language == "zh-Hant"
    assert str(CASE) not in str(refused.value) and str(CUSTOMER) not in str(refused.value)
    # one second before the expiry it still works
    assert secure_link.verify(KEY, token, now=NOW + timedelta(minutes=59, seconds=59)).link_id == LINK


def test_a_link_signed_with_another_key_is_refused_as_not_ours():
    with pytest.raises(LinkTampered, match="not one of ours"):
        secure_link.verify(KEY, secure_link.sign(b"x" * 32, claims()), now=NOW)


def test_rotation_the_first_key_signs_and_every_configured_key_verifies():
    old_token = secure_link.sign(OLD_KEY, claims())
    ring = [KEY, OLD_KEY]
    assert secure_link.verify(ring, old_token, now=NOW).case_id == CASE
    new_token = secure_link.sign(ring, claims())
    assert secure_link.verify(KEY, new_token, now=NOW).case_id == CASE
    with pytest.raises(LinkTampered):
        secure_link.verify(OLD_KEY, new_token, now=NOW)
    # once the old key is retired, its links stop working
    with pytest.raises(LinkTampered):
        secure_link.verify([KEY], old_token, now=NOW)


@pytest.mark.parametrize("token", ["", "abc", "A" * 119, "A" * 121, "!" * 120, "A" * 119 + "=",
                                   "ü" * 120])
def test_a_token_of_the_wrong_shape_is_malformed(token):
    with pytest.raises(LinkMalformed):
        secure_link.verify(KEY, token, now=NOW)


def test_an_unknown_version_is_malformed_even_when_signed():
    raw = bytearray(base64.urlsafe_b64decode(secure_link.sign(KEY, claims()) + "=="))
    raw[0] = 2
    with pytest.raises(LinkMalformed, match="format"):
        secure_link.verify(KEY, base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("="), now=NOW)


def test_short_keys_and_unknown_languages_are_configuration_errors():
    with pytest.raises(ValueError, match="at least 32"):
        secure_link.sign(b"short", claims())
    with pytest.raises(ValueError, match="no signing key"):
        secure_link.verify([], "x", now=NOW)
    with pytest.raises(ValueError, match="language 'de'"):
        secure_link.sign(KEY, claims(language="de"))


def test_a_key_ring_setting_is_comma_separated_base64_newest_first():
    first, second = b"a" * 32, b"b" * 32
    text = f"{base64.b64encode(first).decode()}, {base64.urlsafe_b64encode(second).decode().rstrip('=')}"
    assert key_ring(SecretStr(text), env="HEED_SECURE_LINK_KEY") == (first, second)
    with pytest.raises(KeyRingError, match=r"HEED_SECURE_LINK_KEY: entry 2 is 3 bytes") as short:
        key_ring(SecretStr(f"{base64.b64encode(first).decode()},YWJj"), env="HEED_SECURE_LINK_KEY")
    assert base64.b64encode(first).decode() not in str(short.value)
    with pytest.raises(KeyRingError, match="entry 1 is not base64"):
        key_ring(SecretStr("not base64!"), env="HEED_CRM_DATA_KEY")
    with pytest.raises(KeyRingError, match="must be 32"):
        key_ring(SecretStr(base64.b64encode(b"k" * 48).decode()), env="HEED_CRM_DATA_KEY", size=32)


uuids = st.uuids()
expiries = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1),
                        timezones=st.just(UTC)).map(lambda t: t.replace(microsecond=0))
keys = st.binary(min_size=32, max_size=64)
languages = st.sampled_from(secure_link.LANGUAGES)


@given(uuids, uuids, uuids, expiries, languages, keys)
def test_every_link_verifies_to_exactly_what_was_signed(case_id, customer_id, link_id, expires_at, language, key):
    signed = LinkClaims(case_id, customer_id, link_id, expires_at, language)
    assert secure_link.verify(key, secure_link.sign(key, signed), now=expires_at - timedelta(seconds=1)) == signed


@given(uuids, expiries, keys, st.data())
def test_any_single_character_change_to_a_token_is_refused(link_id, expires_at, key, data):
    token = secure_link.sign(key, claims(link_id=link_id, expires_at=expires_at))
    position = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.characters(codec="ascii").filter(lambda c: c != token[position]))
    with pytest.raises(LinkError):
        secure_link.verify(key, token[:position] + replacement + token[position + 1:],
                           now=expires_at - timedelta(seconds=1))


@given(uuids, expiries, keys, st.data())
def test_any_single_byte_change_to_the_signed_bytes_is_refused(link_id, expires_at, key, data):
    raw = bytearray(base64.urlsafe_b64decode(secure_link.sign(key, claims(link_id=link_id, expires_at=expires_at))
                                             + "=="))
    position = data.draw(st.integers(0, len(raw) - 1))
    raw[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(LinkError):
        secure_link.verify(key, base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("="),
                           now=expires_at - timedelta(seconds=1))


@given(expiries, st.integers(0, 10 * 365 * 86400), keys)
def test_a_link_is_refused_at_and_after_its_expiry(expires_at, late_by, key):
    with pytest.raises(LinkExpired):
        secure_link.verify(key, secure_link.sign(key, claims(expires_at=expires_at)),
                           now=expires_at + timedelta(seconds=late_by))
