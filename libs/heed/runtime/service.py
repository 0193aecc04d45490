"""What every Heed service is: a broker, a pool on its own schema, consumers, and an HTTP app.

A service starts in a process of its own (`heed run NAME`) or in-process for tests. Its public
HTTP app serves the service's routes (webhooks, the API) and /healthz (the process is alive); its
internal app, on a port of its own that no public Service or ingress exposes, serves /healthz,
/readyz (broker and database answer) and /metrics for probes and scrapers. Readiness and metrics
say which dependency is down and how much traffic flows: nothing for a stranger on the webhook port.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, ClassVar

import asyncpg
import uvicorn
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from heed.contracts.topics import BY_NAME
from heed.contracts.topology import INTERNAL_PORT_OFFSET, ServiceNode, node
from heed.runtime.db import create_pool, migrate
from heed.runtime.messaging import Handler, Stage, create_broker, create_producer, start_broker
from heed.runtime.metrics import CountsCollector, render
from heed.runtime.settings import HeedSettings

log = logging.getLogger(__name__)
GC_THRESHOLDS = (20_000, 20, 20)  # the collector's per-generation thresholds once a service has started
__all__ = ["INTERNAL_PORT_OFFSET", "Service", "TopologyMismatch", "serve"]


class TopologyMismatch(RuntimeError):
    """A service's handlers do not match the topics its node in the topology consumes."""


class Service:
    """Base of the five services; a subclass sets `name` (its node in `heed.contracts.topology`)
    and returns its handlers from `handlers()`, built by its bootstrap."""

    name: ClassVar[str]
    # a service outside Heed's five (a test's, another team's) brings its own node
    own_node: ClassVar[ServiceNode | None] = None
    # topic → the event kinds its handler acts on; records of other kinds are passed over undecoded
    kinds: ClassVar[dict[str, frozenset[str]]] = {}
    # HELP text of the names `metrics()` returns; a subclass adds its own
    # uvicorn's own default: X-Forwarded-For and -Proto believed from FORWARDED_ALLOW_IPS (127.0.0.1
    # unless set); a service that counts clients by address sets False and reads the header itself
    proxy_headers: ClassVar[bool] = True
    metric_help: ClassVar[dict[str, str]] = {
        "heed_events_published_total": "Events this service published and the broker acknowledged"}

    def __init__(self, settings: HeedSettings | None = None) -> None:
        self.settings = settings or HeedSettings()
        self.node: ServiceNode = self.own_node or node(self.name)
        self.broker = create_broker(self.settings, self.name)
        # a registry per instance, not prometheus_client's global one: tests run five services in one process
        self.registry = CollectorRegistry()
        self.stage = Stage(self.broker, self.name, self.settings, publishes=self.node.publishes,
                           registry=self.registry)
        self.registry.register(CountsCollector(self.name, self.metrics, self.metric_help))
        self._pool: asyncpg.Pool | None = None
        self.started = False

    @property
    def schema(self) -> str:
        return self.node.schema

    @property
    def migrations_package(self) -> str:
        return self.node.package

    @property
    def default_port(self) -> int:
        return self.node.port

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError(f"{self.name}: the database pool is used before start()")
        return self._pool

    @property
    def port(self) -> int:
        return self.settings.http_port or self.default_port

    @property
    def internal_port(self) -> int:
        return self.settings.internal_port or self.port + INTERNAL_PORT_OFFSET

    def handlers(self) -> dict[str, Handler[Any]]:
        """Topic → batch handler, for exactly the topics the service's node consumes."""
        return {}

    def register(self) -> None:
        """Subscribe the node's topics, each with its handler, model and consumer group."""
        handlers = self.handlers()
        declared = set(self.node.consumes)
        if set(handlers) != declared:
            raise TopologyMismatch(
                f"{self.name}: handlers for {sorted(handlers)}, but the topology declares {sorted(declared)}")
        for topic in self.node.consumes:
            self.stage.consume(topic, BY_NAME[topic].model, handlers[topic], group=self.node.group(topic),
                               kinds=self.kinds.get(topic), deferred=topic in self.node.deferred,
                               background=topic not in self.node.waited_on)

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
        # what start-up made (modules, models, tables) lives as long as the process: out of the
        # collector's way, so each full collection walks only what handling events creates; and the
        # youngest generation is collected every 20,000 allocations, not 700: a batch's events mostly
        # die by reference count before a collection would look at them (heed bench with and without
        # these settings: docs/BENCHMARKS.md, "the garbage collector")
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
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

    def readiness_reasons(self) -> dict[str, str]:
        """Why a check of the service's own is false, check → reason; on /readyz beside the checks."""
        return {}

    def metrics(self) -> dict[str, int]:
        """Counts of the service's own, name → number; a key may carry labels ('name{channel="x"}').

        Rendered on /metrics with the service label and the Stage's per-topic instruments
        (heed_batch_seconds, heed_events_handled_total, heed_dead_letters_total, heed_consumer_lag).
        A subclass adds its counts to `super().metrics()` and their HELP text to `metric_help`.
        """
        return {"heed_events_published_total": self.stage.publisher.published}

    async def _healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": self.name})

    def asgi(self) -> Starlette:
        """The public app: the service's routes and /healthz; its lifespan starts and stops the service."""

        @asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        # /healthz stays public: it says only that the process answers, which any request shows,
        # and a load balancer in front of the webhooks may have no other way in
        routes: list[BaseRoute] = [Route("/healthz", self._healthz), *self.routes()]
        return Starlette(routes=routes, lifespan=lifespan)

    def internal_asgi(self) -> Starlette:
        """The internal app: /healthz, /readyz and /metrics; no lifespan, the public app's starts the service."""

        async def readyz(request: Request) -> Response:
            checks = await self.readiness()
            ok = all(checks.values())
            body: dict[str, object] = {"ready": ok, "checks": checks}
            reasons = self.readiness_reasons()
            if reasons:
                body["reasons"] = reasons
            return JSONResponse(body, status_code=200 if ok else 503)

        async def metrics(request: Request) -> Response:
            body, content_type = render(self.registry, request.headers.get("accept"))
            return Response(body, headers={"content-type": content_type})

        return Starlette(routes=[Route("/healthz", self._healthz), Route("/readyz", readyz),
                                 Route("/metrics", metrics)])


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to `serve()`, which stops both servers on one signal."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.listening.set()

    async def run_until_exit(self) -> int:
        """Serve until told to stop; the exit code uvicorn asks for when a port or the lifespan fails."""
        try:
            await self.serve()
        except SystemExit as stopped:  # raised inside a task it would escape the loop and skip the other server's stop
            return stopped.code if isinstance(stopped.code, int) else 1
        return 0


