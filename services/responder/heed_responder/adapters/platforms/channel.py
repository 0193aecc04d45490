"""The Channel over the platforms' send APIs: each reply to its channel's client, each answer
turned into what the outbox records.

The platforms cannot recognise a resent request, so this channel is not idempotent: the outbox
hands it only replies it has moved to `sending`. A send whose answer was lost (`unknown`) is left
`sending`; the tick reads it back once it is older than any listing lag, never resends it blindly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from heed.runtime.ports import Clock
from heed_responder.adapters.platforms.clients import close_clients
from heed_responder.domain.customers import Erasure
from heed_responder.domain.outbox import OutboxRow
from heed_responder.domain.sending import Outcome, SendResult
from heed_responder.ports import Delivery, PlatformClient

NO_READ_BACK = "the platform may have accepted it and offers no way to check: an agent decides before answering again"


def retry_delay(attempts: int, retry_after_s: float | None) -> timedelta:
    """The platform's own wait when it gave one, else 5 s doubling per attempt up to 10 minutes."""
    if retry_after_s is not None:
        return timedelta(seconds=max(0.0, retry_after_s))
    return timedelta(seconds=min(600.0, 5.0 * 2 ** max(0, attempts - 1)))


class PlatformChannel:
    """Sends through one PlatformClient per channel (`build_clients`); a channel with no client
    fails its replies with the reason, never silently."""

    idempotent = False

    def __init__(self, clients: dict[str, PlatformClient], clock: Clock, concurrency: int = 16) -> None:
        self.clients = clients
        self.clock = clock
        self._limit = asyncio.Semaphore(concurrency)

    async def send(self, replies: Sequence[OutboxRow]) -> Delivery:
        results = await asyncio.gather(*(self._one(r, client.send) if (client := self.clients.get(r.channel))
                                         else _no_client(r) for r in replies))
        return self._delivery(list(zip(replies, results, strict=True)), recovering=False)

    async def recover(self, replies: Sequence[OutboxRow]) -> Delivery:
        results = await asyncio.gather(*(self._one(r, client.read_back) if (client := self.clients.get(r.channel))
                                         else _no_client(r) for r in replies))
        return self._delivery(list(zip(replies, results, strict=True)), recovering=True)

    async def _one(self, row: OutboxRow, call: Callable[[OutboxRow], Awaitable[SendResult | None]]
                   ) -> SendResult | None:
        async with self._limit:
            return await call(row)

    def _delivery(self, outcomes: list[tuple[OutboxRow, SendResult | None]], *, recovering: bool) -> Delivery:
        now = self.clock.now()
        delivery = Delivery()
        for row, result in outcomes:
            if result is None:  # only a read-back: the platform has no way to tell
                delivery.unknown[row.reply_id] = NO_READ_BACK
            elif result.outcome is Outcome.SENT:
                delivery.sent[row.reply_id] = now
                if result.platform_message_id:
                    delivery.platform_ids[row.reply_id] = result.platform_message_id
            elif result.outcome is Outcome.FAILED:
                delivery.failed[row.reply_id] = result.reason or "the platform refused it"
            elif result.outcome is Outcome.RETRY:
                delivery.retry[row.reply_id] = (result.reason or "the platform asked to wait",
                                                now + retry_delay(row.attempts, result.retry_after_s))
            # UNKNOWN: left `sending` — the tick reads it back later (a read-back that failed, likewise)
        return delivery

    async def forget(self, erasures: Sequence[Erasure]) -> None:
        """Nothing to forget here: the platforms' adapters keep no copy of what they send."""

    async def aclose(self) -> None:
        await close_clients(self.clients)


async def _no_client(row: OutboxRow) -> SendResult:
    return SendResult.failed(f"no {row.channel} account is configured for sending (HEED_* platform settings)")
