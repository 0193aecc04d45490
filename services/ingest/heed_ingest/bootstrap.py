"""Ingest's wiring, in one place: the adapter behind each port, the handlers bound to them, the
HTTP routes, and the pollers and dead-letter purge that run beside the consumers.

`Overrides` replaces any adapter: unit tests run the real subscriptions on fakes with it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx
from starlette.routing import BaseRoute

from heed.contracts import topics
from heed.contracts.events import RawMention
from heed.runtime.messaging import Handler, Outgoing
from heed.runtime.ports import EventPublisher
from heed_ingest.adapters.cursors import PostgresCursors
from heed_ingest.adapters.dead_letters import PostgresDeadLetterArchive, purge_on_schedule
from heed_ingest.adapters.erasures import PostgresErasures
from heed_ingest.adapters.graph import InstagramMentions
from heed_ingest.adapters.ledger import PostgresLedger
from heed_ingest.adapters.nonces import PostgresNonces
from heed_ingest.api import MentionsApi
from heed_ingest.handlers import Counts, archive_dead_letters, forget_erased_customers, normalise
from heed_ingest.pollers import Poller, configured_sources
from heed_ingest.ports import (
    CursorStore,
    CustomerErasures,
    DeadLetterArchive,
    InstagramResolver,
    MentionLedger,
    NonceLedger,
)
from heed_ingest.receivers import Receivers

if TYPE_CHECKING:
    from heed_ingest.app import IngestService

HTTP_TIMEOUT_S = 30.0


@dataclass
class Overrides:
    """Ports to use instead of the real adapters; None builds the real one from the settings."""

    ledger: MentionLedger | None = None
    archive: DeadLetterArchive | None = None
    publisher: EventPublisher | None = None
    instagram: InstagramResolver | None = None
    nonces: NonceLedger | None = None
    cursors: CursorStore | None = None
    erasures: CustomerErasures | None = None


class Wiring:
    """What ingest builds from its settings: its adapters, the handlers, routes and background tasks."""

    def __init__(self, service: IngestService, overrides: Overrides) -> None:
        self.service = service
        self.settings = service.settings
        self.overrides = overrides
        self.publisher: EventPublisher = (overrides.publisher if overrides.publisher is not None
                                          else service.stage.publisher)
        self.counts = Counts()
        # built here: a malformed HEED_ERASURE_KEY stops the service before it consumes anything
        self.hashes = self.settings.identity_hashes()
        self.receivers: Receivers | None = None
        self.archive: DeadLetterArchive | None = overrides.archive
        self.erasures: CustomerErasures | None = overrides.erasures
        self.http: httpx.AsyncClient | None = None
        self.pollers: list[Poller] = []
        self._stop_polling = asyncio.Event()
        self._poll_tasks: list[asyncio.Task[None]] = []
        self._purge: asyncio.Task[None] | None = None

    async def publish_raw(self, raws: list[RawMention], keys: list[str]) -> None:
        """Publish authentic bodies and return once the broker acknowledged all of them."""
        await self.publisher.publish(
            [Outgoing(topics.MENTIONS_RAW, raw, key) for raw, key in zip(raws, keys, strict=True)])

    def handlers(self) -> dict[str, Handler[Any]]:
        """Each consumed topic's handler with its ports; built when the service starts, its pool open."""
        o = self.overrides
        ledger = o.ledger if o.ledger is not None else PostgresLedger(self.service.pool)
        self.archive = o.archive if o.archive is not None else PostgresDeadLetterArchive(self.service.pool)
        self.erasures = o.erasures if o.erasures is not None else PostgresErasures(self.service.pool)
        return {
            topics.MENTIONS_RAW: partial(normalise, ledger=ledger, publisher=self.publisher,
                                         instagram=self._instagram(), counts=self.counts, hashes=self.hashes),
            topics.DLQ: partial(archive_dead_letters, archive=self.archive, hashes=self.hashes),
            topics.CRM_ERASURES: partial(forget_erased_customers, erasures=self.erasures, hashes=self.hashes),
        }

    def _instagram(self) -> InstagramResolver | None:
        """The Graph API when a token is set; None makes Instagram @mentions dead letters that say why."""
        if self.overrides.instagram is not None:
            return self.overrides.instagram
        if not self.settings.meta_access_token:
            return None
        return InstagramMentions(self._http(), self.settings.meta_graph_base, self.settings.meta_access_token)

    def _http(self) -> httpx.AsyncClient:
        if self.http is None:
            self.http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_S)
        return self.http

    def routes(self) -> list[BaseRoute]:
        """POST /v1/mentions and the webhooks; built before the service starts, so the nonce ledger
        reaches the pool only when a request comes."""
        # one Receivers per service, however many apps are built: its counters and CRC bucket are shared
        if self.receivers is None:
            nonces = self.overrides.nonces
            self.receivers = Receivers(self.settings, self.publish_raw,
                                       nonces if nonces is not None else PostgresNonces(lambda: self.service.pool))
        return [*MentionsApi(self.settings, self.publish_raw).routes(), *self.receivers.routes()]

    async def start(self) -> None:
        """Once the broker is up: the pollers the settings enable, and the dead-letter purge."""
        cursors = self.overrides.cursors
        if cursors is None:
            cursors = PostgresCursors(self.service.pool)
        self._stop_polling = asyncio.Event()
        self.pollers = [Poller(source, self._http(), cursors, self.publish_raw)
                        for source in configured_sources(self.settings)]
        self._poll_tasks = [asyncio.create_task(p.run(self.settings.poll_interval_s, self._stop_polling))
                            for p in self.pollers]
        archive = self.archive if self.archive is not None else PostgresDeadLetterArchive(self.service.pool)
        erasures = self.erasures if self.erasures is not None else PostgresErasures(self.service.pool)
        # dead letters keep personal data: deleted past retention, now and hourly; so are the hashes of
        # erased identities, whose letters the DLQ topic no longer holds by then
        self._purge = asyncio.create_task(purge_on_schedule(archive, self.settings.retention(), erasures=erasures))

    async def stop(self) -> None:
        """Before the broker stops: each poller ends its poll, the purge is cancelled."""
        if self._purge is not None:
            self._purge.cancel()
            await asyncio.gather(self._purge, return_exceptions=True)
            self._purge = None
        self._stop_polling.set()
        await asyncio.gather(*self._poll_tasks, return_exceptions=True)
        self._poll_tasks, self.pollers = [], []
        if self.http is not None:
            await self.http.aclose()
            self.http = None

    def metrics(self) -> dict[str, int]:
        refused = self.receivers.metrics() if self.receivers is not None else {}
        return {"heed_engagement_events_total": self.counts.engagement, **refused}
