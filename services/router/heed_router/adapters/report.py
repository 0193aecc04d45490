"""The router's figures read with SQL from its own schema: the case figures `heed report` prints and the
console's reports page charts (one definition: `domain/report.py` turns these rows into figures), and
what a supervisor watches live (open crisis alerts, SLA breaches, agents' load).

The module-level readers take any connection (`heed report` opens its own; the console uses the
router's pool); every table is named with its schema, `router.`, so either works."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg

from heed_router.domain.report import (
    FIRST_RESPONSE_BUCKETS,
    GROUPS,
    OpenCase,
    agent_load,
    case_figures,
    category_volume,
    first_response_distribution,
    sla_board,
)

Conn = asyncpg.Connection | asyncpg.Pool

GROUP_SQL = {"channel": "c.channel", "department": "c.department",
             "day": "to_char(date_trunc('day', c.opened_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"}
assert set(GROUP_SQL) == set(GROUPS)

# cases opened since $1 with when Heed received their first mention and whether they need an answer
_OPENED = """
    SELECT c.*, coalesce(r.received_at, c.opened_at) AS received,
           c.mode IN ('answer', 'holding', 'private') AS needs_answer
    FROM router.cases c LEFT JOIN router.routed r ON r.mention_id = c.first_mention_id
    WHERE c.opened_at >= $1"""

# one row per group (or one row): the case figures; `{group}` is one of GROUP_SQL or a constant
CASES = "WITH c AS (" + _OPENED + """)
SELECT {group} AS grp,
    count(*) AS cases,
    count(*) FILTER (WHERE needs_answer) AS needing_answer,
    count(*) FILTER (WHERE needs_answer AND first_response_at IS NOT NULL) AS answered,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - received))
        FILTER (WHERE needs_answer AND first_response_at IS NOT NULL) AS frt_p50,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - received))
        FILTER (WHERE needs_answer AND first_response_at IS NOT NULL) AS frt_p90,
    percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - received))
        FILTER (WHERE needs_answer AND first_response_at IS NOT NULL) AS frt_p99,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - received))
        FILTER (WHERE needs_answer AND resolved_at IS NOT NULL) AS ttr_p50,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - received))
        FILTER (WHERE needs_answer AND resolved_at IS NOT NULL) AS ttr_p90,
    count(*) FILTER (WHERE needs_answer AND first_response_at IS NOT NULL AND first_response_at <= first_due_at)
        AS on_time,
    count(*) FILTER (WHERE needs_answer AND first_due_at IS NOT NULL
                     AND (first_response_at IS NOT NULL OR first_due_at < now())) AS due,
    count(*) FILTER (WHERE sla_breached_at IS NOT NULL) AS breaches,
    count(*) FILTER (WHERE status NOT IN ('resolved', 'closed')) AS backlog,
    count(rating) AS ratings, avg(rating) AS csat_mean,
    count(*) FILTER (WHERE rating >= 4) AS satisfied,
    count(*) FILTER (WHERE rating = 1) AS r1, count(*) FILTER (WHERE rating = 2) AS r2,
    count(*) FILTER (WHERE rating = 3) AS r3, count(*) FILTER (WHERE rating = 4) AS r4,
    count(*) FILTER (WHERE rating = 5) AS r5
