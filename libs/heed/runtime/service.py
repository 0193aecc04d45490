"""What every Heed service is: a broker, a pool on its own schema, consumers, and an HTTP app.

A service starts in a process of its own (`heed run NAME`) or in-process for tests. Its HTTP app
serves /healthz (the process is alive), /readyz (broker and database answer) and /metrics.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import ClassVar

import asyncpg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from heed.runtime.db import create_pool, migrate
from heed.runtime.messaging import Stage, create_broker, create_producer, start_broker
from heed.runtime.settings import HeedSettings

log = logging.getLogger(__name__)


class Service:
    """Base of the five services; subclasses set the class attributes and `register()`."""

    name: ClassVar[str]
    schema: ClassVar[str]
    migrations_package: ClassVar[str]
    default_port: ClassVar[int]

    def __init__(self, settings: HeedSettings | None = None) -> None:
        self.settings = settings or HeedSettings()
        self.broker = create_broker(self.settings, self.name)
        self.stage = Stage(self.broker, self.name, self.settings)
        self._pool: asyncpg.Pool | None = None
        self.started = False

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError(f"{self.name}: the database pool is used before start()")
        return self._pool

    @property
    def port(self) -> int:
        return self.settings.http_port or self.default_port

    def register(self) -> None:
        """Register the service's consumers on `self.stage`."""

    def routes(self) -> list[BaseRoute]:
        """Service-specific HTTP routes."""
        return []

    async def on_started(self) -> None:
        """Hook run after the broker is up (pollers, timers)."""

    async def on_stopping(self) -> None:
        """Hook run before the broker stops."""

    async def start(self) -> None:
        self._pool = await create_pool(self.settings.resolved_database(), self.schema,
                                       max_size=self.settings.db_pool_max)
        await migrate(self._pool, self.schema, self.migrations_package)
        self.register()
        producer = create_producer(self.settings, self.name)
        await producer.start()
        self.stage.publisher.producer = producer
        await start_broker(self.broker)
        await self.on_started()
        self.started = True
        log.info("service started", extra={"fields": {"service": self.name}})

    async def stop(self) -> None:
        self.started = False
        await self.on_stopping()
        await self.broker.stop()
        if self.stage.publisher.producer is not None:
            await self.stage.publisher.producer.stop()
            self.stage.publisher.producer = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def readiness(self) -> dict[str, bool]:
        checks = {"started": self.started, "database": False, "broker": False}
        if self._pool is not None:
            try:
                await self._pool.fetchval("SELECT 1")
                checks["database"] = True
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                pass
        try:
            checks["broker"] = bool(await self.broker.ping(timeout=1.0))
        except Exception:  # any failure to reach the broker simply means not ready
            checks["broker"] = False
        return checks

    def metrics(self) -> dict[str, int]:
        return {
            "heed_events_handled_total": self.stage.handled,
            "heed_events_published_total": self.stage.publisher.published,
            "heed_dead_letters_total": self.stage.dead_lettered,
        }

    def asgi(self) -> Starlette:
        async def healthz(request: Request) -> Response:
            return JSONResponse({"status": "ok", "service": self.name})

        async def readyz(request: Request) -> Response:
            checks = await self.readiness()
            ok = all(checks.values())
            return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

        async def metrics(request: Request) -> Response:
            lines = []
            for key, value in self.metrics().items():
                # a key may carry labels of its own, 'name{channel="x"}': the service label joins them
                name, _, labels = key.partition("{")
                lines.append(f'{name}{{service="{self.name}"{"," + labels if labels else "}"} {value}')
            return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

        @asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        routes: list[BaseRoute] = [
            Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics),
            *self.routes(),
        ]
        return Starlette(routes=routes, lifespan=lifespan)


def serve(service: Service) -> None:
    """Run `service` until SIGINT/SIGTERM, HTTP and consumers in one event loop."""
    config = uvicorn.Config(service.asgi(), host=service.settings.http_host, port=service.port,
                            log_config=None, access_log=False, lifespan="on")
    asyncio.run(uvicorn.Server(config).serve())
