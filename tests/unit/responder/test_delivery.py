"""Sending through a platform that cannot recognise a resent request: the outbox's `sending` stage,
a crash after the platform accepted, the read-back, `unknown`, and retries the platform asked for.
Counted at the platform fake: a reply reaches it once or, with no way to check, never twice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from heed.contracts import topics
from heed.contracts.events import Reply, ReplyStatus, RoutedCase
from heed_responder.domain.outbox import OutboxStatus
from heed_responder.domain.planning import plan
from heed_responder.handlers import deliver_due, respond
from tests.unit.factories import batch
from tests.unit.responder.fakes import CrashingPlatform, FakeCustomers, FakeOutbox, FakePublisher, FixedClock
from tests.unit.responder.test_handlers import LUMO, routed_case

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class Rig:
    def __init__(self, *, readable: bool) -> None:
        self.clock = FixedClock(NOW)
        self.outbox, self.publisher = FakeOutbox(), FakePublisher()
        self.platform = CrashingPlatform(self.clock, readable=readable)

    async def respond(self, routed: RoutedCase | None = None) -> RoutedCase:
        routed = routed or routed_case()
        await respond(batch(routed, topic=topics.CASES_ROUTED), outbox=self.outbox, channel=self.platform,
                      customers=FakeCustomers(), publisher=self.publisher, context=LUMO, clock=self.clock)
        return routed

    async def tick(self) -> int:
        return await deliver_due(outbox=self.outbox, channel=self.platform, publisher=self.publisher,
                                 clock=self.clock)

    def status(self) -> list[OutboxStatus]:
        return [r.status for r in self.outbox.replies.values()]

    def replies(self) -> list[Reply]:
        return self.publisher.events(topics.REPLIES, Reply)


async def test_a_reply_is_moved_to_sending_before_the_platform_is_called_and_sent_with_its_platform_id():
    rig = Rig(readable=True)
    await rig.respond()
    [row] = rig.outbox.replies.values()
    assert (row.status, row.attempts, row.platform_message_id) == (OutboxStatus.SENT, 1, "msg-1")
    assert list(rig.platform.requests.values()) == [1]
    assert [r.status for r in rig.replies()] == [ReplyStatus.SENT]


@pytest.mark.parametrize("readable", [True, False])
async def test_a_crash_after_the_platform_accepted_never_sends_the_reply_again(readable: bool):
    rig = Rig(readable=readable)
    rig.platform.accept_then_crash()
    routed = routed_case()
    with pytest.raises(ConnectionResetError):
        await rig.respond(routed)
    assert rig.status() == [OutboxStatus.SENDING] and rig.replies() == []

    # the batch comes again (never committed): the reply is `sending`, so it is not sent again
    await rig.respond(routed)
    assert rig.status() == [OutboxStatus.SENDING]
    # the tick leaves a young `sending` reply alone (another responder may be mid-send) …
    assert await rig.tick() == 0
    # … and reads an old one back
    rig.clock.time += timedelta(minutes=1)
    await rig.tick()
    assert sum(rig.platform.requests.values()) == 1
    if readable:
        assert rig.status() == [OutboxStatus.SENT]
        assert [(r.status, r.error) for r in rig.replies()] == [(ReplyStatus.SENT, None)]
    else:
        assert rig.status() == [OutboxStatus.UNKNOWN]
        [reply] = rig.replies()
        assert reply.status is ReplyStatus.UNKNOWN and reply.error and "agent" in reply.error
    # reported once, and nothing more happens however often the tick runs
    rig.clock.time += timedelta(minutes=5)
    await rig.tick()
    assert len(rig.replies()) == 1 and sum(rig.platform.requests.values()) == 1


async def test_a_crash_before_the_request_reached_the_platform_is_sent_once_after_the_read_back():
    rig = Rig(readable=True)
    await rig.respond()  # a first reply, for contrast
    mention_id = await _claim_only(rig)  # a second: claimed, then the responder stopped
    rig.clock.time += timedelta(minutes=1)
    await rig.tick()  # the platform shows it never arrived: back to pending, due now
    await rig.tick()
    row = next(r for r in rig.outbox.replies.values() if r.mention_id == mention_id)
    assert row.status is OutboxStatus.SENT and rig.platform.requests[row.reply_id] == 1


async def test_a_rate_limited_reply_waits_for_the_time_the_platform_gave_then_goes_once():
    rig = Rig(readable=True)
    rig.platform.busy_until = NOW + timedelta(seconds=90)
    await rig.respond()
    [row] = rig.outbox.replies.values()
    assert (row.status, row.next_attempt_at, row.error) == (OutboxStatus.PENDING, NOW + timedelta(seconds=90),
                                                           "rate limited")
    assert rig.replies() == [] and sum(rig.platform.requests.values()) == 0
    rig.clock.time += timedelta(seconds=30)
    await rig.tick()
    assert rig.status() == [OutboxStatus.PENDING]
    rig.clock.time += timedelta(seconds=61)
    await rig.tick()
    assert rig.status() == [OutboxStatus.SENT] and sum(rig.platform.requests.values()) == 1
    assert [r.status for r in rig.replies()] == [ReplyStatus.SENT]


async def _claim_only(rig: Rig) -> uuid.UUID:
    """A reply planned and claimed by a responder that stopped before calling the platform."""
    routed = routed_case(native_id="n2")
    row = plan(routed, LUMO)
    await rig.outbox.enqueue([row])
    assert await rig.outbox.claim([row.reply_id], rig.clock.now()) == {row.reply_id}
    return routed.mention_id
