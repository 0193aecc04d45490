"""Router: assigns each classified mention to a case (one per conversation), a department,
a handling mode, a priority and an SLA due time.

Wiring only: the handlers are in `handlers.py`, their ports built in `bootstrap.py`.
"""

from __future__ import annotations

from typing import Any

from heed.runtime.messaging import Handler
from heed.runtime.service import Service
from heed.runtime.settings import HeedSettings
from heed_router.bootstrap import Overrides, bootstrap
from heed_router.domain.rules import DEFAULT_RULES, RuleTable


class RouterService(Service):
    name = "router"

    def __init__(self, settings: HeedSettings | None = None, rules: RuleTable = DEFAULT_RULES,
                 overrides: Overrides = Overrides()) -> None:
        super().__init__(settings or HeedSettings())
        self.rules = rules
        self.overrides = overrides

    def handlers(self) -> dict[str, Handler[Any]]:
        return bootstrap(rules=self.rules, pool=lambda: self.pool, publisher=self.stage.publisher,
                         overrides=self.overrides)
