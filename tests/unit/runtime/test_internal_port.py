"""/readyz and /metrics answer only on a service's internal port; the public port keeps /healthz and
the service's own routes, and one process serves both with the service started once."""

from __future__ import annotations

import asyncio
import os
import signal

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from heed.contracts.topology import ServiceNode
from heed.devstack import free_port
from heed.runtime.service import Service, serve_async
from heed.runtime.settings import HeedSettings


class Webhooks(Service):
    """A service with one public route whose start and stop need neither broker nor database."""

    name = "unit"
    own_node = ServiceNode("unit", "unit", "", "unit", 8090, consumes=(), publishes=(), role="a test's service")

    def __init__(self, settings: HeedSettings) -> None:
        super().__init__(settings)
        self.lifecycle: list[str] = []

    def routes(self) -> list[BaseRoute]:
        async def hook(request: Request) -> Response:
            return PlainTextResponse("received")

        return [Route("/webhooks/unit", hook, methods=["POST"])]

    async def start(self) -> None:
        self.lifecycle.append("start")
        self.started = True

    async def stop(self) -> None:
        self.started = False
        self.lifecycle.append("stop")

    async def readiness(self) -> dict[str, bool]:
        return {"started": self.started}


def _service(**settings: object) -> Webhooks:
    return Webhooks(HeedSettings(kafka_bootstrap="127.0.0.1:1", **settings))  # type: ignore[arg-type]


async def _statuses(app: object, paths: tuple[str, ...]) -> list[int]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:  # type: ignore[arg-type]
        return [(await client.get(path)).status_code for path in paths]


async def test_the_public_app_has_no_readiness_or_metrics_and_the_internal_app_has_no_webhooks():
    service = _service()
    assert await _statuses(service.asgi(), ("/healthz", "/readyz", "/metrics")) == [200, 404, 404]
    assert await _statuses(service.internal_asgi(), ("/healthz", "/readyz", "/metrics", "/webhooks/unit")) == [
        200, 503, 200, 404]  # not started yet: not ready
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.internal_asgi()),
                                 base_url="http://service") as client:
        metrics = (await client.get("/metrics")).text
    assert 'heed_events_published_total{service="unit"} 0.0' in metrics.splitlines()


def test_the_internal_port_is_the_public_port_plus_100_unless_set():
    assert (_service().port, _service().internal_port) == (8090, 8190)
    assert (_service(http_port=9000).port, _service(http_port=9000).internal_port) == (9000, 9100)
    assert _service(http_port=9000, internal_port=9500).internal_port == 9500


async def test_one_port_for_both_is_refused_before_anything_starts():
    service = _service(http_port=9000, internal_port=9000)
    with pytest.raises(ValueError, match="a port of their own"):
        await serve_async(service)
    assert service.lifecycle == []


async def test_one_process_serves_both_ports_starts_the_service_once_and_stops_it_on_sigterm():
    public, internal = free_port(), free_port()
    while internal == public:
        internal = free_port()
    service = _service(http_port=public, internal_port=internal)
    serving = asyncio.create_task(serve_async(service))
    async with httpx.AsyncClient(timeout=2.0) as client:
        for _ in range(200):
            try:
                if (await client.get(f"http://127.0.0.1:{internal}/readyz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
        assert (await client.get(f"http://127.0.0.1:{internal}/readyz")).json() == {
            "ready": True, "checks": {"started": True}}
        assert (await client.post(f"http://127.0.0.1:{public}/webhooks/unit")).text == "received"
        assert (await client.get(f"http://127.0.0.1:{public}/readyz")).status_code == 404
        assert (await client.get(f"http://127.0.0.1:{public}/metrics")).status_code == 404
        assert (await client.get(f"http://127.0.0.1:{internal}/webhooks/unit")).status_code == 404
    assert not serving.done()
    os.kill(os.getpid(), signal.SIGTERM)  # caught by serve_async's handler while it runs
    await asyncio.wait_for(serving, timeout=20)
    assert service.lifecycle == ["start", "stop"]
    async with httpx.AsyncClient(timeout=1.0) as client:
        for port in (public, internal):
            with pytest.raises(httpx.TransportError):
                await client.get(f"http://127.0.0.1:{port}/healthz")
