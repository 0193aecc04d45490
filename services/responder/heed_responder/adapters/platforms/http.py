"""The HTTP every platform adapter shares: one `httpx.AsyncClient` per adapter, rate limits per
account and endpoint, and retries only for what the platform certainly did not accept.

A send is retried (with exponential backoff, or after the wait the platform asked for when that
wait is short) only when nothing can have gone out: the connection was refused or never opened,
or the platform answered that it refused the request (429, a documented "unavailable" error).
A timeout or a connection dropped after the request was written may hide an accepted message:
that is `unknown`, never retried here, and the outbox's read-back or an agent decides.

Nothing here logs a recipient, a text or a token: only the channel, the endpoint, the reply id
and what the platform answered (status and error code).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from heed_responder.domain.sending import Outcome, SendResult

log = logging.getLogger("heed.responder.platforms")
# httpx logs every request's full URL at INFO and httpcore its headers at DEBUG: a recipient is in
# the path of a DM, WeChat's and Weibo's access tokens are in the query string. Keep them quiet.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

Judge = Callable[[httpx.Response], SendResult]
HoldFor = Callable[[httpx.Response], float | None]


@dataclass(frozen=True)
class HttpPolicy:
    """How long to wait for a platform and how hard to try (from `PlatformSettings`)."""

    timeout_s: float = 10.0
    max_wait_s: float = 5.0  # a rate-limit wait up to this long is waited out; a longer one is `retry`
    attempts: int = 3  # requests per send, the first included, for what the platform refused
    backoff_s: float = 0.5  # first backoff; doubles on each further attempt


@dataclass(frozen=True)
class Call:
    """One request to a platform. `endpoint` names the rate-limited resource ("POST /2/tweets")."""

    method: str
    url: str
    account: str
    endpoint: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    data: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


class ReadFailed(Exception):
    """A read (a read-back listing, a token) got no usable answer; the message says why, without PII."""


class _Again(Exception):
    """The platform refused without accepting: try again if the policy allows."""

    def __init__(self, result: SendResult) -> None:
        super().__init__(result.reason)
        self.result = result


class RateLimits:
    """When each (account, endpoint) may be called again, from the platform's own headers."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._until: dict[tuple[str, str], float] = {}

    def wait_s(self, account: str, endpoint: str) -> float:
        return max(0.0, self._until.get((account, endpoint), 0.0) - self._clock())

    def hold(self, account: str, endpoint: str, seconds: float) -> None:
        if seconds <= 0:
            return
        key = (account, endpoint)
        self._until[key] = max(self._until.get(key, 0.0), self._clock() + seconds)


