"""Router: assigns each classified mention to a case (one per conversation), a department,
a handling mode, a priority and an SLA due time.

Wiring only: the handlers are in `handlers.py`, their ports built in `bootstrap.py`; the routing
table comes from the rules file (`HEED_ROUTER_RULES`), watched for edits while the router runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.routing import BaseRoute, Mount

from heed.runtime.messaging import Handler
from heed.runtime.ports import SystemClock
from heed.runtime.service import Service
from heed_router.adapters.accounts import PostgresAccounts
from heed_router.adapters.console_clients import HttpCustomerRecords, HttpReplyDesk
from heed_router.adapters.desk import PostgresDesk
from heed_router.adapters.postgres import PostgresCases
from heed_router.adapters.report import PostgresSupervision
from heed_router.adapters.rules_file import RulesFile, shipped_rules_path
from heed_router.api import ApiTokens, cases_api
from heed_router.bootstrap import Overrides, bootstrap, build_alerting
from heed_router.console.app import ConsolePorts, console_app
from heed_router.domain.accounts import parse_proxies
from heed_router.domain.rules import RuleTable
from heed_router.ports import Accounts, CaseDesk, CustomerRecords, ReplyDesk
from heed_router.settings import RouterSettings

log = logging.getLogger(__name__)


class RouterService(Service):
    name = "router"
    settings: RouterSettings
    # the console's login rate limit counts client addresses: X-Forwarded-For only from
    # HEED_CONSOLE_TRUSTED_PROXIES (console/app.py), never from whoever connects over loopback
    proxy_headers = False

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
        self._tasks: list[asyncio.Task[None]] = []
        self._desk: CaseDesk | None = None
        self._accounts: Accounts | None = None
        self._customers: HttpCustomerRecords | None = None
        self._replies: HttpReplyDesk | None = None
        secret = self.settings.api_tokens
        self.api_tokens = ApiTokens.parse(secret.get_secret_value() if secret is not None else None)
        # built here: a malformed HEED_ERASURE_KEY stops the service before it consumes anything
        self.hashes = self.settings.identity_hashes()
        self.owner_agents = self.settings.owner_agents()
        if self.owner_agents.unknown():
            log.warning("HEED_ROUTER_OWNER_AGENTS names agents HEED_API_TOKENS does not: their customers' cases "
                        "are reserved for no one", extra={"fields": {"agents": len(self.owner_agents.unknown())}})
        self._tick: Callable[[], Awaitable[int]] | None = None

    def rules(self) -> RuleTable:
        """The table routing the next batch."""
        if self.rules_file is not None:
            return self.rules_file.current()
        assert self.fixed_rules is not None
        return self.fixed_rules

    def handlers(self) -> dict[str, Handler[Any]]:
        wiring = bootstrap(rules=self.rules, pool=lambda: self.pool, publisher=self.stage.publisher,
                           alerting=self.alerting, hashes=self.hashes, owners=self.owner_agents,
                           overrides=self.overrides)
        self._tick = wiring.tick
        return wiring.handlers

    async def on_started(self) -> None:
        if self.rules_file is not None:
            self._tasks.append(asyncio.create_task(self.rules_file.watch(), name="router-rules-watcher"))
        self._tasks.append(asyncio.create_task(self._ticking(), name="router-timers"))

    async def _ticking(self) -> None:
        """Fire due timers (SLA, claims, follow-ups, closes) every HEED_ROUTER_TIMER_POLL_S; timers are
        rows in PostgreSQL, so one missed while the router was down fires on its first tick."""
        while True:
            try:
                if self._tick is not None:
                    while await self._tick() > 0:
                        pass  # a backlog (after a restart) drains without waiting between rounds
            except Exception as error:  # a failed tick (database, broker) is tried again next round
                log.warning("router timers: tick failed, retrying",
                            extra={"fields": {"error_type": type(error).__name__}})
            await asyncio.sleep(self.settings.router_timer_poll_s)

    async def on_stopping(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.alerting.notifier.aclose()
        for client in (self._customers, self._replies):
            if client is not None:
                await client.aclose()

    def desk(self) -> CaseDesk:
        """The cases API's desk, built on first use (the pool exists once the service started)."""
        if self.overrides.desk is not None:
            return self.overrides.desk
        if self._desk is None:
            self._desk = PostgresDesk(PostgresCases(self.pool, self.hashes), rules=self.rules,
                                      publisher=self.stage.publisher, clock=SystemClock())
        return self._desk

    def accounts(self) -> Accounts:
        """The console's accounts, built on first use (the pool exists once the service started)."""
        if self.overrides.accounts is not None:
            return self.overrides.accounts
        if self._accounts is None:
            self._accounts = PostgresAccounts(self.pool)
        return self._accounts

    def customer_records(self) -> CustomerRecords | None:
        """crm-sync's customers API for the console's customer panel; None without HEED_CONSOLE_CRM_URL."""
        if self.overrides.customers is not None:
            return self.overrides.customers
        s = self.settings
        if self._customers is None and s.console_crm_url and s.console_crm_token is not None:
            self._customers = HttpCustomerRecords(s.console_crm_url, s.console_crm_token.get_secret_value())
        return self._customers

    def reply_desk(self) -> ReplyDesk | None:
        """The responder's answering API for previews and snippets; None without HEED_CONSOLE_RESPONDER_URL."""
        if self.overrides.replies is not None:
            return self.overrides.replies
        s = self.settings
        if self._replies is None and s.console_responder_url and s.console_responder_token is not None:
            self._replies = HttpReplyDesk(s.console_responder_url, s.console_responder_token.get_secret_value())
        return self._replies

    def supervision(self) -> PostgresSupervision:
        """The console's supervisor views over the router's own tables (capacity from the routing rules)."""
        return PostgresSupervision(self.pool, capacity=lambda: self.rules().lifecycle.agent_capacity)

    def departments(self) -> list[str]:
        """Every department the routing rules send cases to (an admin's console lists them all)."""
        return sorted({rule.department for rule in self.rules().rules})

    def routes(self) -> list[BaseRoute]:
        """The cases API at /v1 (its OpenAPI document at /v1/openapi.json) and the agent console at /console."""
        clock = self.overrides.clock or SystemClock()
        console = console_app(ConsolePorts(
            desk=self.desk, accounts=self.accounts, customers=self.customer_records, replies=self.reply_desk,
            now=clock.now, production=self.settings.production, departments=self.departments,
            supervision=self.supervision,
            trusted_proxies=parse_proxies(self.settings.console_trusted_proxies)))
        return [Mount("/v1", app=cases_api(self.desk, lambda: self.api_tokens)), Mount("/console", app=console)]

    def rules_problem(self) -> str | None:
        """Why the rules file's newest edit was refused (the last good table still routes), if it was."""
        return self.rules_file.problem if self.rules_file is not None else None

    async def readiness(self) -> dict[str, bool]:
        """The shared checks, and `rules`: false while the rules file holds an edit that was refused."""
        return {**await super().readiness(), "rules": self.rules_problem() is None}

    def readiness_reasons(self) -> dict[str, str]:
        problem = self.rules_problem()
        return {"rules": problem} if problem is not None else {}
