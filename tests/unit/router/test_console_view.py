"""What the console shows, pure: the SLA countdown's colour and the thread in order."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from heed.contracts.events import Visibility
from heed_router.domain.console import Direction, SlaState, delivery, sla_state, thread, warns_at
from heed_router.domain.desk import AnswerView, CaseDetail, NoteView
from tests.unit.router.fake_desk import T0, summary


def test_the_countdown_warns_in_the_last_quarter_and_turns_red_when_due():
    due = T0 + timedelta(minutes=60)
    assert sla_state(due=due, breached=False, started=T0, now=T0 + timedelta(minutes=10)) == (SlaState.OK, 3000)
    assert sla_state(due=due, breached=False, started=T0, now=T0 + timedelta(minutes=46))[0] is SlaState.WARNING
    assert sla_state(due=due, breached=False, started=T0, now=T0 + timedelta(minutes=61)) == (SlaState.BREACHED, -60)
    assert sla_state(due=due, breached=True, started=T0, now=T0)[0] is SlaState.BREACHED
    assert sla_state(due=None, breached=False, started=T0, now=T0) == (SlaState.NONE, 0)
    assert warns_at(due=due, started=T0) == T0 + timedelta(minutes=45)
    assert warns_at(due=None, started=T0) is None
    # a short SLA still warns for its last minute
    short = T0 + timedelta(minutes=2)
    assert sla_state(due=short, breached=False, started=T0, now=T0 + timedelta(seconds=65))[0] is SlaState.WARNING


def _case(answers: list[AnswerView], notes: list[NoteView]) -> CaseDetail:
    s = summary(0)
    return CaseDetail(**s.model_dump(), thread_root="n1", first_mention_id=uuid.UUID(int=99), first_due_at=None,
                      sla_policy="standard", acknowledged_at=None, closed_at=None, reopened=0, follow_up_sent_at=None,
                      case_mentions=[], transitions=[], answers=answers, notes=notes)


def test_the_thread_puts_every_message_in_order_with_who_wrote_it():
    answer = AnswerView(answer_id=uuid.uuid4(), kind="agent", author="agent:li", visibility=Visibility.PRIVATE,
                        text="已為您處理", created_at=T0 + timedelta(minutes=5), reply_status="failed",
                        reply_error="window closed", sent_at=None)
    note = NoteView(note_id=uuid.uuid4(), author="agent:li", text="VIP", created_at=T0 + timedelta(minutes=3))
    case = _case([answer], [note])
    cid = str(case.case_id)
    timeline: list[dict[str, Any]] = [
        {"at": (T0 + timedelta(minutes=6)).isoformat(), "type": "reply:agent", "case_id": cid, "text": "dup"},
        {"at": (T0 + timedelta(minutes=1)).isoformat(), "type": "reply:auto", "case_id": cid, "text": "收到",
         "visibility": "public", "status": "sent"},
        {"at": T0.isoformat(), "type": "mention", "case_id": cid, "text": "扣款兩次", "visibility": "public"},
        {"at": T0.isoformat(), "type": "mention", "case_id": str(uuid.uuid4()), "text": "another case"},
        {"at": (T0 + timedelta(minutes=2)).isoformat(), "type": "case:claimed", "case_id": cid, "text": None},
    ]
    items = thread(case, timeline)
    assert [(i.direction, i.author, i.text) for i in items] == [
        (Direction.INBOUND, "customer", "扣款兩次"), (Direction.OUTBOUND, "heed", "收到"),
        (Direction.INTERNAL, "agent:li", "VIP"), (Direction.OUTBOUND, "agent:li", "已為您處理")]
    assert items[-1].visibility == "private" and items[-1].status == "failed" and items[-1].error == "window closed"
    assert delivery(case) == [{"answer_id": str(answer.answer_id), "author": "agent:li", "visibility": "private",
                               "status": "failed", "error": "window closed", "sent_at": None}]
