"""The fair queue rule on random queues (Hypothesis): urgent first, then turns across customers,
then the longest waiting; claims are respected until they lapse."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from heed_router.domain.queue import QueuedCase, pick_next

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
CUSTOMERS = [f"x:c{i}" for i in range(6)]


@st.composite
def queues(draw: st.DrawFn, urgencies: tuple[int, ...] = (0, 1, 2, 3)) -> list[QueuedCase]:
    n = draw(st.integers(min_value=1, max_value=25))
    cases = []
    for i in range(n):
        claim = draw(st.sampled_from(["none", "held", "lapsed"]))
        cases.append(QueuedCase(
            case_id=uuid.UUID(int=draw(st.integers(min_value=0, max_value=2**64)) * 64 + i),
            customer=draw(st.sampled_from(CUSTOMERS)), urgency_rank=draw(st.sampled_from(urgencies)),
            queued_at=T0 + timedelta(seconds=draw(st.integers(min_value=0, max_value=3600))),
            claimed_by=None if claim == "none" else "agent:other",
            claim_expires_at=None if claim == "none" else T0 + (timedelta(hours=5) if claim == "held"
                                                                 else timedelta(hours=-1))))
    return cases


served_times = st.dictionaries(st.sampled_from(CUSTOMERS),
                               st.integers(min_value=0, max_value=3600).map(lambda s: T0 + timedelta(seconds=s)))
NOW = T0 + timedelta(hours=2)


@settings(max_examples=300, deadline=None)
@given(queue=queues(), last_served=served_times)
def test_the_pick_is_urgent_first_then_the_longest_unserved_customer_then_the_oldest(queue, last_served):
    pick = pick_next(queue, last_served, NOW)
    free = [c for c in queue if c.claimed_by is None or c.claim_expires_at <= NOW]
    if not free:
        assert pick is None
        return
    assert pick is not None and pick in free
    top = [c for c in free if c.urgency_rank == max(f.urgency_rank for f in free)]
    assert pick in top

    def served(c: QueuedCase) -> datetime:
        return last_served.get(c.customer, datetime.min.replace(tzinfo=UTC))

    first_turn = [c for c in top if served(c) == min(served(t) for t in top)]
    assert pick in first_turn
    assert pick.queued_at == min(c.queued_at for c in first_turn)


@settings(max_examples=200, deadline=None)
@given(queue=queues(urgencies=(1,)))
def test_customers_take_turns_a_customer_with_many_cases_never_holds_the_queue(queue):
    waiting = [c for c in queue if c.claimed_by is None]
    last_served: dict[str, datetime] = {}
    order: list[QueuedCase] = []
    now = NOW
    while True:
        pick = pick_next(waiting, last_served, now)
        if pick is None:
            break
        order.append(pick)
        waiting.remove(pick)
        last_served[pick.customer] = now
        now += timedelta(seconds=1)
    assert len(order) == len([c for c in queue if c.claimed_by is None])
    # between two turns of one customer, every customer who still had a case waiting got a turn
    for i, case in enumerate(order):
        later = [j for j in range(i + 1, len(order)) if order[j].customer == case.customer]
        if not later:
            continue
        between = {c.customer for c in order[i + 1:later[0]]}
        still_waiting = {c.customer for c in order[i + 1:]} - {case.customer}
        assert still_waiting <= between, (case.customer, still_waiting - between)


def test_the_worked_example_of_docs_queues():
    a = [QueuedCase(uuid.UUID(int=i), "x:A", 1, T0 + timedelta(minutes=i)) for i in range(3)]
    b = QueuedCase(uuid.UUID(int=10), "x:B", 1, T0 + timedelta(minutes=5))
    c = QueuedCase(uuid.UUID(int=11), "x:C", 1, T0 + timedelta(minutes=6))
    d = QueuedCase(uuid.UUID(int=12), "x:D", 2, T0 + timedelta(minutes=9))
    waiting, order = [*a, b, c, d], []
    served: dict[str, datetime] = {}
    for step in range(6):
        pick = pick_next(waiting, served, NOW)
        assert pick is not None
        order.append(pick.customer[-1])
        waiting.remove(pick)
        served[pick.customer] = NOW + timedelta(seconds=step)
    assert "".join(order) == "DABCAA"
