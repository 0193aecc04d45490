"""Figures for whatever has run, read from each service's tables in PostgreSQL.

Honest by construction: the automatic acknowledgement is reported as what it is and never counts
as an answer. Definitions (cases opened since `--since`):
- needing an answer: cases whose handling mode is answer, holding or private (not spam, not the
  praise and suggestions an acknowledgement answers);
- response rate: of those, the share with a substantive answer sent (`first_response_at`: an
  agent's answer, or an automatic reply the responder marks substantive);
- first response: `first_response_at` − when Heed received the case's first mention, p50/p90/p99;
- acknowledgement: the automatic reply's `sent_at` − the mention's receipt (`acknowledgement_ms`);
- resolution: `resolved_at` − the first mention's receipt, p50/p90;
- SLA compliance: cases answered by `first_due_at` ÷ cases whose first answer fell due (answered, or
  still unanswered with `first_due_at` passed); breaches: cases whose SLA breached at least once;
- backlog: cases not resolved or closed; CSAT: ratings 1–5 from the follow-up, their mean, spread
  and the share of 4s and 5s; alerts: crisis incidents opened (router.alerts).
`--by channel|department|day` gives the case figures per group.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

# what was sent twice: an automatic reply and its handoff message per mention, an answer or
# follow-up per answer id (the sandbox's count: a platform counts its own at its end)
DUPLICATE_SENDS = ("SELECT count(*) - count(DISTINCT (r.kind, coalesce(r.answer_id, r.mention_id)))"
                   " FROM responder.sandbox_messages s JOIN responder.replies r USING (reply_id)"
                   " WHERE s.sent_at >= $1")

QUERIES: dict[str, str] = {
    "mentions": "SELECT count(*) FROM ingest.mentions WHERE published AND received_at >= $1",
    "duplicates_dropped": "SELECT coalesce(sum(seen - 1), 0) FROM ingest.mentions WHERE received_at >= $1",
    "classified": "SELECT count(*) FROM classifier.classifications WHERE classified_at >= $1",
    "cases": "SELECT count(*) FROM router.cases WHERE opened_at >= $1",
    "routed": "SELECT count(*) FROM router.routed WHERE routed_at >= $1",
    "replies": "SELECT count(*) FROM responder.replies WHERE status = 'sent' AND received_at >= $1",
    "replies_failed": "SELECT count(*) FROM responder.replies WHERE status = 'failed' AND received_at >= $1",
    "ignored": "SELECT count(*) FROM responder.replies WHERE status = 'ignored' AND received_at >= $1",
    "sandbox_messages": "SELECT count(*) FROM responder.sandbox_messages WHERE sent_at >= $1",
    "duplicate_sends": DUPLICATE_SENDS,
    "crm_interactions": "SELECT count(*) FROM crm.interactions WHERE recorded_at >= $1",
    "customers": "SELECT count(*) FROM crm.customers WHERE created_at >= $1",
    "dlq": "SELECT count(*) FROM ingest.dead_letters WHERE failed_at >= $1",
}

# the automatic reply's time: an acknowledgement, not an answer
ACKNOWLEDGEMENT = (
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms),"
    " max(ms) FROM (SELECT extract(epoch FROM sent_at - received_at) * 1000 AS ms FROM responder.replies"
    "  WHERE status = 'sent' AND received_at >= $1 {auto}) t")

GROUPS = {"channel": "c.channel", "department": "c.department",
          "day": "to_char(date_trunc('day', c.opened_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"}

# one row per group (or one row): the case figures; `{group}` is one of GROUPS or a constant
CASES = """
WITH c AS (
    SELECT c.*, coalesce(r.received_at, c.opened_at) AS received,
           c.mode IN ('answer', 'holding', 'private') AS needs_answer
    FROM router.cases c LEFT JOIN router.routed r ON r.mention_id = c.first_mention_id
    WHERE c.opened_at >= $1)
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

ALERTS = ("SELECT topic_kind || ':' || topic, count(DISTINCT alert_id) FROM router.alerts"
          " WHERE opened_at >= $1 AND version = 1 GROUP BY 1 ORDER BY 2 DESC, 1")

