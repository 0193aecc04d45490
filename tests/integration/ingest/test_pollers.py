"""The X search poller against a local server answering in the v2 shape, with the real broker,
the ingest normaliser and PostgreSQL: a restart resumes from the saved cursor, a 429 in the
middle of a poll is waited out, and every post becomes exactly one mention."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from heed_ingest.adapters.cursors import PostgresCursors
from heed_ingest.app import IngestService
from heed_ingest.pollers import Poller, WeiboTimeline, XSearch
from heed_ingest.settings import IngestSettings
from tests.harness import count, wait_for
from tests.unit.ingest.payloads import x_search_page

pytestmark = pytest.mark.integration
PAGE = 10


class FakeX:
    """Recent search over an in-memory timeline; newest first, PAGE per page, one 429 on request 3."""

    def __init__(self) -> None:
        self.ids = [str(1990000000000000000 + i) for i in range(25)]
        self.requests = 0
        self.seen_since: list[str | None] = []

    async def search(self, request: Request) -> JSONResponse:
        self.requests += 1
        if request.headers.get("authorization") != "Bearer test-bearer":
            return JSONResponse({"title": "Unauthorized"}, status_code=401)
        if self.requests == 3:
            return JSONResponse({"title": "Too Many Requests"}, status_code=429,
                                headers={"x-rate-limit-reset": str(int(time.time()) + 2)})
        since = request.query_params.get("since_id")
        self.seen_since.append(since)
        matching = sorted((i for i in self.ids if since is None or int(i) > int(since)), key=int, reverse=True)
        offset = int(request.query_params.get("next_token", "0"))
        chunk = matching[offset:offset + PAGE]
        body = x_search_page(chunk)
        if offset + PAGE < len(matching):
            body["meta"]["next_token"] = str(offset + PAGE)  # type: ignore[index]
        return JSONResponse(body)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

@asynccontextmanager
async def local_server(routes: list[Route]) -> AsyncIterator[str]:
    """A platform stand-in on loopback for the test's duration; yields its base URL."""
    port = _port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=routes), host="127.0.0.1", port=port,
                                           log_config=None, lifespan="off"))
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        return bool(server.started)

    try:
        await wait_for(started, timeout=10, every=0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


@asynccontextmanager
async def ingest_service(database_url: str, bootstrap: str, **settings: object) -> AsyncIterator[IngestService]:
    ingest = IngestService(IngestSettings.model_validate(
        {"kafka_bootstrap": bootstrap, "database_url": database_url, **settings}))
    await ingest.start()
    try:
        yield ingest
    finally:
        await ingest.stop()


async def test_restart_resumes_without_gaps_or_repeats_through_a_429(database_url, fresh_broker):
    fake = FakeX()
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    async with (local_server([Route("/2/tweets/search/recent", fake.search)]) as base,
                ingest_service(database_url, fresh_broker) as ingest):
        source = XSearch(base, "test-bearer", ["Lumo", "Ada Chen"])
        async with httpx.AsyncClient() as http:
            first = Poller(source, http, PostgresCursors(ingest.pool), ingest.publish_raw, sleep=fake_sleep)
            assert await first.poll_once() == 3  # 10 + 10 + 5, the third page after a 429
            assert first.rate_limited == 1 and 1.0 <= waits[0] <= 3.0

            fake.ids += [str(1990000000000000100 + i) for i in range(7)]  # new posts while "down"
            restarted = Poller(source, http, PostgresCursors(ingest.pool), ingest.publish_raw, sleep=fake_sleep)
            assert await restarted.poll_once() == 1
            assert fake.seen_since[-1] == "1990000000000000024"
            assert await restarted.poll_once() == 0

        async def all_in() -> bool:
            return await count(database_url, "SELECT count(*) FROM ingest.mentions WHERE published") == 32

        await wait_for(all_in, timeout=60)
        assert await count(database_url, "SELECT count(*) FROM ingest.mentions WHERE seen > 1") == 0
        assert await count(database_url, "SELECT count(DISTINCT native_id) FROM ingest.mentions"
                                         " WHERE channel = 'x' AND native_id = ANY($1::text[])", fake.ids) == 32
        assert await count(database_url, "SELECT count(*) FROM ingest.poll_cursors WHERE cursor = $1",
                           "1990000000000000106") == 1


class FakeWeibo:
    """comments/to_me: newest first, pages of PAGE; the second request answers Weibo's rate-limit error."""

    def __init__(self) -> None:
        self.ids = [str(4950000000000000 + i) for i in range(15)]
        self.requests = 0

    async def comments(self, request: Request) -> JSONResponse:
        self.requests += 1
        if self.requests == 2:
            return JSONResponse({"error_code": 10023, "error": "User requests out of rate limit!"},
                                status_code=403)
        since = request.query_params.get("since_id")
        matching = sorted((i for i in self.ids if since is None or int(i) > int(since)), key=int, reverse=True)
        page = int(request.query_params.get("page", "1"))
        chunk = matching[(page - 1) * PAGE:page * PAGE]
        return JSONResponse({"comments": [
            {"idstr": i, "created_at": "Thu Nov 20 16:20:00 +0800 2026", "text": f"评论 {i}",
             "user": {"idstr": "55", "screen_name": "小王"}, "status": {"idstr": "4940000000000000"}}
            for i in chunk]})


async def test_weibo_comments_poller_waits_out_the_rate_limit_code_and_resumes(database_url, fresh_broker):
    fake = FakeWeibo()
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    async with (local_server([Route("/2/comments/to_me.json", fake.comments)]) as base,
                ingest_service(database_url, fresh_broker) as ingest):
        source = WeiboTimeline(base, "token", "/2/comments/to_me.json", "comments",
                               "weibo:comments")
        async with httpx.AsyncClient() as http:
            poller = Poller(source, http, PostgresCursors(ingest.pool), ingest.publish_raw, sleep=fake_sleep)
            assert await poller.poll_once() == 2  # pages of 10 and 5; the page after them is empty
            assert poller.rate_limited == 1 and len(waits) == 1
            fake.ids.append("4950000000000099")
            again = Poller(source, http, PostgresCursors(ingest.pool), ingest.publish_raw, sleep=fake_sleep)
            assert await again.poll_once() == 1

        async def all_in() -> bool:
            return await count(database_url, "SELECT count(*) FROM ingest.mentions WHERE published") == 16

        await wait_for(all_in, timeout=60)
        assert await count(database_url, "SELECT count(*) FROM ingest.mentions WHERE seen > 1") == 0
        assert await count(database_url, "SELECT count(*) FROM ingest.mentions WHERE thread_root = $1",
                           "4940000000000000") == 16
