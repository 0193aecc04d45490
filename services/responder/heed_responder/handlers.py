"""The responder's handlers: plain async functions over an event batch and the ports they use.

The decisions (the reply, its visibility, what to report) are pure functions in `domain/`;
`bootstrap.py` hands each handler its ports.
"""

from __future__ import annotations

from heed.contracts import topics
from heed.contracts.events import RoutedCase
from heed.runtime.messaging import Incoming, Outgoing
from heed.runtime.ports import Clock, EventPublisher
from heed_responder.domain.outbox import OutboxStatus
from heed_responder.domain.planning import ReplyContext, outcome, plan
from heed_responder.ports import Channel, Outbox


async def respond(batch: list[Incoming[RoutedCase]], *, outbox: Outbox, channel: Channel,
                  publisher: EventPublisher, context: ReplyContext, clock: Clock) -> None:
    """Queue each routed mention's reply in the outbox, send the pending ones through the channel,
    and publish each reply sent or failed (with the case's first response).

    The outbox is written before anything is sent and only pending replies are sent, so a
    redelivered mention is never answered twice; it publishes the same events again.
    """
    mention_ids = [item.event.mention_id for item in batch]
    await outbox.enqueue([plan(item.event, context) for item in batch])
    rows = await outbox.for_mentions(mention_ids)
    pending = [r for r in rows if r.status is OutboxStatus.PENDING]
    if pending:
        delivery = await channel.send(pending)
        await outbox.mark_sent(delivery.sent)
        await outbox.mark_failed(delivery.failed)
        rows = await outbox.for_mentions(mention_ids)
    by_mention = {r.mention_id: r for r in rows}
    now = clock.now()
    out = []
    for item in batch:
        routed = item.event
        reply, first_response = outcome(routed, by_mention[routed.mention_id], now)
        if reply is not None:
            out.append(Outgoing(topics.REPLIES, reply, routed.mention.conversation_key, item.context))
        if first_response is not None:
            out.append(Outgoing(topics.CASE_EVENTS, first_response, str(routed.case_id), item.context))
    await publisher.publish(out)
