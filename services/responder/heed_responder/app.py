"""Responder: renders the reply for each routed mention, writes it to the outbox, sends it
through the channel adapter once, and publishes what was sent.

Wiring only: the handler is in `handlers.py`, the decisions in `domain/`, the ports built in
`bootstrap.py`.
"""

from __future__ import annotations

from typing import Any

from heed.runtime.messaging import Handler
from heed.runtime.service import Service
from heed_responder.bootstrap import Overrides, bootstrap
from heed_responder.settings import ResponderSettings


class ResponderService(Service):
    name = "responder"
    settings: ResponderSettings

    def __init__(self, settings: ResponderSettings | None = None, overrides: Overrides = Overrides()) -> None:
        super().__init__(settings or ResponderSettings())
        self.overrides = overrides

    def handlers(self) -> dict[str, Handler[Any]]:
        return bootstrap(self.settings, pool=lambda: self.pool, publisher=self.stage.publisher,
                         overrides=self.overrides)
