"""What the pollers ask the platforms for, and which listening terms a mention keeps."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from heed.contracts.events import RawMention
from heed_ingest.channels.weibo import parse_weibo
from heed_ingest.channels.x import parse_x_search
from heed_ingest.pollers import Poller, XSearch, configured_sources
from heed_ingest.settings import IngestSettings
from tests.unit.ingest import payloads as p
from tests.unit.ingest.fakes import FakeCursors


def test_executives_are_searched_for_and_marked_on_the_mentions_that_name_them(monkeypatch):
    # the lists as the environment sets them: one comma-separated value each
    monkeypatch.setenv("HEED_LISTEN_KEYWORDS", "Lumo, AirFryer X2,")
    monkeypatch.setenv("HEED_LISTEN_EXECUTIVES", "Ada Chen,@adachen")
    settings = IngestSettings(kafka_bootstrap="127.0.0.1:1", x_bearer_token="b", weibo_access_token="w")
    search, *_ = configured_sources(settings)
    assert isinstance(search, XSearch)
    asked: list[httpx.Request] = []

    def platform(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        page = p.x_search_page(["1990000000000000010"])
        page["data"][0]["text"] = "@adachen your AirFryer X2 caught fire"  # type: ignore[index]
        return httpx.Response(200, json=page)

    async def fetch() -> bytes:
        async with httpx.AsyncClient(transport=httpx.MockTransport(platform)) as http:
            return (await search.fetch(http, "1990000000000000001", None)).body

    body = asyncio.run(fetch())
    query = asked[0].url.params
    assert query["query"] == 'Lumo OR "AirFryer X2" OR "Ada Chen" OR @adachen -is:retweet'
    assert query["since_id"] == "1990000000000000001" and "public_metrics" in query["user.fields"]
    (mention,) = parse_x_search(body).drafts
    assert mention.matched == ["AirFryer X2", "executive:@adachen"]
    assert json.loads(body)["heed_matched"][-1] == "executive:@adachen"
    assert [s.name for s in configured_sources(settings)] == ["x:search", "weibo:mentions", "weibo:comments"]


def test_mention_timelines_name_the_account_they_address():
    settings = IngestSettings(kafka_bootstrap="127.0.0.1:1", x_bearer_token="b", x_account_ids=["777"],
                              weibo_access_token="w", weibo_account_id="1902538057")
    sources = {s.name: s for s in configured_sources(settings)}
    assert set(sources) == {"x:mentions:777", "weibo:mentions", "weibo:comments"}

    def platform(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/2/users/777/mentions":
            return httpx.Response(200, json=p.x_search_page(["1990000000000000010"]))
        return httpx.Response(200, json=p.weibo_page(["4950000000000001"]))

    async def fetch(name: str) -> bytes:
        async with httpx.AsyncClient(transport=httpx.MockTransport(platform)) as http:
            return (await sources[name].fetch(http, None, None)).body

    (x,) = parse_x_search(asyncio.run(fetch("x:mentions:777"))).drafts
    (weibo,) = parse_weibo(asyncio.run(fetch("weibo:mentions"))).drafts
    assert (x.account, weibo.account) == ("777", "1902538057")


def test_a_spent_rate_limit_window_is_waited_out_before_the_next_page():
    reset = int(time.time()) + 30
    pages = [p.x_search_page(["1990000000000000012", "1990000000000000011"]), p.x_search_page(["1990000000000000010"])]
    pages[0]["meta"]["next_token"] = "n1"  # type: ignore[index]

    def platform(request: httpx.Request) -> httpx.Response:
        page = pages[1] if request.url.params.get("next_token") else pages[0]
        return httpx.Response(200, json=page, headers={"x-rate-limit-remaining": "0",
                                                       "x-rate-limit-reset": str(reset)})

    slept: list[float] = []
    published: list[RawMention] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def publish(raws: list[RawMention], keys: list[str]) -> None:
        published.extend(raws)

    async def poll() -> int:
        async with httpx.AsyncClient(transport=httpx.MockTransport(platform)) as http:
            poller = Poller(XSearch("http://x", "b", ["Lumo"]), http, cursors, publish, sleep)
            return await poller.poll_once()

    cursors = FakeCursors()
    assert asyncio.run(poll()) == 2 and len(published) == 2
    assert len(slept) == 1 and 25 <= slept[0] <= 30  # once, between the pages, until the reset
    assert cursors.saved == {"x:search": "1990000000000000012"}


def test_failed_requests_back_off_and_the_sixth_fails_the_poll_while_rate_limits_wait_as_asked():
    answers = ["429", "down", "429", "down", "down", "down", "down", "down"]

    def platform(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if answer == "down":
            return httpx.Response(503)
        return httpx.Response(429, headers={"retry-after": "7"})

    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def publish(raws: list[RawMention], keys: list[str]) -> None:
        raise AssertionError("nothing to publish")

    async def poll() -> Poller:
        async with httpx.AsyncClient(transport=httpx.MockTransport(platform)) as http:
            poller = Poller(XSearch("http://x", "b", ["Lumo"]), http, cursors, publish, sleep)
            with pytest.raises(httpx.HTTPStatusError):
                await poller.poll_once()
            return poller

    cursors = FakeCursors()
    poller = asyncio.run(poll())
    # rate limits wait what the platform says and are not failures; failures wait 2, 4, 8, 16, 32 s
    assert slept == [7, 2, 7, 4, 8, 16, 32] and answers == [] and poller.rate_limited == 2
    assert cursors.saved == {}  # the cursor stays where the last complete poll left it
