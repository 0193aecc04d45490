"""The responder's handlers: plain async functions over an event batch and the ports they use.

The decisions (the reply, its visibility, what to report) are pure functions in `domain/`;
`bootstrap.py` hands each handler its ports.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from heed.contracts import topics
from heed.contracts.events import CaseAnswer, RoutedCase
from heed.runtime.messaging import Incoming, Outgoing
from heed.runtime.ports import Clock, EventPublisher
from heed_responder.domain.outbox import OutboxRow, OutboxStatus
from heed_responder.domain.planning import ReplyContext, outcome, plan, plan_answer
from heed_responder.ports import Channel, Outbox


async def respond(batch: list[Incoming[RoutedCase]], *, outbox: Outbox, channel: Channel,
                  publisher: EventPublisher, context: ReplyContext, clock: Clock) -> None:
    """Queue each routed mention's automatic reply in the outbox, send the pending ones through the
    channel, and publish each reply sent or failed.

    The outbox is written before anything is sent and only pending replies are sent, so a
    redelivered mention is never answered twice; it publishes the same events again.
    """
    mention_ids = [item.event.mention_id for item in batch]
    await outbox.enqueue([plan(item.event, context) for item in batch])
    rows = await _send_pending(await outbox.for_mentions(mention_ids), outbox, channel,
                               lambda: outbox.for_mentions(mention_ids))
    by_mention = {r.mention_id: r for r in rows}
    await _publish(publisher, [(by_mention[item.event.mention_id], item) for item in batch], clock)


async def send_answers(batch: list[Incoming[CaseAnswer]], *, outbox: Outbox, channel: Channel,
                       publisher: EventPublisher, context: ReplyContext, clock: Clock) -> None:
    """Send each answer a department wrote (or the router's follow-up) once, in the customer's
    script, and publish the reply sent or failed (with its answer id, for the router)."""
    answer_ids = [item.event.answer_id for item in batch]
    await outbox.enqueue([plan_answer(item.event, context) for item in batch])
    rows = await _send_pending(await outbox.for_answers(answer_ids), outbox, channel,
                               lambda: outbox.for_answers(answer_ids))
    by_answer = {r.answer_id: r for r in rows}
    await _publish(publisher, [(by_answer[item.event.answer_id], item) for item in batch], clock)


async def _send_pending(rows: list[OutboxRow], outbox: Outbox, channel: Channel,
                        reread: Callable[[], Awaitable[list[OutboxRow]]]) -> list[OutboxRow]:
    pending = [r for r in rows if r.status is OutboxStatus.PENDING]
    if not pending:
        return rows
    delivery = await channel.send(pending)
    await outbox.mark_sent(delivery.sent)
    await outbox.mark_failed(delivery.failed)
    return await reread()


async def _publish(publisher: EventPublisher, rows: list[tuple[OutboxRow, Incoming[Any]]], clock: Clock) -> None:
    now = clock.now()
    out = []
    for row, item in rows:
        reply = outcome(row, now)
        if reply is not None:
            # keyed by case: the router takes a case's replies in the order they were sent
            out.append(Outgoing(topics.REPLIES, reply, str(row.case_id), item.context))
    await publisher.publish(out)
