"""Pollers for proactive listening: X v2 recent search (brand, products, executives) and the
Weibo mention timeline. Each fetched page is published to the raw topic as it came; the cursor
(the newest id seen) is saved only after the broker acknowledged every page of the poll, so a
restart resumes where the last complete poll ended. A 429 (or Weibo's rate-limit error codes)
pauses until the platform's reset time, then the same request is retried, so pagination is
never abandoned halfway; a failed request (network, 5xx) is retried after 2, 4, 8, 16 and 32 s.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from heed.contracts.events import Channel, RawMention
from heed_ingest.channels.fields import EXECUTIVE, search_term
from heed_ingest.ports import CursorStore
from heed_ingest.settings import IngestSettings

log = logging.getLogger(__name__)

Publish = Callable[[list[RawMention], list[str]], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]
MAX_PAGES = 20
MAX_WAIT_S = 15 * 60
WEIBO_RATE_LIMIT_CODES = {10022, 10023, 10024}
MAX_REQUEST_RETRIES = 5  # the sixth failed request of one fetch fails the poll
# what every X v2 request asks for: the author expanded with reach, the conversation, the reply parent
X_FIELDS = {"max_results": "100", "expansions": "author_id",
            "tweet.fields": "created_at,conversation_id,referenced_tweets,lang",
            "user.fields": "public_metrics,verified,username,name"}


class RateLimited(Exception):
    def __init__(self, wait_s: float) -> None:
        super().__init__(f"rate limited for {wait_s:.0f}s")
        self.wait_s = wait_s


@dataclass(frozen=True)
class Page:
    body: bytes  # what is published: the platform's page, plus the terms that matched
    newest: str | None
    next_page: str | None
    wait_s: float = 0.0  # the platform said this was the last request of the window: pause before the next


class Source(Protocol):
    name: str
    channel: Channel
    raw_source: str

    async def fetch(self, http: httpx.AsyncClient, since: str | None, page: str | None) -> Page: ...


def rate_limit_wait(response: httpx.Response, attempt: int) -> float:
    """Seconds until the platform's reset (x-rate-limit-reset, retry-after), else 2**attempt; 15 min at most."""
    reset = response.headers.get("x-rate-limit-reset")
    if reset and reset.isdigit():
        return float(min(MAX_WAIT_S, max(1.0, int(reset) - time.time())))
    retry_after = response.headers.get("retry-after")
    if retry_after and retry_after.isdigit():
        return float(min(MAX_WAIT_S, int(retry_after)))
    return float(min(MAX_WAIT_S, 2 ** attempt))


def _newer(a: str | None, b: str | None) -> str | None:
    """The larger of two numeric ids (X and Weibo ids grow with time)."""
    if a is None or b is None:
        return a or b
    return a if (len(a), a) >= (len(b), b) else b


@dataclass
class XSearch:
    """GET /2/tweets/search/recent for the configured terms (OR-ed), newest first with next_token."""

    base_url: str
    bearer_token: str
    terms: list[str]
    name: str = "x:search"
    account: str = ""  # the brand account the results address, when there is one
    channel: Channel = Channel.X
    raw_source: str = "poll:x"

    async def fetch(self, http: httpx.AsyncClient, since: str | None, page: str | None) -> Page:
        plain = [search_term(t) for t in self.terms]
        query = " OR ".join(f'"{t}"' if " " in t else t for t in plain) + " -is:retweet"
        params = {"query": query, **X_FIELDS}
        if since:
            params["since_id"] = since
        if page:
            params["next_token"] = page
        return await self._get(http, f"{self.base_url}/2/tweets/search/recent", params)

    async def _get(self, http: httpx.AsyncClient, url: str, params: dict[str, str]) -> Page:
        response = await http.get(url, params=params, headers={"authorization": f"Bearer {self.bearer_token}"})
        if response.status_code == 429:
            raise RateLimited(rate_limit_wait(response, 1))
        response.raise_for_status()
        data = response.json()
        if not isinstance(data, dict):
            raise ValueError(f"X answered {type(data).__name__}, not an object")
        meta = data["meta"] if isinstance(data.get("meta"), dict) else {}
        data["heed_matched"] = self.terms
        if self.account:
            data["heed_account"] = self.account
        spent = response.headers.get("x-rate-limit-remaining") == "0"
        return Page(json.dumps(data, ensure_ascii=False).encode(), meta.get("newest_id"), meta.get("next_token"),
                    rate_limit_wait(response, 0) if spent else 0.0)


@dataclass
class XMentions(XSearch):
    """GET /2/users/:id/mentions: posts that @-mention one of the brand's accounts."""

    user_id: str = ""
    name: str = "x:mentions"

    def __post_init__(self) -> None:
        self.name = f"x:mentions:{self.user_id}"
        self.account = self.user_id

    async def fetch(self, http: httpx.AsyncClient, since: str | None, page: str | None) -> Page:
        params = dict(X_FIELDS)
        if since:
            params["since_id"] = since
        if page:
            params["pagination_token"] = page
        return await self._get(http, f"{self.base_url}/2/users/{self.user_id}/mentions", params)