BREAKDOWN = {
    "by_category": "SELECT category, count(*) FROM classifier.classifications WHERE classified_at >= $1"
                   " GROUP BY 1 ORDER BY 2 DESC",
    "by_language": "SELECT coalesce(language || '-' || script, language), count(*)"
                   " FROM classifier.classifications WHERE classified_at >= $1 GROUP BY 1 ORDER BY 2 DESC",
    "by_department": "SELECT department, count(*) FROM router.routed WHERE routed_at >= $1"
                     " GROUP BY 1 ORDER BY 2 DESC",
}

EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")
_AGO = re.compile(r"^(\d+)\s*(m|min|h|d|w)$")
_UNITS = {"m": timedelta(minutes=1), "min": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
          "w": timedelta(weeks=1)}


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """`--since`: an ISO time (UTC when it names no zone) or a span back from now: 30m, 2h, 1d, 1w."""
    found = _AGO.match(value.strip())
    if found:
        return (now or datetime.now(UTC)) - int(found.group(1)) * _UNITS[found.group(2)]
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"--since is an ISO time (2026-11-23T08:00) or a span like 30m, 2h, 1d; got {value!r}") \
            from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


async def _scalar(conn: asyncpg.Connection, sql: str, since: datetime) -> int | None:
    try:
        value = await conn.fetchval(sql, since)
    except asyncpg.UndefinedTableError:  # that service has never run on this database
        return None
    return int(value or 0)


def _seconds(value: float | None) -> float | None:
    return round(float(value), 1) if value is not None else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def case_figures(row: asyncpg.Record) -> dict[str, Any]:
    """One group's case figures from a CASES row."""
    ratings = row["ratings"]
    return {
        "cases": row["cases"], "needing_answer": row["needing_answer"], "answered": row["answered"],
        "response_rate": _share(row["answered"], row["needing_answer"]),
        "first_response_s": {"p50": _seconds(row["frt_p50"]), "p90": _seconds(row["frt_p90"]),
                             "p99": _seconds(row["frt_p99"])},
        "resolution_s": {"p50": _seconds(row["ttr_p50"]), "p90": _seconds(row["ttr_p90"])},
        "sla_compliance": _share(row["on_time"], row["due"]), "sla_due": row["due"], "breaches": row["breaches"],
        "backlog": row["backlog"],
        "csat": {"ratings": ratings, "mean": round(float(row["csat_mean"]), 2) if ratings else None,
                 "satisfied_share": _share(row["satisfied"], ratings),
                 "distribution": {str(n): row[f"r{n}"] for n in range(1, 6)}},
    }


async def _cases(conn: asyncpg.Connection, since: datetime, by: str | None) -> tuple[dict[str, Any] | None,
                                                                                      dict[str, Any] | None]:
    try:
        total = await conn.fetchrow(CASES.format(group="'all'"), since)
        groups = None
        if by is not None:
            groups = {str(r["grp"]): case_figures(r) for r in await conn.fetch(CASES.format(group=GROUPS[by]), since)}
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):  # a router from before the lifecycle
        return None, None
    return (case_figures(total) if total is not None else None), groups


async def collect(dsn: str, since: datetime | None = None, breakdown: bool = False,
                  by: str | None = None) -> dict[str, Any]:
    """The summary figures; `since` limits them to mentions received (cases opened) from then on;
    `by` (channel, department, day) adds the case figures per group."""
    if by is not None and by not in GROUPS:
        raise ValueError(f"--by is one of {', '.join(GROUPS)}; got {by!r}")
    since = since or EPOCH
    conn = await asyncpg.connect(dsn)
    try:
        figures: dict[str, Any] = {k: await _scalar(conn, q, since) for k, q in QUERIES.items()}
        try:
            kind = await conn.fetchval("SELECT 1 FROM information_schema.columns WHERE table_schema = 'responder'"
                                       " AND table_name = 'replies' AND column_name = 'kind'")
            row = await conn.fetchrow(ACKNOWLEDGEMENT.format(auto="AND kind = 'auto'" if kind else ""), since)
        except asyncpg.UndefinedTableError:
            row = None
        p50, p99, worst = row if row is not None else (None, None, None)
        figures["acknowledgement_ms"] = {"p50": _seconds(p50), "p99": _seconds(p99), "max": _seconds(worst)}
        figures["case_figures"], grouped = await _cases(conn, since, by)
        if grouped is not None:
            figures[f"by_{by}_cases"] = grouped
        try:
            figures["alerts"] = {r[0]: r[1] for r in await conn.fetch(ALERTS, since)}
        except asyncpg.UndefinedTableError:
            figures["alerts"] = None
        if breakdown:
            for name, sql in BREAKDOWN.items():
                try:
                    figures[name] = {r[0]: r[1] for r in await conn.fetch(sql, since)}
                except asyncpg.UndefinedTableError:
                    figures[name] = {}
        return figures
    finally:
        await conn.close()


