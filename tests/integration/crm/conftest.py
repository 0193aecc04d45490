"""The HubSpot stand-in on 127.0.0.1 at an ephemeral port, mounted at /hubspot as tests/standins mounts
it, served once for the session and reset before each test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from tests.standins.hubspot import HubSpotStandIn


@dataclass
class ServedHubSpot:
    stand_in: HubSpotStandIn
    url: str  # the base URL the adapter is given


@pytest.fixture(scope="session")
async def served_hubspot() -> AsyncIterator[ServedHubSpot]:
    stand_in = HubSpotStandIn()
    app = Starlette(routes=[Mount("/hubspot", routes=stand_in.routes())])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                                           timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises why it could not start
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield ServedHubSpot(stand_in, f"http://127.0.0.1:{port}/hubspot")
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def hubspot(served_hubspot: ServedHubSpot) -> ServedHubSpot:
    served_hubspot.stand_in.reset()
    return served_hubspot
