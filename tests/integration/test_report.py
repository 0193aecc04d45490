"""`heed report`'s case figures on a real PostgreSQL: cases written as the router writes them, with
known times, and each figure checked by hand. The acknowledgement never counts as an answer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from heed.runtime.db import create_pool, migrate
from heed_ops.report import collect, format_table, parse_since

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
M = timedelta(minutes=1)


async def add_case(pool: asyncpg.Pool, name: str, *, channel: str, department: str, mode: str, status: str,
                   due: datetime | None, answered: datetime | None = None, resolved: datetime | None = None,
                   breached: bool = False, rating: int | None = None) -> None:
    case_id, mention_id = uuid.uuid5(uuid.NAMESPACE_URL, name), uuid.uuid5(uuid.NAMESPACE_DNS, name)
    await pool.execute(
        "INSERT INTO cases (case_id, channel, thread_root, department, first_mention_id, opened_at, status, mode,"
        " first_due_at, sla_due_at, first_response_at, resolved_at, sla_breached_at, rating, acknowledged_at)"
        " VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7, $8, $9, $9, $10, $11, $12, $13,"
        " $6::timestamptz + interval '20 seconds')",
        case_id, channel, name, department, mention_id, T0 + 2 * M, status, mode, due, answered, resolved,
        (due if breached else None), rating)
    await pool.execute(
        "INSERT INTO routed (mention_id, case_id, department, mode, priority, sla_due_at, rule_id, received_at)"
        " VALUES ($1, $2, $3, $4, 50, $5, 'r', $6)", mention_id, case_id, department, mode, due or T0, T0)


async def test_the_case_figures_count_only_substantive_answers(database_url):
    pool = await create_pool(database_url, "router")
    try:
        await migrate(pool, "router", "heed_router")
        await add_case(pool, "a", channel="weibo", department="billing", mode="holding", status="closed",
                       due=T0 + 30 * M, answered=T0 + 10 * M, resolved=T0 + 60 * M, rating=5)
        await add_case(pool, "b", channel="x", department="care-escalations", mode="private", status="resolved",
                       due=T0 + 15 * M, answered=T0 + 20 * M, resolved=T0 + 120 * M, breached=True, rating=2)
        await add_case(pool, "c", channel="x", department="care-escalations", mode="answer",
                       status="pending_department", due=T0 + 15 * M, breached=True)  # acknowledged, never answered
        await add_case(pool, "d", channel="weibo", department="marketing", mode="acknowledge", status="resolved",
                       due=None, resolved=T0 + 3 * M)  # praise: the thanks was the whole answer
        await add_case(pool, "e", channel="weibo", department="billing", mode="holding", status="pending_department",
                       due=datetime.now(UTC) + timedelta(days=1))  # not due yet
        await pool.execute(
            "INSERT INTO alerts (event_id, alert_id, version, state, topic_kind, topic, window_count, total_count,"
            " opened_at, updated_at) VALUES ($1, $2, 1, 'opened', 'issue_type', 'billing', 40, 40, $3, $3),"
            " ($4, $2, 2, 'updated', 'issue_type', 'billing', 60, 70, $3, $3)",
            uuid.uuid4(), uuid.uuid4(), T0, uuid.uuid4())
    finally:
        await pool.close()

    figures = await collect(database_url, T0, by="department")
    cases = figures["case_figures"]
    assert (cases["cases"], cases["needing_answer"], cases["answered"]) == (5, 4, 2)
    assert cases["response_rate"] == 0.5
    assert cases["first_response_s"]["p50"] == 900.0  # 600 s and 1200 s
    assert cases["first_response_s"]["p90"] == 1140.0
    assert cases["resolution_s"]["p50"] == 5400.0  # 3600 s and 7200 s; praise is not counted
    assert (cases["sla_due"], cases["sla_compliance"]) == (3, 0.3333)  # a on time; b late; c overdue; e not due
    assert (cases["breaches"], cases["backlog"]) == (2, 2)
    assert cases["csat"] == {"ratings": 2, "mean": 3.5, "satisfied_share": 0.5,
                             "distribution": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}}
    assert figures["alerts"] == {"issue_type:billing": 1}
    billing = figures["by_department_cases"]["billing"]
    assert (billing["cases"], billing["response_rate"], billing["sla_compliance"]) == (2, 0.5, 1.0)
    assert figures["by_department_cases"]["marketing"]["needing_answer"] == 0
    text = format_table(figures)
    assert "response rate" in text and "50.0 %" in text and "SLA compliance" in text and "33.3 %" in text

    later = await collect(database_url, datetime.now(UTC) + timedelta(days=2))
    assert later["case_figures"] is None  # no case in range: every figure n/a, none invented


def test_since_takes_an_iso_time_or_a_span_back_from_now():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert parse_since("2h", now) == now - timedelta(hours=2)
    assert parse_since("30m", now) == now - timedelta(minutes=30)
    assert parse_since("1d", now) == now - timedelta(days=1)
    assert parse_since("2026-11-20T08:00") == T0
    assert parse_since("2026-11-20T16:00+08:00") == T0
    with pytest.raises(ValueError, match="--since is an ISO time"):
        parse_since("yesterday")
