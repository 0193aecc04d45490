"""Router: assigns each classified mention to a case (one per conversation), a department,
a handling mode, a priority and an SLA due time.

Wiring only: the handlers are in `handlers.py`, their ports built in `bootstrap.py`.
"""

from __future__ import annotations

from typing import Any

from heed.runtime.messaging import Handler
from heed.runtime.service import Service
from heed_router.bootstrap import Overrides, bootstrap, build_alerting
from heed_router.domain.rules import DEFAULT_RULES, RuleTable
from heed_router.settings import RouterSettings


class RouterService(Service):
    name = "router"
    settings: RouterSettings

    def __init__(self, settings: RouterSettings | None = None, rules: RuleTable = DEFAULT_RULES,
                 overrides: Overrides = Overrides()) -> None:
        super().__init__(settings or RouterSettings())
        self.rules = rules
        self.overrides = overrides
        self.alerting = build_alerting(self.settings, overrides)

    def handlers(self) -> dict[str, Handler[Any]]:
        return bootstrap(rules=self.rules, pool=lambda: self.pool, publisher=self.stage.publisher,
                         alerting=self.alerting, overrides=self.overrides)

    async def on_stopping(self) -> None:
        await self.alerting.notifier.aclose()
