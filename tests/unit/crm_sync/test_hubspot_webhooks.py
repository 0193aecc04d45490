"""HubSpot's webhook v3 signature and its contact.propertyChange events, judged without I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from heed_crm_sync.adapters.crm.hubspot import DEFAULT_PROPERTIES
from heed_crm_sync.domain.hubspot_webhooks import (
    WebhookMalformed,
    WebhookRefused,
    parse_contact_changes,
    verify_signature_v3,
)

SECRET = "app-client-secret-1"
URI = "https://crm.heed.example/hubspot/webhooks?portal=62515"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
BODY = json.dumps([{"objectId": 1001, "propertyName": "heed_tier", "propertyValue": "gold",
                    "changeSource": "CRM_UI", "eventId": 7, "subscriptionId": 1, "portalId": 62515,
                    "occurredAt": 1740830400000, "subscriptionType": "contact.propertyChange"}]).encode()


def sign(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """Written from HubSpot's description, apart from the code under test."""
    source = f"{method}{uri}".encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()


def millis(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def test_a_signature_made_with_the_client_secret_is_accepted() -> None:
    ts = millis(NOW - timedelta(seconds=30))
    verify_signature_v3(SECRET, "POST", URI, BODY, ts, sign(SECRET, "POST", URI, BODY, ts), NOW)


def test_percent_encodings_hubspot_decodes_are_decoded_before_checking() -> None:
    ts = millis(NOW)
    encoded = "https://crm.heed.example/hubspot/webhooks%3Fportal%3D62515"  # %3D is not decoded
    signature = sign(SECRET, "POST", "https://crm.heed.example/hubspot/webhooks?portal%3D62515", BODY, ts)
    verify_signature_v3(SECRET, "POST", encoded, BODY, ts, signature, NOW)


@pytest.mark.parametrize("change", ["body", "uri", "secret", "method"])
def test_anything_altered_is_refused(change: str) -> None:
    ts = millis(NOW)
    signature = sign(SECRET, "POST", URI, BODY, ts)
    body = BODY.replace(b"gold", b"platinum") if change == "body" else BODY
    uri = URI.replace("62515", "62516") if change == "uri" else URI
    secret = "another-apps-secret" if change == "secret" else SECRET
    method = "PUT" if change == "method" else "POST"
    with pytest.raises(WebhookRefused, match="does not match"):
        verify_signature_v3(secret, method, uri, body, ts, signature, NOW)


def test_a_timestamp_older_than_five_minutes_is_refused_even_when_signed() -> None:
    ts = millis(NOW - timedelta(minutes=5, seconds=1))
    with pytest.raises(WebhookRefused, match="older than 5 minutes"):
        verify_signature_v3(SECRET, "POST", URI, BODY, ts, sign(SECRET, "POST", URI, BODY, ts), NOW)


def test_a_timestamp_beyond_five_minutes_in_the_future_is_refused() -> None:
    ts = millis(NOW + timedelta(minutes=6))
    with pytest.raises(WebhookRefused, match="in the future"):
        verify_signature_v3(SECRET, "POST", URI, BODY, ts, sign(SECRET, "POST", URI, BODY, ts), NOW)


@pytest.mark.parametrize("timestamp, signature", [(None, "x"), ("1740830400000", None), ("yesterday", "x")])
def test_missing_or_unreadable_headers_are_refused(timestamp: str | None, signature: str | None) -> None:
    with pytest.raises(WebhookRefused):
        verify_signature_v3(SECRET, "POST", URI, BODY, timestamp, signature, NOW)


def test_a_property_change_becomes_a_contact_change_in_heed_field_names() -> None:
    changes = parse_contact_changes(BODY, DEFAULT_PROPERTIES)
    assert len(changes) == 1
    change = changes[0]
    assert (change.external_id, change.customer_id, change.fields) == ("1001", None, {"tier": "gold"})
    assert change.changed_at == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_unmapped_properties_other_events_and_ignored_sources_are_skipped_and_clearing_is_none() -> None:
    events = [
        {"subscriptionType": "contact.propertyChange", "objectId": 1, "occurredAt": 3000,
         "propertyName": "lifecyclestage", "propertyValue": "lead", "changeSource": "CRM_UI"},
        {"subscriptionType": "contact.creation", "objectId": 2, "occurredAt": 1000},
        {"subscriptionType": "contact.propertyChange", "objectId": 3, "occurredAt": 2000,
         "propertyName": "email", "propertyValue": "a@b.example", "changeSource": "INTEGRATION"},
        {"subscriptionType": "contact.propertyChange", "objectId": 4, "occurredAt": 1500,
         "propertyName": "phone", "propertyValue": "", "changeSource": "CRM_UI"},
    ]
    changes = parse_contact_changes(json.dumps(events).encode(), DEFAULT_PROPERTIES, ignore_sources={"INTEGRATION"})
    assert [(c.external_id, c.fields) for c in changes] == [("4", {"phone": None})]


@pytest.mark.parametrize("body, problem", [
    (b"{not json", "not JSON"),
    (b'{"objectId": 1}', "not a JSON array"),
    (b"[1]", "event 0 is not a JSON object"),
    (b'[{"subscriptionType": "contact.propertyChange", "objectId": "1001", "occurredAt": 1,'
     b' "propertyName": "email"}]', "event 0: objectId is not an integer"),
    (b'[{"subscriptionType": "contact.propertyChange", "objectId": 1, "propertyName": "email"}]',
     "event 0: occurredAt is missing"),
    (b'[{"subscriptionType": "contact.propertyChange", "objectId": 1, "occurredAt": 1, "propertyName": "email",'
     b' "propertyValue": {"secret": "x@y.example"}}]', "event 0: propertyValue is not a string"),
])
def test_a_malformed_body_names_what_is_wrong_without_echoing_values(body: bytes, problem: str) -> None:
    with pytest.raises(WebhookMalformed) as refused:
        parse_contact_changes(body, DEFAULT_PROPERTIES)
    assert problem in str(refused.value)
    assert "x@y.example" not in str(refused.value)


@pytest.mark.parametrize("timestamp", [str(10**20), str(-(10**20)), "9" * 4000])
def test_a_timestamp_no_clock_can_show_is_refused_not_a_server_error(timestamp: str) -> None:
    with pytest.raises(WebhookRefused):
        verify_signature_v3(SECRET, "POST", URI, BODY, timestamp, sign(SECRET, "POST", URI, BODY, timestamp), NOW)


def test_an_event_time_no_clock_can_show_is_malformed() -> None:
    events = [{"subscriptionType": "contact.propertyChange", "objectId": 1, "occurredAt": 10**20,
               "propertyName": "heed_tier", "propertyValue": "gold", "changeSource": "CRM_UI"}]
    with pytest.raises(WebhookMalformed, match="event 0: occurredAt"):
        parse_contact_changes(json.dumps(events).encode(), DEFAULT_PROPERTIES)
