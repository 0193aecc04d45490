"""The fair queue rule on random queues (Hypothesis): an agent's reserved cases first, then urgent
first, then turns across customers (identities merged into one customer take one turn), then the
longest waiting; claims and other agents' reservations are respected until they lapse."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from heed_router.domain.customers import turn_of
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


def serve_all(waiting: list[QueuedCase], actor: str | None = None) -> list[QueuedCase]:
    """Agents take the next case one after another until none is left for them."""
    waiting, order, now = list(waiting), [], NOW
    last_served: dict[str, datetime] = {}
    while (pick := pick_next(waiting, last_served, now, actor)) is not None:
        order.append(pick)
        waiting.remove(pick)
        last_served[pick.customer] = now
        now += timedelta(seconds=1)
    return order


def assert_turns_are_taken(order: list[QueuedCase]) -> None:
    # between two turns of one customer, every customer who still had a case waiting got a turn
    for i, case in enumerate(order):
        later = [j for j in range(i + 1, len(order)) if order[j].customer == case.customer]
        if not later:
            continue
        between = {c.customer for c in order[i + 1:later[0]]}
        still_waiting = {c.customer for c in order[i + 1:]} - {case.customer}
        assert still_waiting <= between, (case.customer, still_waiting - between)


@settings(max_examples=200, deadline=None)
@given(queue=queues(urgencies=(1,)))
def test_customers_take_turns_a_customer_with_many_cases_never_holds_the_queue(queue):
    order = serve_all([c for c in queue if c.claimed_by is None])
    assert len(order) == len([c for c in queue if c.claimed_by is None])
    assert_turns_are_taken(order)


MERGED = [uuid.UUID(int=0xA), uuid.UUID(int=0xB)]


@settings(max_examples=200, deadline=None)
@given(queue=queues(urgencies=(1,)), merges=st.dictionaries(st.sampled_from(CUSTOMERS), st.sampled_from(MERGED)))
def test_identities_merged_into_one_customer_take_one_turn_among_the_others(queue, merges):
    # the case's customer is its turn key: the CRM's survivor for a merged identity
    keyed = [replace(c, customer=turn_of(c.customer, merges.get(c.customer))) for c in queue if c.claimed_by is None]
    order = serve_all(keyed)
    assert len(order) == len(keyed)
    assert_turns_are_taken(order)


def test_one_person_writing_from_two_channels_waits_like_everyone_else_once_merged():
    def cases(turn: dict[str, str]) -> list[QueuedCase]:
        return [QueuedCase(uuid.UUID(int=i), turn.get(identity, identity), 1, T0 + timedelta(minutes=i))
                for i, identity in enumerate(["x:p", "weibo:p", "x:p", "x:q"])]

    def served(turn: dict[str, str]) -> str:
        return "".join(c.customer[-1] for c in serve_all(cases(turn)))

    assert served({}) == "ppqp"  # two identities, two turns before Q's first
    assert served({"x:p": "customer:P", "weibo:p": "customer:P"}) == "PqPP"


AGENTS = ["agent:kam", "agent:li", None]


@st.composite
def reserved_queues(draw: st.DrawFn) -> list[QueuedCase]:
    queue = draw(queues())
    out = []
    for case in queue:
        owner = draw(st.sampled_from(AGENTS))
        until = T0 + timedelta(hours=draw(st.sampled_from([1, 5])))  # NOW is T0 + 2 h: lapsed or not
        out.append(replace(case, reserved_for=owner, reserved_until=until if owner else None))
    return out


@settings(max_examples=300, deadline=None)
@given(queue=reserved_queues(), last_served=served_times, actor=st.sampled_from(AGENTS))
def test_an_agent_gets_their_reserved_cases_first_and_never_another_agents_before_it_lapses(queue, last_served,
                                                                                             actor):
    pick = pick_next(queue, last_served, NOW, actor)
    open_to_actor = [c for c in queue if c.free(NOW) and not (c.reserved(NOW) and c.reserved_for != actor)]
    if not open_to_actor:
        assert pick is None
        return
    assert pick is not None and pick in open_to_actor
    mine = [c for c in open_to_actor if actor is not None and c.reserved(NOW) and c.reserved_for == actor]
    among = mine or open_to_actor
    assert pick in among
    # within that group, the fair rule as without reservations
    fair = pick_next([replace(c, reserved_for=None, reserved_until=None) for c in among], last_served, NOW)
    assert fair is not None and pick.case_id == fair.case_id


def test_a_reserved_case_waits_for_its_owner_until_the_reservation_lapses():
    other = QueuedCase(uuid.UUID(int=1), "x:B", 3, T0)  # critical
    kept = QueuedCase(uuid.UUID(int=2), "x:A", 1, T0 + timedelta(minutes=5), reserved_for="agent:kam",
                      reserved_until=T0 + timedelta(minutes=20))
    at = T0 + timedelta(minutes=10)
    assert pick_next([kept, other], {}, at, "agent:kam") == kept  # their own first, though less urgent
    assert pick_next([kept], {}, at, "agent:li") is None  # skipped by everyone else
    assert pick_next([kept], {}, at) is None
    assert pick_next([kept], {}, T0 + timedelta(minutes=20), "agent:li") == kept  # lapsed: anyone's
    assert pick_next([kept, other], {}, T0 + timedelta(minutes=20), "agent:kam") == other  # and ordinary again


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