def _pct(value: float | None) -> str:
    return f"{value * 100:.1f} %" if value is not None else "n/a"


def _s(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f} s" if value < 120 else f"{value / 60:.1f} min" if value < 7200 else f"{value / 3600:.1f} h"


def format_table(figures: dict[str, Any]) -> str:
    """A plain-text summary for people."""
    ack = figures.get("acknowledgement_ms") or {}
    cf = figures.get("case_figures") or {}
    frt, ttr, csat = cf.get("first_response_s") or {}, cf.get("resolution_s") or {}, cf.get("csat") or {}
    rows = [
        ("mentions (new)", figures.get("mentions")),
        ("duplicates dropped", figures.get("duplicates_dropped")),
        ("classified", figures.get("classified")),
        ("cases opened", figures.get("cases")),
        ("replies sent", figures.get("replies")),
        ("replies failed", figures.get("replies_failed")),
        ("not answered (spam, ratings)", figures.get("ignored")),
        ("CRM interactions", figures.get("crm_interactions")),
        ("customers", figures.get("customers")),
        ("DLQ records", figures.get("dlq")),
        ("acknowledgement p50 (auto)", f"{ack.get('p50')} ms"),
        ("acknowledgement p99 (auto)", f"{ack.get('p99')} ms"),
        ("cases needing an answer", cf.get("needing_answer")),
        ("answered (substantive)", cf.get("answered")),
        ("response rate", _pct(cf.get("response_rate"))),
        ("first response p50", _s(frt.get("p50"))),
        ("first response p90", _s(frt.get("p90"))),
        ("first response p99", _s(frt.get("p99"))),
        ("resolution p50", _s(ttr.get("p50"))),
        ("SLA compliance", _pct(cf.get("sla_compliance"))),
        ("SLA breaches", cf.get("breaches")),
        ("open backlog", cf.get("backlog")),
        ("CSAT ratings", csat.get("ratings")),
        ("CSAT mean (1–5)", csat.get("mean")),
        ("CSAT 4–5 share", _pct(csat.get("satisfied_share"))),
        ("crisis alerts", sum((figures.get("alerts") or {}).values()) if figures.get("alerts") is not None else None),
    ]
    width = max(len(r[0]) for r in rows)
    lines = ["┌" + "─" * (width + 2) + "┬" + "─" * 14 + "┐"]
    lines += [f"│ {name:<{width}} │ {'n/a' if value is None else value!s:>12} │" for name, value in rows]
    lines.append("└" + "─" * (width + 2) + "┴" + "─" * 14 + "┘")
    for key in ("by_category", "by_language", "by_department", "alerts"):
        if figures.get(key):
            lines.append(f"{key.replace('_', ' ')}: " + ", ".join(f"{k} {v}" for k, v in figures[key].items()))
    for key, groups in figures.items():
        if key.startswith("by_") and key.endswith("_cases"):
            lines.append(f"cases {key[:-6].replace('_', ' ')}:")
            for name, g in groups.items():
                lines.append(f"  {name}: {g['cases']} cases, response rate {_pct(g['response_rate'])}, first "
                             f"response p50 {_s(g['first_response_s']['p50'])} / p90 "
                             f"{_s(g['first_response_s']['p90'])}, SLA {_pct(g['sla_compliance'])}, "
                             f"{g['breaches']} breaches, CSAT {g['csat']['mean'] or 'n/a'}")
    return "\n".join(lines)
