"""HubSpot's webhooks, judged without I/O: is a request really from HubSpot (signature v3), and which
contact changes does it carry, in Heed's field names.

The v3 signature (HubSpot, "Validating requests"): base64 of HMAC SHA-256, keyed with the app's client
secret, over the UTF-8 string method + URI + body + the `X-HubSpot-Request-Timestamp` header (epoch
milliseconds); a timestamp older than 5 minutes is refused. The URI is the full URL HubSpot called, with
the percent-encodings of ``: / ? @ ! $ ' ( ) * , ;`` decoded before signing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from heed_crm_sync.ports import ExternalContact

SIGNATURE_MAX_AGE = timedelta(minutes=5)
_MAX_AGE_MS = SIGNATURE_MAX_AGE // timedelta(milliseconds=1)
PROPERTY_CHANGE = "contact.propertyChange"

# the encodings HubSpot decodes in the URI before it signs; others (%20, %25, …) stay encoded
_DECODED_IN_URI = {"3A": ":", "2F": "/", "3F": "?", "40": "@", "21": "!", "24": "$", "27": "'", "28": "(",
                   "29": ")", "2A": "*", "2C": ",", "3B": ";"}
_ENCODED = re.compile("%(" + "|".join(_DECODED_IN_URI) + ")", re.IGNORECASE)


class WebhookRefused(ValueError):
    """The request is not HubSpot's, or no longer fresh: answer 401 and do nothing with it."""


class WebhookMalformed(ValueError):
    """A signed webhook whose body is not the documented event list: the message names what is wrong."""


def signed_uri(uri: str) -> str:
    """The URI as HubSpot signs it."""
    return _ENCODED.sub(lambda m: _DECODED_IN_URI[m.group(1).upper()], uri)


def signature_v3(client_secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """The `X-HubSpot-Signature-v3` value HubSpot sends for this request."""
    source = method.upper().encode() + signed_uri(uri).encode() + body + timestamp.encode()
    digest = hmac.new(client_secret.encode(), source, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_signature_v3(client_secret: str, method: str, uri: str, body: bytes, timestamp_header: str | None,
                        signature_header: str | None, now: datetime) -> None:
    """Raise WebhookRefused unless the signature matches and the timestamp is within 5 minutes of `now`
    (either side: a timestamp from the future beyond that is refused too)."""
    if not client_secret:
        raise WebhookRefused("no HubSpot client secret is configured: every webhook is refused")
    if not timestamp_header or not signature_header:
        raise WebhookRefused("X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp is missing")
    try:
        sent_ms = int(timestamp_header)
    except ValueError:
        raise WebhookRefused("X-HubSpot-Request-Timestamp is not epoch milliseconds") from None
    # compared in milliseconds, as sent: any integer compares, where a datetime of a huge one cannot exist
    age_ms = int(now.timestamp() * 1000) - sent_ms
    if age_ms > _MAX_AGE_MS:
        raise WebhookRefused("the request timestamp is older than 5 minutes (replayed, or clocks disagree)")
    if -age_ms > _MAX_AGE_MS:
        raise WebhookRefused("the request timestamp is more than 5 minutes in the future (clocks disagree)")
    expected = signature_v3(client_secret, method, uri, body, timestamp_header)
    if not hmac.compare_digest(expected.encode(), signature_header.strip().encode()):
        raise WebhookRefused("the X-HubSpot-Signature-v3 does not match: wrong client secret, URI or body")


def parse_contact_changes(body: bytes, property_map: Mapping[str, str], *,
                          ignore_sources: Collection[str] = ()) -> list[ExternalContact]:
    """One ExternalContact per `contact.propertyChange` event on a mapped property, oldest first.

    `property_map` is Heed field → HubSpot property; events of other kinds, on unmapped properties, or
    whose `changeSource` is in `ignore_sources` are skipped. An empty value means the field was cleared.
    """
    try:
        events = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise WebhookMalformed("the webhook body is not JSON") from None
    if not isinstance(events, list):
        raise WebhookMalformed("the webhook body is not a JSON array of events")
    field_of = {prop: field for field, prop in property_map.items()}
    changes: list[ExternalContact] = []
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise WebhookMalformed(f"event {index} is not a JSON object")
        kind = _member(event, index, "subscriptionType", str)
        if kind != PROPERTY_CHANGE:
            continue
        object_id = _member(event, index, "objectId", int)
        occurred_ms = _member(event, index, "occurredAt", int)
        prop = _member(event, index, "propertyName", str)
        value = event.get("propertyValue")
        if value is not None and not isinstance(value, str):
            raise WebhookMalformed(f"event {index}: propertyValue is not a string")
        source = event.get("changeSource")
        if source is not None and not isinstance(source, str):
            raise WebhookMalformed(f"event {index}: changeSource is not a string")
        if prop not in field_of or source in ignore_sources:
            continue
        try:
            occurred = datetime.fromtimestamp(occurred_ms / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise WebhookMalformed(f"event {index}: occurredAt is not a time") from None
        changes.append(ExternalContact(
            external_id=str(object_id), customer_id=None, fields={field_of[prop]: value or None},
            changed_at=occurred))
    changes.sort(key=lambda change: change.changed_at)
    return changes


def customer_id_in(value: str | None) -> uuid.UUID | None:
    """The Heed customer id a contact carries, if it is one."""
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _member(event: dict[str, Any], index: int, name: str, kind: type) -> Any:
    value = event.get(name)
    # bool is an int in Python; HubSpot never sends one for these members
    if not isinstance(value, kind) or isinstance(value, bool):
        missing = "is missing" if value is None else f"is not {'an integer' if kind is int else 'a string'}"
        raise WebhookMalformed(f"event {index}: {name} {missing}")
    return value