@dataclass
class WeiboTimeline:
    """A Weibo timeline with since_id, newest first, page by page until empty: the statuses that
    mention the brand (statuses/mentions) or the comments addressed to it (comments/to_me)."""

    base_url: str
    access_token: str
    path: str = "/2/statuses/mentions.json"
    list_key: str = "statuses"
    name: str = "weibo:mentions"
    channel: Channel = Channel.WEIBO
    raw_source: str = "poll:weibo"
    terms: list[str] = field(default_factory=list)  # the parser keeps those that occur in each post
    account: str = ""  # the Weibo uid the access token belongs to (HEED_WEIBO_ACCOUNT_ID)

    async def fetch(self, http: httpx.AsyncClient, since: str | None, page: str | None) -> Page:
        number = int(page or "1")
        params = {"access_token": self.access_token, "count": "100", "page": str(number)}
        if since:
            params["since_id"] = since
        response = await http.get(f"{self.base_url}{self.path}", params=params)
        data = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code == 429 or (isinstance(data, dict) and data.get("error_code") in WEIBO_RATE_LIMIT_CODES):
            raise RateLimited(rate_limit_wait(response, 2))
        response.raise_for_status()
        if not isinstance(data, dict):
            raise ValueError(f"Weibo answered {type(data).__name__}, not an object")
        found = data.get(self.list_key) or []
        data["heed_matched"] = self.terms
        if self.account:
            data["heed_account"] = self.account
        newest = None
        for item in found:
            if isinstance(item, dict):
                newest = _newer(newest, str(item.get("idstr") or item.get("id") or "") or None)
        return Page(json.dumps(data, ensure_ascii=False).encode(), newest,
                    str(number + 1) if found and number < MAX_PAGES else None)


REQUEST_ERRORS: tuple[type[Exception], ...] = (httpx.TransportError, httpx.HTTPStatusError)


@dataclass
class _RequestFailures:
    """How one page fetch is retried: a rate limit waits as long as the platform asks, as often as
    it asks (it is the platform pacing us, not a failure); a failed request waits 2, 4, 8, 16, 32 s
    and the one after those fails the poll."""

    failed: int = 0

    def count(self, state: RetryCallState) -> None:
        if not isinstance(_error(state), RateLimited):
            self.failed += 1

    def wait(self, state: RetryCallState) -> float:
        error = _error(state)
        return error.wait_s if isinstance(error, RateLimited) else min(60.0, 2.0 ** self.failed)

    def too_many(self, state: RetryCallState) -> bool:
        return self.failed > MAX_REQUEST_RETRIES


def _error(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None else None


@dataclass
class Poller:
    source: Source
    http: httpx.AsyncClient
    cursors: CursorStore
    publish: Publish
    sleep: Sleep = asyncio.sleep
    rate_limited: int = 0

    async def poll_once(self) -> int:
        """One complete poll: every page since the saved cursor; returns how many pages were published."""
        since = await self.cursors.get(self.source.name)
        newest, page_token, pages = since, None, 0
        while pages < MAX_PAGES:
            page = await self._fetch_with_backoff(since, page_token)
            if page.newest is None:
                break  # an empty page: nothing (more) since the cursor
            raw = RawMention(event_id=uuid.uuid4(), source=self.source.raw_source, channel=self.source.channel,
                             body=page.body, origin=f"{self.source.name}:{since or 'start'}:{pages}")
            await self.publish([raw], [f"{self.source.channel.value}:poll"])
            newest = _newer(newest, page.newest)
            pages += 1
            if not page.next_page:
                break
            if page.wait_s:
                await self.sleep(page.wait_s)  # rather than spend a request on a certain 429
            page_token = page.next_page
        if newest and newest != since:
            await self.cursors.put(self.source.name, newest)
        return pages

    async def _fetch_with_backoff(self, since: str | None, page: str | None) -> Page:
        failures = _RequestFailures()
        retrying = AsyncRetrying(
            retry=retry_if_exception_type((RateLimited, *REQUEST_ERRORS)), after=failures.count,
            wait=failures.wait, stop=failures.too_many, before_sleep=self._log_retry, sleep=self.sleep,
            reraise=True)
        return await retrying(self.source.fetch, self.http, since, page)

    def _log_retry(self, state: RetryCallState) -> None:
        error = _error(state)
        if isinstance(error, RateLimited):
            self.rate_limited += 1
            log.warning("poller rate limited", extra={"fields": {"source": self.source.name,
                                                                  "wait_s": error.wait_s}})
        else:
            log.warning("poller request failed", extra={"fields": {"source": self.source.name,
                                                                    "error": type(error).__name__}})

    async def run(self, interval_s: float, stop: asyncio.Event) -> None:
        """Poll every `interval_s` until `stop` is set; a failed poll is logged and retried next time."""
        while not stop.is_set():
            try:
                await self.poll_once()
            except Exception as exc:  # a poller outlives any one failed poll; its cursor did not move
                log.error("poll failed", extra={"fields": {"source": self.source.name,
                                                            "error": f"{type(exc).__name__}: {str(exc)[:200]}"}})
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
            except TimeoutError:
                pass


def configured_sources(settings: IngestSettings) -> list[Source]:
    """The pollers the settings enable: X search needs a bearer token and terms, Weibo a token."""
    sources: list[Source] = []
    terms = [*settings.listen_keywords, *(f"{EXECUTIVE}{t}" for t in settings.listen_executives)]
    x_api = settings.x_api_base.rstrip("/")
    if settings.x_bearer_token and terms:
        sources.append(XSearch(x_api, settings.x_bearer_token, terms))
    if settings.x_bearer_token:
        sources.extend(XMentions(x_api, settings.x_bearer_token, terms, user_id=account)
                       for account in settings.x_account_ids)
    if settings.weibo_access_token:
        base = settings.weibo_api_base.rstrip("/")
        account = settings.weibo_account_id
        sources.append(WeiboTimeline(base, settings.weibo_access_token, terms=terms, account=account))
        sources.append(WeiboTimeline(base, settings.weibo_access_token, "/2/comments/to_me.json", "comments",
                                     "weibo:comments", terms=terms, account=account))
    return sources
