"""crm-sync: every interaction lands in the customer record; new customers and every change to one
(through the customers API at /v1, a merge, an erasure) are announced on heed.crm.customers for the
router and responder. It serves the secure verification page at /verify/{token} and announces each
verification on heed.crm.verifications.

Wiring only: the handlers are in `handlers.py`, their ports built in `bootstrap.py`, the page's
translation in `verify_page.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from heed.contracts import topics
from heed.runtime.messaging import Handler
from heed.runtime.ports import Clock, SystemClock
from heed.runtime.service import Service
from heed_crm_sync.adapters.crm.hubspot import HubSpotCrm
from heed_crm_sync.adapters.crm_store import PostgresCrmStore
from heed_crm_sync.adapters.customer_book import PostgresCustomerBook
from heed_crm_sync.adapters.postgres import PostgresCustomerRecords
from heed_crm_sync.adapters.verifications import PostgresVerifications
from heed_crm_sync.api import customers_api
from heed_crm_sync.bootstrap import Overrides, bootstrap, external_crms, verification_policy
from heed_crm_sync.crm_sync import pull_round, push_round, take_hubspot_webhook
from heed_crm_sync.domain.hubspot_webhooks import WebhookMalformed, WebhookRefused
from heed_crm_sync.domain.ownership import parse_owners
from heed_crm_sync.handlers import TIMELINE, announce_customers, announce_verifications, read_preferences
from heed_crm_sync.ports import CustomerRecords, Verifications
from heed_crm_sync.settings import CrmSyncSettings
from heed_crm_sync.verify_page import VerifyPage

log = logging.getLogger(__name__)
LEFTOVER_AGE = timedelta(seconds=5)  # the page's own announcement, still in flight, is younger than this
ANNOUNCE_EVERY_S = 2.0  # how soon a verification whose announcement failed after its commit is sent again


class CrmSyncService(Service):
    name = "crm-sync"
    settings: CrmSyncSettings
    # the case events a customer record keeps; the rest (claims, notes, queue moves) are passed over
    # without being decoded: several of them go by for every mention
    kinds: ClassVar[dict[str, frozenset[str]]] = {topics.CASE_EVENTS: frozenset(k.value for k in TIMELINE)}
    metric_help: ClassVar[dict[str, str]] = {
        **Service.metric_help,
        "heed_crm_refused": "Records a CRM refused that wait to be tried again (`heed crm refused` lists them), "
                            "per CRM and kind, as of the last sync round"}

    def __init__(self, settings: CrmSyncSettings | None = None, overrides: Overrides = Overrides(),
                 clock: Clock | None = None) -> None:
        super().__init__(settings or CrmSyncSettings())
        self.overrides = overrides
        self.policy = verification_policy(self.settings)
        self.clock = clock or SystemClock()
        self._verifications: Verifications | None = overrides.verifications
        publisher = overrides.publisher if overrides.publisher is not None else self.stage.publisher
        self.page = VerifyPage(verifications=self.verifications, publisher=publisher,
                               clock=self.clock, policy=self.policy, hsts=self.settings.verify_hsts)
        self._announcer: asyncio.Task[None] | None = None
        self.announcing = asyncio.Lock()  # the mentions handler and the round announce customers one at a time
        self.api_tokens = self.settings.api_tokens()  # a malformed setting stops the service here
        self._book: PostgresCustomerBook | None = None
        self._records: CustomerRecords | None = None
        self._crm_store: PostgresCrmStore | None = None
        self.crms = overrides.crms if overrides.crms is not None else external_crms(self.settings)
        self._syncer: asyncio.Task[None] | None = None
        self.refused_counts: dict[tuple[str, str], int] = {}  # (CRM, kind) → refused and waiting, after a round

    def metrics(self) -> dict[str, int]:
        return {**super().metrics(), **{f'heed_crm_refused{{crm="{crm}",kind="{kind}"}}': n
                                        for (crm, kind), n in self.refused_counts.items()}}

    def handlers(self) -> dict[str, Handler[Any]]:
        return bootstrap(pool=lambda: self.pool, publisher=self.stage.publisher, overrides=self.overrides,
                         announcing=self.announcing)

    def records(self) -> CustomerRecords:
        if self.overrides.records is not None:
            return self.overrides.records
        if self._records is None:
            self._records = PostgresCustomerRecords(self.pool)
        return self._records

    def verifications(self) -> Verifications:
        """The page's store, built on first use (the pool exists once the service started)."""
        if self._verifications is None:
            self._verifications = PostgresVerifications(self.pool)
        return self._verifications

    def routes(self) -> list[BaseRoute]:
        """The secure verification page at /verify/{token}; the customers API at /v1; HubSpot's webhooks."""
        return [Mount("/verify", app=self.page.app()),
                Mount("/v1", app=customers_api(self.book, lambda: self.api_tokens, self.clock)),
                Route("/crm/hubspot/webhook", self.hubspot_webhook, methods=["POST"])]

    def crm_store(self) -> PostgresCrmStore:
        if self._crm_store is None:
            self._crm_store = PostgresCrmStore(self.pool, self.book(), parse_owners(self.settings.crm_field_owners))
        return self._crm_store

    async def hubspot_webhook(self, request: Request) -> Response:
        """HubSpot's contact property changes: refused (401) unless signed (v3) and fresh."""
        hubspot = next((c for c in self.crms if c.name == "hubspot"), None)
        secret = self.settings.hubspot_client_secret
        if not isinstance(hubspot, HubSpotCrm) or secret is None:
            return JSONResponse({"error": "HubSpot sync is off"}, status_code=404)
        body = await request.body()
        uri = self.settings.hubspot_webhook_url or str(request.url)
        try:
            result = await take_hubspot_webhook(
                body, method=request.method, uri=uri, timestamp=request.headers.get("x-hubspot-request-timestamp"),
                signature=request.headers.get("x-hubspot-signature-v3"), client_secret=secret.get_secret_value(),
                crm=hubspot, properties=dict(hubspot.properties), store=self.crm_store(), clock=self.clock,
                ignore_sources=self.settings.hubspot_ignored_sources())
        except WebhookRefused as error:
            return JSONResponse({"error": str(error)}, status_code=401)
        except WebhookMalformed as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse({"changes": result.changes_taken, "fields_changed": result.fields_changed})

    def book(self) -> PostgresCustomerBook:
        """The customer 360's store, built on first use (the pool exists once the service started)."""
        if self._book is None:
            self._book = PostgresCustomerBook(self.pool, self.policy.data_keys if self.policy else None)
        return self._book

    async def on_started(self) -> None:
        if self.policy is None:
            log.warning("secure verification page off: set HEED_CRM_DATA_KEY and HEED_SECURE_LINK_KEY")
        self._announcer = asyncio.create_task(self._announcing(), name="crm-sync-verifications")
        if self.crms:
            self._syncer = asyncio.create_task(self._syncing(), name="crm-sync-external")

    async def _syncing(self) -> None:
        """Push to and poll from each external CRM every HEED_CRM_SYNC_EVERY_S; a CRM that asks for a
        pause gets it, the others go on."""
        resume: dict[str, float] = {}
        loop = asyncio.get_running_loop()
        while True:
            for crm in self.crms:
                if loop.time() < resume.get(crm.name, 0.0):
                    continue
                try:
                    pushed = await push_round(crm, self.crm_store(), self.clock)
                    pulled = await pull_round(crm, self.crm_store(), self.clock)
                    errors = pushed.errors + pulled.errors
                    if errors:  # refused records wait an hour, their reasons in crm_outbox: say so once a round
                        log.warning("crm sync: %s: %s", crm.name, errors[0],
                                    extra={"fields": {"crm": crm.name, "errors": len(errors)}})
                    self.refused_counts = await self.crm_store().refused_counts()
                    wait = max(pushed.retry_after_s or 0.0, pulled.retry_after_s or 0.0)
                    if wait:
                        resume[crm.name] = loop.time() + wait
                        log.warning("crm sync: %s asked for a pause", crm.name, extra={"fields": {"wait_s": wait}})
                except Exception as error:  # the database or a CRM away: tried again next round
                    log.warning("crm sync: round failed, retrying", extra={"fields": {
                        "crm": crm.name, "error_type": type(error).__name__}})
            await asyncio.sleep(self.settings.crm_sync_every_s)

    async def _announcing(self) -> None:
        """Announce verifications whose announcement failed after they were recorded (or before a restart)."""
        while True:
            try:
                await announce_verifications(verifications=self.verifications(), publisher=self.page.publisher,
                                             verified_before=self.clock.now() - LEFTOVER_AGE)
                records = self.records()
                if isinstance(records, PostgresCustomerRecords):
                    await read_preferences(records=records)
                # changes made through the customers API, merges, erasures, confirmed preferences
                await announce_customers(records=records, publisher=self.page.publisher, announcing=self.announcing)
            except Exception as error:  # broker or database away: tried again next round
                log.warning("verification announcements: round failed, retrying",
                            extra={"fields": {"error_type": type(error).__name__}})
            await asyncio.sleep(ANNOUNCE_EVERY_S)

    async def on_stopping(self) -> None:
        if self._syncer is not None:
            self._syncer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._syncer
        for crm in self.crms:
            await crm.aclose()
        if self._announcer is not None:
            self._announcer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._announcer
            self._announcer = None
