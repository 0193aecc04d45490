"""The fair queue's SQL picks what the pure rule picks, on random queues in the real PostgreSQL —
with claims, reservations for agents and identities the CRM merged into one customer — and two
claimers at once never get the same case."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heed_router.adapters.queue import lock_next_case, record_turn
from heed_router.domain.customers import turn_of
from heed_router.domain.queue import QueuedCase, pick_next

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=2)
URGENCY = {0: "low", 1: "normal", 2: "high", 3: "critical"}
IDENTITIES = ["x:a", "x:b", "weibo:a", "x:d"]
MERGED = [uuid.UUID(int=0xA), uuid.UUID(int=0xB)]


async def load(pool: asyncpg.Pool, cases: list[QueuedCase], merges: dict[str, uuid.UUID] | None = None,
               department: str = "billing") -> None:
    """The cases (their `customer` an identity) and the CRM's customer of each merged identity."""
    await pool.execute("TRUNCATE cases, queue_turns, routed, customer_tiers")
    await pool.executemany(
        "INSERT INTO cases (case_id, channel, thread_root, department, first_mention_id, status, customer,"
        " urgency_rank, urgency, queued_at, opened_at, claimed_by, claim_expires_at, reserved_for, reserved_until)"
        " VALUES ($1, 'x', $2, $3, $1, 'pending_department', $4, $5, $6, $7, $7, $8, $9, $10, $11)",
        [(c.case_id, str(c.case_id), department, c.customer, c.urgency_rank, URGENCY[c.urgency_rank], c.queued_at,
          c.claimed_by, c.claim_expires_at, c.reserved_for, c.reserved_until) for c in cases])
    await pool.executemany(
        "INSERT INTO customer_tiers (identity, customer_id, tier, version) VALUES ($1, $2, 'standard', 1)",
        list((merges or {}).items()))


@dataclass(frozen=True)
class Example:
    queue: list[QueuedCase]
    merges: dict[str, uuid.UUID]
    actor: str | None


@st.composite
def examples(draw: st.DrawFn) -> Example:
    n = draw(st.integers(min_value=1, max_value=12))
    ids = draw(st.lists(st.uuids(), min_size=n, max_size=n, unique=True))
    out = []
    for case_id in ids:
        held = draw(st.sampled_from([None, "held", "lapsed"]))
        owner = draw(st.sampled_from([None, None, "agent:kam", "agent:li"]))
        out.append(QueuedCase(
            case_id=case_id, customer=draw(st.sampled_from(IDENTITIES)),
            urgency_rank=draw(st.sampled_from([1, 1, 2, 3])),
            queued_at=T0 + timedelta(seconds=draw(st.integers(min_value=0, max_value=600))),
            claimed_by=None if held is None else "agent:o",
            claim_expires_at=None if held is None else NOW + (timedelta(hours=1) if held == "held"
                                                              else timedelta(hours=-1)),
            reserved_for=owner,
            reserved_until=None if owner is None else NOW + timedelta(seconds=draw(st.sampled_from([-60, 5, 3600])))))
    merges = draw(st.dictionaries(st.sampled_from(IDENTITIES), st.sampled_from(MERGED)))
    return Example(out, merges, draw(st.sampled_from([None, "agent:kam", "agent:li"])))


async def test_the_sql_picks_the_same_sequence_as_the_rule(pool):
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(example=examples())
    def check(example: Example) -> None:
        drawn.append(example)  # drawn here, compared below on the test's own event loop

    drawn: list[Example] = []
    check()
    for example in drawn:
        await load(pool, example.queue, example.merges)
        identity = {c.case_id: c.customer for c in example.queue}
        # the rule sees each case's turn key: the CRM's customer of a merged identity
        waiting = [replace(c, customer=turn_of(c.customer, example.merges.get(c.customer))) for c in example.queue]
        served: dict[str, datetime] = {}
        for step in range(len(example.queue)):
            at = NOW + timedelta(seconds=step)
            expected = pick_next(waiting, served, at, example.actor)
            async with pool.acquire() as conn, conn.transaction():
                got = await lock_next_case(conn, "billing", at, example.actor)
                if got is not None:
                    await record_turn(conn, "billing", identity[got], at)
                    await conn.execute("UPDATE cases SET status = 'answered' WHERE case_id = $1", got)
            assert got == (expected.case_id if expected else None)
            if expected is None:
                break
            waiting.remove(expected)
            served[expected.customer] = at


async def test_two_claimers_at_once_get_different_cases(pool):
    cases = [QueuedCase(uuid.uuid4(), f"x:{i}", 1, T0 + timedelta(minutes=i)) for i in range(2)]
    await load(pool, cases)
    async with pool.acquire() as first, pool.acquire() as second:
        async with first.transaction():
            one = await lock_next_case(first, "billing", NOW)
            async with second.transaction():
                other = await lock_next_case(second, "billing", NOW)
    assert {one, other} == {c.case_id for c in cases}
