"""The responder's outbox on the real PostgreSQL: one automatic reply per mention, one reply per
answer (on the same mention too), and an answer refused before sending keeps its reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from heed.contracts.events import AnswerKind, CaseAnswer, Channel, Visibility
from heed.runtime.db import create_pool, migrate
from heed_responder.adapters.outbox import PostgresOutbox
from heed_responder.domain.outbox import OutboxStatus
from heed_responder.domain.planning import plan_answer
from heed_responder.ports import Delivery
from tests.unit.responder.fakes import shipped_context

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LUMO = shipped_context()


def answer(text: str, mention_id: uuid.UUID) -> CaseAnswer:
    return CaseAnswer(event_id=uuid.uuid4(), answer_id=uuid.uuid4(), case_id=uuid.uuid4(), kind=AnswerKind.AGENT,
                      mention_id=mention_id, channel=Channel.WEIBO, in_reply_to="n1", recipient_platform_id="u1",
                      visibility=Visibility.PUBLIC, text=text, language="zh", script="Hans", author="agent:li",
                      department="billing", received_at=T0)


async def test_answers_share_the_outbox_with_automatic_replies_and_keep_their_reasons(database_url):
    pool = await create_pool(database_url, "responder")
    try:
        await migrate(pool, "responder", "heed_responder")
        outbox = PostgresOutbox(pool)
        mention_id = uuid.uuid4()
        first, too_long = answer("已为您退款", mention_id), answer("很" * 141, mention_id)
        await outbox.enqueue([plan_answer(first, LUMO), plan_answer(too_long, LUMO)])
        await outbox.enqueue([plan_answer(first, LUMO)])  # redelivered: nothing new
        rows = {r.answer_id: r for r in await outbox.for_answers([first.answer_id, too_long.answer_id])}
        assert rows[first.answer_id].status is OutboxStatus.PENDING and rows[first.answer_id].kind == "agent"
        refused = rows[too_long.answer_id]
        assert refused.status is OutboxStatus.FAILED
        assert refused.error == ("held by the reply guard: length: 141 of 140 weighted characters on weibo"
                                 " (public reply)")
        assert await pool.fetchval("SELECT count(*) FROM replies WHERE mention_id = $1", mention_id) == 2
        assert await outbox.for_mentions([mention_id]) == []  # no automatic reply for it
    finally:
        await pool.close()


async def test_the_delivery_stages_hold_their_transitions_in_postgresql(database_url):
    """claim → sending once; a crash leaves it stuck; record moves only along TRANSITIONS;
    a retry waits for its time; the tick's outcomes stay unreported until published."""
    pool = await create_pool(database_url, "responder")
    try:
        await migrate(pool, "responder", "heed_responder")
        outbox = PostgresOutbox(pool)
        a, b, c = (answer(f"回复 {i}", uuid.uuid4()) for i in range(3))
        await outbox.enqueue([plan_answer(x, LUMO) for x in (a, b, c)])
        rows = {r.answer_id: r for r in await outbox.for_answers([a.answer_id, b.answer_id, c.answer_id])}
        ra, rb, rc = (rows[x.answer_id].reply_id for x in (a, b, c))

        assert await outbox.claim([ra, rb], T0) == {ra, rb}
        assert await outbox.claim([ra, rb, rc], T0) == {rc}  # a second responder gets only what is left
        assert await outbox.stuck(T0, 10) == []
        assert {r.reply_id for r in await outbox.stuck(T0 + timedelta(seconds=31), 10)} == {ra, rb, rc}

        later = T0 + timedelta(minutes=1)
        await outbox.record(Delivery(sent={ra: later}, platform_ids={ra: "c-77"}, unknown={rb: "no read-back"},
                                     retry={rc: ("rate limited", later)}), later, reported=False)
        now = {r.reply_id: r for r in await outbox.for_answers([a.answer_id, b.answer_id, c.answer_id])}
        assert (now[ra].status, now[ra].platform_message_id, now[ra].attempts) == (OutboxStatus.SENT, "c-77", 1)
        assert (now[rb].status, now[rb].error) == (OutboxStatus.UNKNOWN, "no read-back")
        assert (now[rc].status, now[rc].next_attempt_at) == (OutboxStatus.PENDING, later)
        assert [r.reply_id for r in await outbox.due(later, 10)] == [rc]
        assert [r.reply_id for r in await outbox.due(T0, 10)] == []

        # a sent reply never moves again, and unknown never goes back to pending
        await outbox.record(Delivery(failed={ra: "late refusal"}, retry={rb: ("again", later)}), later)
        again = {r.reply_id: r for r in await outbox.for_answers([a.answer_id, b.answer_id])}
        assert again[ra].status is OutboxStatus.SENT and again[rb].status is OutboxStatus.UNKNOWN

        assert {r.reply_id for r in await outbox.unreported(10)} == {ra, rb}
        await outbox.mark_reported([ra, rb])
        assert await outbox.unreported(10) == []
    finally:
        await pool.close()
