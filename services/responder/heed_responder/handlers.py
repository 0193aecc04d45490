"""The responder's handlers: plain async functions over an event batch and the ports they use.

The decisions (the reply, its visibility, what to report) are pure functions in `domain/`;
`bootstrap.py` hands each handler its ports.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from heed.contracts import topics
from heed.contracts.events import CaseAnswer, CustomerUpdate, RoutedCase
from heed.runtime.messaging import Incoming, Outgoing
from heed.runtime.ports import Clock, EventPublisher
from heed_responder.domain.customers import NO_PROFILE, erasures, identity, profile_versions
from heed_responder.domain.outbox import OutboxRow, OutboxStatus
from heed_responder.domain.planning import ReplyContext, outcome, plan, plan_answer, plan_handoff
from heed_responder.ports import Channel, CustomerProfiles, Outbox


async def respond(batch: list[Incoming[RoutedCase]], *, outbox: Outbox, channel: Channel, customers: CustomerProfiles,
                  publisher: EventPublisher, context: ReplyContext, clock: Clock) -> None:
    """Queue each routed mention's automatic reply in the outbox (with the private message that goes
    with a public acknowledgement of an angry or sensitive post), send the pending ones through the
    channel, and publish each reply sent, failed or unknown.

    The outbox is written before anything is sent and only pending replies are sent, so a
    redelivered mention is never answered twice; it publishes the same events again. Each reply
    follows its author's customer record: the name on record, the language asked for, an erasure.
    """
    mention_ids = [item.event.mention_id for item in batch]
    authors = [identity(item.event.mention.channel.value, item.event.mention.author.platform_id) for item in batch]
    profiles = await customers.profiles(authors)
    planned = [plan(item.event, context, profiles.get(author, NO_PROFILE))
               for item, author in zip(batch, authors, strict=True)]
    planned += [row for item, author in zip(batch, authors, strict=True)
                if (row := plan_handoff(item.event, context, profiles.get(author, NO_PROFILE))) is not None]
    await outbox.enqueue(planned)
    rows = await _send_pending(await outbox.for_mentions(mention_ids), outbox, channel, clock,
                               lambda: outbox.for_mentions(mention_ids))
    by_mention = {item.event.mention_id: item for item in batch}
    await _publish(publisher, [(row, by_mention[row.mention_id]) for row in rows], clock)


async def send_answers(batch: list[Incoming[CaseAnswer]], *, outbox: Outbox, channel: Channel,
                       customers: CustomerProfiles, publisher: EventPublisher, context: ReplyContext,
                       clock: Clock) -> None:
    """Send each answer a department wrote (or the router's follow-up) once, in the customer's
    script, and publish the reply sent or failed (with its answer id, for the router)."""
    answer_ids = [item.event.answer_id for item in batch]
    recipients = [identity(item.event.channel.value, item.event.recipient_platform_id) for item in batch]
    profiles = await customers.profiles(recipients)
    await outbox.enqueue([plan_answer(item.event, context, profiles.get(recipient, NO_PROFILE))
                          for item, recipient in zip(batch, recipients, strict=True)])
    rows = await _send_pending(await outbox.for_answers(answer_ids), outbox, channel, clock,
                               lambda: outbox.for_answers(answer_ids))
    by_answer = {r.answer_id: r for r in rows}
    await _publish(publisher, [(by_answer[item.event.answer_id], item) for item in batch], clock)


async def learn_customers(batch: list[Incoming[CustomerUpdate]], *, customers: CustomerProfiles, outbox: Outbox,
                          channel: Channel) -> None:
    """Remember each identity's newest name on record and preferred language (an older announcement
    never overwrites a newer one). An erasure blanks the profile first, so no reply planned from
    then on names the customer, then forgets the replies to them: unsent ones are cancelled, sent
    ones keep no text, recipient or post, and the channel's copies go. A redelivery does it again."""
    updates = [item.event for item in batch]
    await customers.learn(profile_versions(updates))
    erased = erasures(updates)
    if erased:
        await channel.forget(erased)
        await outbox.forget(erased)


async def _send_pending(rows: list[OutboxRow], outbox: Outbox, channel: Channel, clock: Clock,
                        reread: Callable[[], Awaitable[list[OutboxRow]]]) -> list[OutboxRow]:
    now = clock.now()
    pending = [r for r in rows if r.status is OutboxStatus.PENDING
               and (r.next_attempt_at is None or r.next_attempt_at <= now)]
    if not pending:
        return rows
    await _deliver(pending, outbox, channel, now, reported=True)
    return await reread()


async def _deliver(pending: list[OutboxRow], outbox: Outbox, channel: Channel, now: datetime, *,
                   reported: bool) -> None:
    if not channel.idempotent:
        # committed before the platform is called: a crash from here on is read back, never resent
        claimed = await outbox.claim([r.reply_id for r in pending], now)
        pending = [r for r in pending if r.reply_id in claimed]
        if not pending:
            return
    await outbox.record(await channel.send(pending), now, reported=reported)


async def deliver_due(*, outbox: Outbox, channel: Channel, publisher: EventPublisher, clock: Clock,
                      stuck_after: timedelta = timedelta(seconds=30), limit: int = 200) -> int:
    """The responder's tick: read back the replies a stopped responder left `sending`, send the
    replies whose time to try again has come, and publish what became of them. Returns how many
    replies it moved or reported."""
    now = clock.now()
    stuck = await outbox.stuck(now - stuck_after, limit)
    if stuck:
        await outbox.record(await channel.recover(stuck), now, reported=False)
    due = await outbox.due(now, limit)
    if due:
        await _deliver(due, outbox, channel, now, reported=False)
    done = await outbox.unreported(limit)
    if done:
        await publisher.publish([Outgoing(topics.REPLIES, reply, str(row.case_id))
                                 for row in done if (reply := outcome(row, now)) is not None])
        await outbox.mark_reported([row.reply_id for row in done])
    return len(stuck) + len(due) + len(done)


async def _publish(publisher: EventPublisher, rows: list[tuple[OutboxRow, Incoming[Any]]], clock: Clock) -> None:
    now = clock.now()
    out = []
    for row, item in rows:
        reply = outcome(row, now)
        if reply is not None:
            # keyed by case: the router takes a case's replies in the order they were sent
            out.append(Outgoing(topics.REPLIES, reply, str(row.case_id), item.context))
    await publisher.publish(out)