FROM c GROUP BY 1 ORDER BY 1
"""

# answered cases needing an answer, per first-response bucket (0 … len(FIRST_RESPONSE_BUCKETS))
FIRST_RESPONSES = ("WITH c AS (" + _OPENED + ") SELECT width_bucket(extract(epoch FROM first_response_at - received),"
                   " $2::float8[]) AS bucket, count(*) AS n FROM c"
                   " WHERE needs_answer AND first_response_at IS NOT NULL GROUP BY 1")

CATEGORY_VOLUME = ("SELECT to_char(date_trunc('day', coalesce(received_at, routed_at) AT TIME ZONE 'UTC'),"
                   " 'YYYY-MM-DD'), coalesce(category, 'unknown'), count(*) FROM router.routed"
                   " WHERE coalesce(received_at, routed_at) >= $1 GROUP BY 1, 2")

ALERTS = ("SELECT topic_kind || ':' || topic, count(DISTINCT alert_id) FROM router.alerts"
          " WHERE opened_at >= $1 AND version = 1 GROUP BY 1 ORDER BY 2 DESC, 1")

# each incident's newest version, when that one is not resolved
OPEN_ALERTS = """
SELECT a.* FROM (SELECT DISTINCT ON (alert_id) * FROM router.alerts ORDER BY alert_id, version DESC) a
WHERE a.state <> 'resolved' ORDER BY a.opened_at DESC, a.alert_id
"""

OPEN_CASES = ("SELECT case_id, department, channel, urgency, status, claimed_by, coalesce(queued_at, opened_at)"
              " AS started, sla_due_at, sla_breached_at IS NOT NULL AS breached FROM router.cases"
              " WHERE status IN ('new', 'acknowledged', 'pending_department', 'answered', 'awaiting_customer')"
              " AND (sla_due_at IS NOT NULL OR sla_breached_at IS NOT NULL)")

AGENTS = ("SELECT a.name, a.role, coalesce(array_agg(d.department ORDER BY d.department)"
          " FILTER (WHERE d.department IS NOT NULL), '{}') AS departments FROM router.agents a"
          " LEFT JOIN router.agent_departments d USING (agent_id) WHERE a.disabled_at IS NULL GROUP BY a.name, a.role"
          " ORDER BY a.name")

# what capacity counts (adapters/queue.py's claimed_count), for every actor at once
CLAIMED = ("SELECT claimed_by, count(*) FROM router.cases WHERE claimed_by IS NOT NULL AND claim_expires_at > $1"
           " AND status IN ('new', 'acknowledged', 'pending_department') GROUP BY 1")


async def case_report(conn: Conn, since: datetime, by: str | None = None) -> tuple[dict[str, Any] | None,
                                                                                  dict[str, Any] | None]:
    """The case figures over every case opened since `since` (None when there is none), and per group of `by`."""
    if by is not None and by not in GROUP_SQL:
        raise ValueError(f"--by is one of {', '.join(GROUPS)}; got {by!r}")
    total = await conn.fetchrow(CASES.format(group="'all'"), since)
    groups = None
    if by is not None:
        groups = {str(r["grp"]): case_figures(r) for r in await conn.fetch(CASES.format(group=GROUP_SQL[by]), since)}
    return (case_figures(total) if total is not None else None), groups


async def first_responses(conn: Conn, since: datetime) -> list[dict[str, Any]]:
    rows = await conn.fetch(FIRST_RESPONSES, since, [float(e) for e in FIRST_RESPONSE_BUCKETS])
    return first_response_distribution({int(r["bucket"]): int(r["n"]) for r in rows})


async def volume_by_category(conn: Conn, since: datetime) -> dict[str, dict[str, int]]:
    return category_volume([(r[0], r[1], r[2]) for r in await conn.fetch(CATEGORY_VOLUME, since)])


async def alert_counts(conn: Conn, since: datetime) -> dict[str, int]:
    return {r[0]: r[1] for r in await conn.fetch(ALERTS, since)}


async def router_figures(conn: Conn, since: datetime, by: str | None = None) -> dict[str, Any]:
    """Every figure the router's own tables give, keyed as `heed report --json` keys them."""
    total, groups = await case_report(conn, since, by)
    figures: dict[str, Any] = {"case_figures": total, "first_response_distribution": await first_responses(conn, since),
                               "volume_by_category": await volume_by_category(conn, since),
                               "alerts": await alert_counts(conn, since)}
    if groups is not None:
        figures[f"by_{by}_cases"] = groups
    return figures


class PostgresSupervision:
    """The console's supervisor views over the router's pool."""

    def __init__(self, pool: asyncpg.Pool, capacity: Callable[[], int]) -> None:
        self.pool = pool
        self.capacity = capacity  # the routing rules' lifecycle.agent_capacity, read when asked

    async def figures(self, since: datetime, by: str | None) -> dict[str, Any]:
        return await router_figures(self.pool, since, by)

    async def open_alerts(self) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(OPEN_ALERTS)
        examples = {m for r in rows for m in (r["example_mention_ids"] or [])}
        cases: dict[uuid.UUID, asyncpg.Record] = {}
        if examples:
            cases = {r["mention_id"]: r for r in await self.pool.fetch(
                "SELECT r.mention_id, r.case_id, c.department, c.channel FROM router.routed r JOIN router.cases c"
                " USING (case_id) WHERE mention_id = ANY($1::uuid[])", list(examples))}
        return [{"alert_id": str(r["alert_id"]), "version": r["version"], "state": r["state"],
                 "topic_kind": r["topic_kind"], "topic": r["topic"], "window_count": r["window_count"],
                 "total_count": r["total_count"], "opened_at": r["opened_at"].isoformat(),
                 "updated_at": r["updated_at"].isoformat(),
                 "examples": [{"mention_id": str(m), "case_id": str(cases[m]["case_id"]),
                               "department": cases[m]["department"], "channel": cases[m]["channel"]}
                              for m in (r["example_mention_ids"] or []) if m in cases]}
                for r in rows]

    async def sla_board(self, now: datetime) -> dict[str, dict[str, Any]]:
        rows = await self.pool.fetch(OPEN_CASES)
        return sla_board([OpenCase(case_id=str(r["case_id"]), department=r["department"], channel=r["channel"],
                                   urgency=r["urgency"], status=r["status"], claimed_by=r["claimed_by"],
                                   started=r["started"], due=r["sla_due_at"], breached=r["breached"])
                          for r in rows], now)

    async def agent_load(self, now: datetime) -> list[dict[str, Any]]:
        agents = [(r["name"], r["role"], tuple(r["departments"])) for r in await self.pool.fetch(AGENTS)]
        claimed = {r[0]: r[1] for r in await self.pool.fetch(CLAIMED, now)}
        return agent_load(agents, claimed, self.capacity())
