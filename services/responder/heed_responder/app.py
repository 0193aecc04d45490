"""Responder: renders the reply for each routed mention, writes it to the outbox, sends it
through the channel adapter once, and publishes what was sent. From heed.crm.customers it learns
the name on record and the preferred language a reply uses, and forgets an erased customer.

Wiring only: the handlers are in `handlers.py`, the decisions in `domain/`, the ports built in
`bootstrap.py`. A tick (`HEED_RESPONDER_TICK_S`) reads back replies a stopped responder left
`sending` and sends the ones a platform asked to retry.
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
from heed_responder.adapters.replies_file import KnowledgeBaseFile, RepliesFile, shipped_path, shipped_replies_path
from heed_responder.api import parse_tokens, responder_api
from heed_responder.bootstrap import Overrides, Ports, build_ports, delivery_tick, handlers_for, reply_context
from heed_responder.domain.customers import NO_PROFILE, CustomerProfile
from heed_responder.domain.planning import ReplyContext
from heed_responder.settings import ResponderSettings

log = logging.getLogger(__name__)


class ResponderService(Service):
    name = "responder"
    settings: ResponderSettings

    def __init__(self, settings: ResponderSettings | None = None, overrides: Overrides = Overrides()) -> None:
        super().__init__(settings or ResponderSettings())
        self.overrides = overrides
        # the replies file: a bad file at start stops the responder (there is no last good one)
        self.replies_file = RepliesFile(self.settings.responder_templates or shipped_replies_path(),
                                        self.settings.responder_templates_poll_s)
        self.knowledge_file = KnowledgeBaseFile(self.settings.responder_knowledge or shipped_path("knowledge.yaml"),
                                                self.settings.responder_templates_poll_s)
        self._tick: Callable[[], Awaitable[int]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._watches: list[asyncio.Task[None]] = []
        self._ports: Ports | None = None
        secret = self.settings.responder_api_tokens
        self.api_tokens = parse_tokens(secret.get_secret_value() if secret is not None else None)

    def routes(self) -> list[BaseRoute]:
        """The answering API the agent console calls, at /v1 (docs/CONSOLE.md)."""
        clock = SystemClock()
        return [Mount("/v1", app=responder_api(self._reply_context, lambda: self.api_tokens, self._profile,
                                               clock.now))]

    def _reply_context(self) -> ReplyContext:
        if self._ports is not None:
            return self._ports.context
        return reply_context(self.settings, self.replies_file.current, self.knowledge_file.current)

    async def _profile(self, identity: str) -> CustomerProfile:
        if self._ports is None:
            return NO_PROFILE
        return (await self._ports.customers.profiles([identity])).get(identity, NO_PROFILE)

    def handlers(self) -> dict[str, Handler[Any]]:
        ports = build_ports(self.settings, pool=lambda: self.pool, publisher=self.stage.publisher,
                            overrides=self.overrides, replies=self.replies_file.current,
                            knowledge=self.knowledge_file.current)
        self._ports = ports
        self._tick = delivery_tick(ports, self.settings)
        return handlers_for(ports)

    async def on_started(self) -> None:
        self._task = asyncio.create_task(self._ticking(), name="responder-delivery")
        self._watches = [asyncio.create_task(self.replies_file.watch(), name="responder-replies-watcher"),
                         asyncio.create_task(self.knowledge_file.watch(), name="responder-knowledge-watcher")]

    async def readiness(self) -> dict[str, bool]:
        """The shared checks, and `replies` and `knowledge`: false while that file holds an edit that
        was refused (the last good file is still in use)."""
        return {**await super().readiness(), "replies": self.replies_file.problem is None,
                "knowledge": self.knowledge_file.problem is None}

    def readiness_reasons(self) -> dict[str, str]:
        problems = {"replies": self.replies_file.problem, "knowledge": self.knowledge_file.problem}
        return {check: problem for check, problem in problems.items() if problem is not None}

    async def _ticking(self) -> None:
        while True:
            try:
                # a backlog drains without waiting, but a platform that keeps saying "now" never spins
                for _ in range(20):
                    if self._tick is None or await self._tick() == 0:
                        break
            except Exception as error:  # a failed tick (database, broker, platform) is tried again next round
                log.warning("responder delivery: tick failed, retrying",
                            extra={"fields": {"error_type": type(error).__name__}})
            await asyncio.sleep(self.settings.responder_tick_s)

    async def on_stopping(self) -> None:
        for task in (self._task, *self._watches):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task, self._watches = None, []
        close = getattr(self._ports.channel, "aclose", None) if self._ports is not None else None
        if close is not None:
            await close()  # the platforms' HTTP connections
