"""crm-sync: every interaction lands in the customer record; new customers are announced on
heed.crm.customers for the router and responder.

Wiring only: the handlers are in `handlers.py`, their ports built in `bootstrap.py`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from heed.contracts import topics
from heed.runtime.messaging import Handler
from heed.runtime.service import Service
from heed.runtime.settings import HeedSettings
from heed_crm_sync.bootstrap import Overrides, bootstrap
from heed_crm_sync.handlers import TIMELINE


class CrmSyncService(Service):
    name = "crm-sync"
    # the case events a customer record keeps; the rest (claims, notes, queue moves) are passed over
    # without being decoded: several of them go by for every mention
    kinds: ClassVar[dict[str, frozenset[str]]] = {topics.CASE_EVENTS: frozenset(k.value for k in TIMELINE)}

    def __init__(self, settings: HeedSettings | None = None, overrides: Overrides = Overrides()) -> None:
        super().__init__(settings or HeedSettings())
        self.overrides = overrides

    def handlers(self) -> dict[str, Handler[Any]]:
        return bootstrap(pool=lambda: self.pool, publisher=self.stage.publisher, overrides=self.overrides)
