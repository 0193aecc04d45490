"""crm-sync: every interaction lands in the customer record; new customers are announced on
heed.crm.customers for the router and responder. It serves the secure verification page at
/verify/{token} and announces each verification on heed.crm.verifications.

Wiring only: the handlers are in `handlers.py`, their ports built in `bootstrap.py`, the page's
translation in `verify_page.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, ClassVar

from starlette.routing import BaseRoute, Mount

from heed.contracts import topics
from heed.runtime.messaging import Handler
from heed.runtime.ports import Clock, SystemClock
from heed.runtime.service import Service
from heed_crm_sync.adapters.verifications import PostgresVerifications
from heed_crm_sync.bootstrap import Overrides, bootstrap, verification_policy
from heed_crm_sync.handlers import TIMELINE, announce_verifications
from heed_crm_sync.ports import Verifications
from heed_crm_sync.settings import CrmSyncSettings
from heed_crm_sync.verify_page import VerifyPage

log = logging.getLogger(__name__)
ANNOUNCE_EVERY_S = 2.0  # how soon a verification whose announcement failed after its commit is sent again


class CrmSyncService(Service):
    name = "crm-sync"
    settings: CrmSyncSettings
    # the case events a customer record keeps; the rest (claims, notes, queue moves) are passed over
    # without being decoded: several of them go by for every mention
    kinds: ClassVar[dict[str, frozenset[str]]] = {topics.CASE_EVENTS: frozenset(k.value for k in TIMELINE)}

    def __init__(self, settings: CrmSyncSettings | None = None, overrides: Overrides = Overrides(),
                 clock: Clock | None = None) -> None:
        super().__init__(settings or CrmSyncSettings())
        self.overrides = overrides
        self.policy = verification_policy(self.settings)
        self._verifications: Verifications | None = overrides.verifications
        publisher = overrides.publisher if overrides.publisher is not None else self.stage.publisher
        self.page = VerifyPage(verifications=self.verifications, publisher=publisher,
                               clock=clock or SystemClock(), policy=self.policy, hsts=self.settings.verify_hsts)
        self._announcer: asyncio.Task[None] | None = None

    def handlers(self) -> dict[str, Handler[Any]]:
        return bootstrap(pool=lambda: self.pool, publisher=self.stage.publisher, overrides=self.overrides)

    def verifications(self) -> Verifications:
        """The page's store, built on first use (the pool exists once the service started)."""
        if self._verifications is None:
            self._verifications = PostgresVerifications(self.pool)
        return self._verifications

    def routes(self) -> list[BaseRoute]:
        """The secure verification page at /verify/{token}."""
        return [Mount("/verify", app=self.page.app())]

    async def on_started(self) -> None:
        if self.policy is None:
            log.warning("secure verification page off: set HEED_CRM_DATA_KEY and HEED_SECURE_LINK_KEY")
        self._announcer = asyncio.create_task(self._announcing(), name="crm-sync-verifications")

    async def _announcing(self) -> None:
        """Announce verifications whose announcement failed after they were recorded (or before a restart)."""
        while True:
            try:
                await announce_verifications(verifications=self.verifications(), publisher=self.page.publisher)
            except Exception as error:  # broker or database away: tried again next round
                log.warning("verification announcements: round failed, retrying",
                            extra={"fields": {"error_type": type(error).__name__}})
            await asyncio.sleep(ANNOUNCE_EVERY_S)

    async def on_stopping(self) -> None:
        if self._announcer is not None:
            self._announcer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._announcer
            self._announcer = None