class PlatformHttp:
    """One platform's HTTP client. `hold_for` reads the platform's rate-limit headers on every
    answer and says how long the endpoint must rest (None: no limit in sight)."""

    def __init__(self, channel: str, base_url: str, policy: HttpPolicy, *, hold_for: HoldFor | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.channel = channel
        self.policy = policy
        self.limits = RateLimits()
        self.client = httpx.AsyncClient(base_url=base_url, timeout=policy.timeout_s)
        self._hold_for = hold_for or (lambda response: None)
        self._sleep = sleep

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send(self, call: Call, judge: Judge, *, reply_ref: str = "") -> SendResult:
        """Make the request at most once accepted; `judge` turns the platform's answer into a SendResult
        (its `retry` results are tried again within the policy)."""
        waiting = self.limits.wait_s(call.account, call.endpoint)
        if waiting > self.policy.max_wait_s:
            return SendResult.retry(f"{self.channel} rate limit on {call.endpoint}", retry_after_s=round(waiting, 1))
        if waiting:
            await self._sleep(waiting)
        try:
            async for attempt in self._retrying():
                with attempt:
                    result = await self._send_once(call, judge)
                    self._log(call, result, reply_ref)
                    return result
        except _Again as again:
            self._log(call, again.result, reply_ref)
            return again.result
        raise AssertionError("unreachable: the retry loop returns or raises")  # pragma: no cover

    async def read(self, call: Call) -> httpx.Response:
        """A read (GET): safe to repeat, so timeouts and 5xx are retried too. Raises ReadFailed."""
        waiting = self.limits.wait_s(call.account, call.endpoint)
        if waiting > self.policy.max_wait_s:
            raise ReadFailed(f"{self.channel} rate limit on {call.endpoint} for {waiting:.0f} s")
        if waiting:
            await self._sleep(waiting)

        def judge(response: httpx.Response) -> SendResult:
            if response.status_code == 429 or response.status_code >= 500:
                return SendResult.retry(f"{self.channel} answered {response.status_code} on {call.endpoint}",
                                        retry_after_s=self._hold_for(response) or retry_after(response))
            return SendResult.sent("read")

        try:
            async for attempt in self._retrying():
                with attempt:
                    try:
                        response = await self._request(call)
                    except httpx.TransportError as error:
                        raise _Again(SendResult.retry(
                            f"{self.channel} unreachable on {call.endpoint} ({type(error).__name__})")) from None
                    verdict = self._observe(call, response, judge)
                    if verdict.outcome is Outcome.RETRY:
                        raise _Again(verdict)
                    return response
        except _Again as again:
            raise ReadFailed(again.result.reason or "read failed") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _retrying(self) -> AsyncRetrying:
        policy = self.policy

        def wait(state: RetryCallState) -> float:
            asked = _asked_wait(state)
            if asked is not None:
                return asked
            return float(policy.backoff_s * 2 ** (state.attempt_number - 1))

        def stop(state: RetryCallState) -> bool:
            asked = _asked_wait(state)
            return state.attempt_number >= policy.attempts or (asked is not None and asked > policy.max_wait_s)

        return AsyncRetrying(retry=retry_if_exception_type(_Again), wait=wait, stop=stop, reraise=True,
                             sleep=self._sleep)

    async def _send_once(self, call: Call, judge: Judge) -> SendResult:
        try:
            response = await self._request(call)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            # the request never left this process: nothing can have been accepted
            raise _Again(SendResult.retry(
                f"{self.channel} unreachable on {call.endpoint} ({type(error).__name__})")) from None
        except httpx.TransportError as error:
            # written, or partly written, and then no answer: the platform may have accepted it
            return SendResult.unknown(
                f"{self.channel} gave no answer on {call.endpoint} ({type(error).__name__}); "
                "it may have been sent: read back before sending again")
        verdict = self._observe(call, response, judge)
        if verdict.outcome is Outcome.RETRY:
            raise _Again(verdict)
        return verdict

    def _observe(self, call: Call, response: httpx.Response, judge: Judge) -> SendResult:
        held = self._hold_for(response)
        if held:
            self.limits.hold(call.account, call.endpoint, held)
        verdict = judge(response)
        if verdict.outcome is Outcome.RETRY and verdict.retry_after_s:
            self.limits.hold(call.account, call.endpoint, verdict.retry_after_s)
        return verdict

    async def _request(self, call: Call) -> httpx.Response:
        return await self.client.request(call.method, call.url, params=call.params, json=call.json,
                                         data=call.data, headers=dict(call.headers))

    def _log(self, call: Call, result: SendResult, reply_ref: str) -> None:
        log.info("platform send", extra={"channel": self.channel, "endpoint": call.endpoint, "reply_id": reply_ref,
                                         "outcome": result.outcome.value, "reason": result.reason})


def _asked_wait(state: RetryCallState) -> float | None:
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, _Again):
        return error.result.retry_after_s
    return None


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a `Retry-After` header given in seconds (the platforms here never send a date)."""
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def json_body(response: httpx.Response) -> Any:
    """The answer's JSON, or None when it is not JSON (a proxy's HTML error page)."""
    try:
        return response.json()
    except ValueError:
        return None
