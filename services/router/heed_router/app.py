"""Router: assigns each classified mention to a case (one per conversation), a department,
a handling mode, a priority and an SLA due time.

Wiring only: the handlers are in `handlers.py`, their ports built in `bootstrap.py`; the routing
table comes from the rules file (`HEED_ROUTER_RULES`), watched for edits while the router runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from heed.runtime.messaging import Handler
from heed.runtime.service import Service
from heed_router.adapters.rules_file import RulesFile, shipped_rules_path
from heed_router.bootstrap import Overrides, bootstrap, build_alerting
from heed_router.domain.rules import RuleTable
from heed_router.settings import RouterSettings


class RouterService(Service):
    name = "router"
    settings: RouterSettings

    def __init__(self, settings: RouterSettings | None = None, rules: RuleTable | None = None,
                 overrides: Overrides = Overrides()) -> None:
        """`rules` (tests) fixes the table; otherwise it is the rules file's, reloaded on edits."""
        super().__init__(settings or RouterSettings())
        self.overrides = overrides
        self.alerting = build_alerting(self.settings, overrides)
        self.fixed_rules = rules
        # loaded with the service, before it starts: a bad file stops it at once with the line and rule
        self.rules_file = None if rules is not None else RulesFile(
            self.settings.router_rules or shipped_rules_path(), self.settings.router_rules_poll_s)
        self._watcher: asyncio.Task[None] | None = None

    def rules(self) -> RuleTable:
        """The table routing the next batch."""
        if self.rules_file is not None:
            return self.rules_file.current()
        assert self.fixed_rules is not None
        return self.fixed_rules

    def handlers(self) -> dict[str, Handler[Any]]:
        return bootstrap(rules=self.rules, pool=lambda: self.pool, publisher=self.stage.publisher,
                         alerting=self.alerting, overrides=self.overrides)

    async def on_started(self) -> None:
        if self.rules_file is not None:
            self._watcher = asyncio.create_task(self.rules_file.watch(), name="router-rules-watcher")

    async def on_stopping(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        await self.alerting.notifier.aclose()

    def rules_problem(self) -> str | None:
        """Why the rules file's newest edit was refused (the last good table still routes), if it was."""
        return self.rules_file.problem if self.rules_file is not None else None

    async def readiness(self) -> dict[str, bool]:
        """The shared checks, and `rules`: false while the rules file holds an edit that was refused."""
        return {**await super().readiness(), "rules": self.rules_problem() is None}

    def readiness_reasons(self) -> dict[str, str]:
        problem = self.rules_problem()
        return {"rules": problem} if problem is not None else {}
