"""What every platform stand-in shares: request counts, stored messages, and the script a test
writes (rate-limit the next requests, fail them with a 5xx, accept then hang, expire a token,
close a recipient's messaging window, block a user)."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stored:
    """A message the stand-in accepted, as a read-back would find it."""

    channel: str
    target: str  # what it answers: the post or comment id, or the recipient of a private message
    text: str
    id: str
    author: str  # the brand account that sent it
    private: bool
    body: dict[str, Any] = field(default_factory=dict)  # the request as received (JSON or form fields)


class StandIn:
    """One platform's loopback double: subclasses add the platform's routes and shapes."""

    hang_s = 3.0  # longer than the adapters' timeout in the tests
    delay_s = 0.0  # every accepted request answers this much later: widens the window a crash can land in

    def __init__(self) -> None:
        self._ids = itertools.count(1_900_000_000_000_000_001)
        self.reset()

    def reset(self) -> None:
        self.requests: Counter[str] = Counter()
        self.messages: list[Stored] = []
        self.tokens: dict[str, str] = {}  # valid token → the account it belongs to
        self.expired: set[str] = set()
        self.closed_windows: set[str] = set()
        self.blocked: set[str] = set()
        self._limited: list[float] = []  # reset-in seconds for each of the next rate-limited requests
        self._failures: list[int] = []
        self._hangs = 0
        release = getattr(self, "_release", None)
        if release is not None:
            release.set()  # let any hanging request finish
        self._release = asyncio.Event()

    # the test's script

    def grant(self, token: str, account: str) -> None:
        self.tokens[token] = account

    def expire_token(self, token: str) -> None:
        self.expired.add(token)

    def rate_limit(self, requests: int = 1, reset_in: float = 1.0) -> None:
        self._limited.extend([reset_in] * requests)

    def fail(self, requests: int = 1, status: int = 503) -> None:
        self._failures.extend([status] * requests)

    def accept_then_hang(self, requests: int = 1) -> None:
        self._hangs += requests

    def close_window(self, recipient: str) -> None:
        self.closed_windows.add(recipient)

    def block(self, user: str) -> None:
        self.blocked.add(user)

    # what tests read

    def count(self, channel: str, target: str, text: str) -> int:
        """Messages stored for this channel, target and text: exactly-once means 1."""
        return sum(1 for m in self.messages if (m.channel, m.target, m.text) == (channel, target, text))

    def stored(self, channel: str, target: str) -> list[Stored]:
        return [m for m in self.messages if m.channel == channel and m.target == target]

    # for the routes

    def next_id(self) -> str:
        return str(next(self._ids))

    def take_rate_limit(self) -> float | None:
        return self._limited.pop(0) if self._limited else None

    def take_failure(self) -> int | None:
        return self._failures.pop(0) if self._failures else None

    def store(self, message: Stored) -> Stored:
        self.messages.append(message)
        return message

    async def maybe_hang(self) -> None:
        """After storing: when scripted, sleep past the client's timeout (accepted, answer lost)."""
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self._hangs:
            self._hangs -= 1
            try:
                await asyncio.wait_for(self._release.wait(), timeout=self.hang_s)
            except TimeoutError:
                pass
