"""Ingest: receives mentions (generic API, file replay, platform webhooks and pollers), publishes
each authentic body to the raw topic before parsing, then normalises and dedupes; archives the DLQ.

Wiring only: what each part does is in handlers.py, api.py, receivers.py and pollers.py, and
bootstrap.py builds them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.routing import BaseRoute

from heed.contracts.events import RawMention
from heed.runtime.messaging import Handler
from heed.runtime.service import Service
from heed_ingest.bootstrap import Overrides, Wiring
from heed_ingest.receivers import REFUSED_METRIC
from heed_ingest.settings import IngestSettings


class IngestService(Service):
    name = "ingest"
    settings: IngestSettings
    metric_help: ClassVar[dict[str, str]] = {
        **Service.metric_help,
        "heed_engagement_events_total": "Likes, reactions, follows and other events that are not mentions: "
                                        "counted, never answered",
        REFUSED_METRIC: "Webhook requests refused before publishing, by channel and reason",
    }

    def __init__(self, settings: IngestSettings | None = None, overrides: Overrides | None = None) -> None:
        super().__init__(settings or IngestSettings())
        self.wiring = Wiring(self, overrides or Overrides())

    def handlers(self) -> dict[str, Handler[Any]]:
        return self.wiring.handlers()

    def routes(self) -> list[BaseRoute]:
        return self.wiring.routes()

    async def on_started(self) -> None:
        await self.wiring.start()

    async def on_stopping(self) -> None:
        await self.wiring.stop()

    def metrics(self) -> dict[str, int]:
        return {**super().metrics(), **self.wiring.metrics()}

    async def publish_raw(self, raws: list[RawMention], keys: list[str]) -> None:
        """Publish authentic bodies and return once the broker acknowledged all of them."""
        await self.wiring.publish_raw(raws, keys)
