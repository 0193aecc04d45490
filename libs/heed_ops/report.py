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
  and the share of 4s and 5s; alerts: crisis incidents opened (router.alerts); the first-response
  distribution (answered cases per time bucket) and volume by category per day (router.routed).
`--by channel|department|day` gives the case figures per group.

The figures that need only the router's tables (the case figures, the first-response distribution,
volume by category per day, alerts) are defined once, in heed_router's `domain/report.py` and
`adapters/report.py`: the console's reports page shows the same ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from heed_router.adapters.report import GROUP_SQL, router_figures
from heed_router.domain.report import EPOCH, parse_since

__all__ = ["EPOCH", "collect", "format_table", "parse_since"]

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

BREAKDOWN = {
    "by_category": "SELECT category, count(*) FROM classifier.classifications WHERE classified_at >= $1"
                   " GROUP BY 1 ORDER BY 2 DESC",
    "by_language": "SELECT coalesce(language || '-' || script, language), count(*)"
                   " FROM classifier.classifications WHERE classified_at >= $1 GROUP BY 1 ORDER BY 2 DESC",
    "by_department": "SELECT department, count(*) FROM router.routed WHERE routed_at >= $1"
                     " GROUP BY 1 ORDER BY 2 DESC",
}

async def _scalar(conn: asyncpg.Connection, sql: str, since: datetime) -> int | None:
    try:
        value = await conn.fetchval(sql, since)
    except asyncpg.UndefinedTableError:  # that service has never run on this database
        return None
    return int(value or 0)


def _seconds(value: float | None) -> float | None:
    return round(float(value), 1) if value is not None else None


async def _router(conn: asyncpg.Connection, since: datetime, by: str | None) -> dict[str, Any]:
    """The router's figures (heed_router.adapters.report); n/a for a router from before the lifecycle."""
    try:
        return await router_figures(conn, since, by)
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
        return {"case_figures": None, "first_response_distribution": None, "volume_by_category": None,
                "alerts": None}


async def collect(dsn: str, since: datetime | None = None, breakdown: bool = False,
                  by: str | None = None) -> dict[str, Any]:
    """The summary figures; `since` limits them to mentions received (cases opened) from then on;
    `by` (channel, department, day) adds the case figures per group."""
    if by is not None and by not in GROUP_SQL:
        raise ValueError(f"--by is one of {', '.join(GROUP_SQL)}; got {by!r}")
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
        figures.update(await _router(conn, since, by))
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
    if figures.get("first_response_distribution"):
        lines.append("first response (answered cases): " + ", ".join(
            f"{b['bucket']} {b['cases']}" for b in figures["first_response_distribution"]))
    for day, categories in (figures.get("volume_by_category") or {}).items():
        lines.append(f"mentions {day}: " + ", ".join(f"{c} {n}" for c, n in sorted(categories.items())))
    for key, groups in figures.items():
        if key.startswith("by_") and key.endswith("_cases"):
            lines.append(f"cases {key[:-6].replace('_', ' ')}:")
            for name, g in groups.items():
                lines.append(f"  {name}: {g['cases']} cases, response rate {_pct(g['response_rate'])}, first "
                             f"response p50 {_s(g['first_response_s']['p50'])} / p90 "
                             f"{_s(g['first_response_s']['p90'])}, SLA {_pct(g['sla_compliance'])}, "
                             f"{g['breaches']} breaches, CSAT {g['csat']['mean'] or 'n/a'}")
    return "\n".join(lines)
