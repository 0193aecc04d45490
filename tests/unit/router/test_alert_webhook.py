"""The alert webhook: a signed JSON POST per alert, retried, off the routing path."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from heed.contracts.events import Alert, AlertState, AlertTopicKind
from heed_router.adapters.alert_webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookAlertNotifier
from heed_router.bootstrap import Overrides, build_alerting
from heed_router.settings import RouterSettings

SECRET = "s3cret"
URL = "https://hooks.example/heed"
AT = datetime(2026, 11, 20, 8, 1, tzinfo=UTC)


def alert(version: int = 1) -> Alert:
    alert_id = uuid.uuid4()
    return Alert(event_id=uuid.uuid4(), occurred_at=AT, alert_id=alert_id, version=version,
                 topic_kind=AlertTopicKind.ISSUE_TYPE, topic="product_quality", state=AlertState.OPENED,
                 window_minutes=2, window_count=15, expected_count=4.0, baseline_per_minute=2.0, p_value=2e-5,
                 total_count=15, example_mention_ids=[uuid.uuid4() for _ in range(3)], opened_at=AT, updated_at=AT)


class Receiver:
    """A webhook receiver that verifies like a customer's would, answering `statuses` in turn (then 204)."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []
        self.verified: list[dict[str, object]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.statuses:
            return httpx.Response(self.statuses.pop(0))
        timestamp = request.headers[TIMESTAMP_HEADER]
        expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + request.content, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(request.headers[SIGNATURE_HEADER], f"sha256={expected}")
        self.verified.append(json.loads(request.content))
        return httpx.Response(204)


def notifier(receiver: Receiver, **kw: object) -> WebhookAlertNotifier:
    client = httpx.AsyncClient(transport=httpx.MockTransport(receiver))
    return WebhookAlertNotifier(URL, SECRET, client=client, max_wait_s=0, clock=lambda: 1_763_625_660.0,
                                **kw)  # type: ignore[arg-type]


async def test_each_alert_is_posted_signed_over_its_timestamp_with_ids_and_counts_only():
    receiver = Receiver()
    sender = notifier(receiver)
    sent = alert()
    sender.notify(sent)
    await sender.drained()
    await sender.aclose()

    [body] = receiver.verified
    assert Alert.model_validate(body) == sent
    assert receiver.requests[0].headers[TIMESTAMP_HEADER] == "1763625660"
    assert receiver.requests[0].headers["content-type"] == "application/json"
    # no text, no author: ids, counts and the topic
    assert not {"text", "author", "mention", "handle"} & set(body)
    assert (sender.delivered, sender.failed) == (1, 0)


async def test_a_signature_over_another_timestamp_does_not_verify():
    receiver = Receiver()
    sender = notifier(receiver)
    sender.notify(alert())
    await sender.drained()
    await sender.aclose()
    request = receiver.requests[0]
    forged = hmac.new(SECRET.encode(), b"1." + request.content, hashlib.sha256).hexdigest()
    assert request.headers[SIGNATURE_HEADER] != f"sha256={forged}"


async def test_a_failing_receiver_is_retried_and_a_refusal_is_given_up_without_retries():
    receiver = Receiver(503, 500)
    sender = notifier(receiver, attempts=3)
    sender.notify(alert())
    await sender.drained()
    assert len(receiver.requests) == 3 and len(receiver.verified) == 1

    refusing = Receiver(400, 400, 400)
    other = notifier(refusing, attempts=3)
    other.notify(alert())
    await other.drained()
    assert len(refusing.requests) == 1 and (other.delivered, other.failed) == (0, 1)
    await sender.aclose()
    await other.aclose()


async def test_notify_returns_at_once_while_the_receiver_hangs():
    release = asyncio.Event()
    seen = []

    async def slow(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        await release.wait()
        return httpx.Response(204)

    client = httpx.AsyncClient(transport=httpx.MockTransport(slow))
    sender = WebhookAlertNotifier(URL, SECRET, client=client, max_wait_s=0)
    for version in range(1, 4):
        sender.notify(alert(version))  # returns without waiting for the receiver
    await asyncio.sleep(0.01)
    assert len(seen) == 1 and sender.queue.qsize() == 2
    release.set()
    await sender.drained()
    assert sender.delivered == 3
    await sender.aclose()


def test_a_webhook_without_a_secret_is_refused_and_none_configured_means_no_notifier():
    with pytest.raises(ValueError, match="HEED_ALERT_WEBHOOK_SECRET"):
        RouterSettings.model_validate({"alert_webhook_url": URL})
    none = build_alerting(RouterSettings.model_validate({}), Overrides())
    assert type(none.notifier).__name__ == "NoAlertNotifier"
    configured = build_alerting(RouterSettings.model_validate({"alert_webhook_url": URL,
                                                               "alert_webhook_secret": SECRET}))
    assert isinstance(configured.notifier, WebhookAlertNotifier) and configured.notifier.url == URL
