"""The CRM stand-ins on 127.0.0.1 at an ephemeral port, each mounted as tests/standins mounts it
(/hubspot, /salesforce), served once for the session and reset before each test; and the clock
a test moves by hand, which Salesforce's `updated` (whole minutes) needs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from tests.standins.hubspot import HubSpotStandIn
from tests.standins.salesforce import SalesforceStandIn

SALESFORCE_TOKEN = "00Dstandin!session-token-one"


@contextlib.asynccontextmanager
async def serve(mount: str, routes: Sequence[BaseRoute]) -> AsyncIterator[str]:
    """`routes` under /`mount` on 127.0.0.1 at an ephemeral port; yields the mount's base URL."""
    app = Starlette(routes=[Mount(f"/{mount}", routes=routes)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                                           timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises why it could not start
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/{mount}"
    finally:
        server.should_exit = True
        await task


class SteppedClock:
    """The time Salesforce and crm-sync both read, moved by the test: `updated` works in whole minutes."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.moment = start

    def now(self) -> datetime:
        return self.moment

    def at(self, minutes: int, seconds: int = 0) -> None:
        self.moment = self.start + timedelta(minutes=minutes, seconds=seconds)


@dataclass
class ServedHubSpot:
    stand_in: HubSpotStandIn
    url: str  # the base URL the adapter is given


@dataclass
class ServedSalesforce:
    stand_in: SalesforceStandIn
    url: str  # the instance URL the adapter is given


@pytest.fixture(scope="session")
async def served_hubspot() -> AsyncIterator[ServedHubSpot]:
    stand_in = HubSpotStandIn()
    async with serve("hubspot", stand_in.routes()) as url:
        yield ServedHubSpot(stand_in, url)


@pytest.fixture
def hubspot(served_hubspot: ServedHubSpot) -> ServedHubSpot:
    served_hubspot.stand_in.reset()
    return served_hubspot


@pytest.fixture(scope="session")
async def served_salesforce() -> AsyncIterator[ServedSalesforce]:
    stand_in = SalesforceStandIn()
    async with serve("salesforce", stand_in.routes()) as url:
        yield ServedSalesforce(stand_in, url)


@pytest.fixture
def salesforce(served_salesforce: ServedSalesforce) -> ServedSalesforce:
    """The org, empty, with the integration user's session token granted."""
    served_salesforce.stand_in.reset()
    served_salesforce.stand_in.grant(SALESFORCE_TOKEN, "integration-user")
    return served_salesforce
