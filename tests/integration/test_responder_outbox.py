"""The responder's outbox on the real PostgreSQL: one automatic reply per mention, one reply per
answer (on the same mention too), and an answer refused before sending keeps its reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from heed.contracts.events import AnswerKind, CaseAnswer, Channel, Visibility
from heed.runtime.db import create_pool, migrate
from heed_responder.adapters.outbox import PostgresOutbox
from heed_responder.domain.outbox import OutboxStatus
from heed_responder.domain.planning import ReplyContext, plan_answer

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
LUMO = ReplyContext(brand="Lumo", hotline="400-820-0000")


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
        assert refused.error == "answer is 141 characters; weibo allows 140 in a public reply"
        assert await pool.fetchval("SELECT count(*) FROM replies WHERE mention_id = $1", mention_id) == 2
        assert await outbox.for_mentions([mention_id]) == []  # no automatic reply for it
    finally:
        await pool.close()
