"""Crisis alerts to a webhook: a signed JSON POST per alert, from a queue, retried, never blocking routing.

The body is the `Alert` event's JSON: ids, counts and the topic only, no text and no author. An SLA
breach whose escalation says `notify` is sent the same way as its `CaseEvent` (ids, department,
priority; no customer text); `X-Heed-Event` names which of the two a body is. The
receiver verifies `X-Heed-Signature: sha256=<hex>`, the HMAC-SHA256 with the shared secret of
`<X-Heed-Timestamp>.<body>`, and refuses a timestamp too far from its clock: binding the time
into the signature keeps a captured request from being replayed later.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Callable

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from heed.contracts.events import Alert, CaseEvent

Notice = Alert | CaseEvent  # crisis alerts, and SLA breaches whose escalation notifies
EVENT_HEADER = "X-Heed-Event"

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Heed-Signature"
TIMESTAMP_HEADER = "X-Heed-Timestamp"


class WebhookRefused(Exception):
    """The receiver answered with an error status; worth another attempt only for 408, 429 and 5xx."""

    def __init__(self, url: str, status: int) -> None:
        super().__init__(f"{url} answered {status}")
        self.retryable = status in (408, 429) or status >= 500


def _worth_retrying(error: BaseException) -> bool:
    return isinstance(error, httpx.HTTPError) or (isinstance(error, WebhookRefused) and error.retryable)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Heed-Signature value of `body` sent at `timestamp` (unix seconds)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class NoAlertNotifier:
    """No webhook configured: alerts are published on heed.alerts only."""

    def notify(self, alert: Notice) -> None:
        pass

    async def aclose(self) -> None:
        pass


class WebhookAlertNotifier:
    """POSTs each alert to `url` from a bounded queue drained by one background task."""

    def __init__(self, url: str, secret: str, *, client: httpx.AsyncClient | None = None, attempts: int = 5,
                 timeout_s: float = 5.0, max_wait_s: float = 30.0, queue_size: int = 1000,
                 clock: Callable[[], float] = time.time) -> None:
        self.url, self.secret, self.attempts, self.max_wait_s = url, secret, attempts, max_wait_s
        self.client = client or httpx.AsyncClient(timeout=timeout_s)
        self.clock = clock
        self.queue: asyncio.Queue[Notice] = asyncio.Queue(maxsize=queue_size)
        self.worker: asyncio.Task[None] | None = None
        self.delivered = 0
        self.failed = 0  # gave up after every attempt, or dropped on a full queue

    def notify(self, alert: Notice) -> None:
        try:
            self.queue.put_nowait(alert)
        except asyncio.QueueFull:
            self.failed += 1
            log.error("alert webhook queue full: alert not notified (it is on heed.alerts)",
                      extra={"fields": {"event_id": str(alert.event_id), "event": type(alert).__name__}})
            return
        if self.worker is None or self.worker.done():
            self.worker = asyncio.get_running_loop().create_task(self._drain(), name="alert-webhook")

    async def drained(self) -> None:
        """Wait until every queued alert was delivered or given up on."""
        await self.queue.join()

    async def aclose(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            await asyncio.gather(self.worker, return_exceptions=True)
        await self.client.aclose()

    async def _drain(self) -> None:
        while True:
            alert = await self.queue.get()
            try:
                await self._deliver(alert)
                self.delivered += 1
            except (httpx.HTTPError, WebhookRefused) as error:
                self.failed += 1
                log.error("alert webhook failed after retries (the alert is on heed.alerts)",
                          extra={"fields": {"event_id": str(alert.event_id), "event": type(alert).__name__,
                                            "attempts": self.attempts, "error": str(error)}})
            finally:
                self.queue.task_done()

    async def _deliver(self, alert: Notice) -> None:
        body = alert.model_dump_json().encode()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.attempts), reraise=True,
            wait=wait_exponential(multiplier=0.5, max=self.max_wait_s),
            retry=retry_if_exception(_worth_retrying))
        async for attempt in retrying:
            with attempt:
                timestamp = str(int(self.clock()))
                response = await self.client.post(self.url, content=body, headers={
                    "content-type": "application/json", EVENT_HEADER: type(alert).__name__, TIMESTAMP_HEADER: timestamp,
                    SIGNATURE_HEADER: sign(self.secret, timestamp, body)})
                if response.status_code >= 400:
                    raise WebhookRefused(self.url, response.status_code)