def public_config(service: Service) -> uvicorn.Config:
    """The public HTTP server's configuration (the APIs, the console)."""
    return uvicorn.Config(service.asgi(), host=service.settings.http_host, port=service.port, log_config=None,
                          access_log=False, lifespan="on", proxy_headers=service.proxy_headers)


def serve(service: Service) -> None:
    """Run `service` until SIGINT/SIGTERM: public and internal HTTP and consumers in one event loop."""
    asyncio.run(serve_async(service))


async def serve_async(service: Service) -> None:
    """`serve()` in a running event loop: both servers until SIGINT/SIGTERM, then the service stops."""
    if service.internal_port == service.port:
        raise ValueError(f"{service.name}: HEED_INTERNAL_PORT is the HTTP port ({service.port}); "
                         "/readyz and /metrics need a port of their own")
    settings = service.settings
    internal = _Server(uvicorn.Config(service.internal_asgi(), host=settings.internal_host,
                                      port=service.internal_port, log_config=None, access_log=False,
                                      lifespan="off"))
    public = _Server(public_config(service))
    servers = (internal, public)

    def on_signal(sig: signal.Signals) -> None:
        for server in servers:
            if server.should_exit and sig == signal.SIGINT:
                server.force_exit = True  # a second Ctrl-C stops without waiting, as uvicorn alone does
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        # The internal server first: a port it cannot bind stops the process before the service
        # starts (uvicorn exits), and probes reach it while the service starts (/readyz answers 503).
        tasks = [asyncio.create_task(internal.run_until_exit())]
        listening = asyncio.create_task(internal.listening.wait())
        await asyncio.wait([tasks[0], listening], return_when=asyncio.FIRST_COMPLETED)
        listening.cancel()
        if not tasks[0].done():
            tasks.append(asyncio.create_task(public.run_until_exit()))
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for server in servers:  # one stopped: the other stops too
            server.should_exit = True
        failed = [code for code in await asyncio.gather(*tasks) if code]
        if failed:
            raise SystemExit(failed[0])
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
