"""Figures for whatever has run, read from each service's tables in PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

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
    "duplicate_sends": "SELECT count(*) - count(DISTINCT mention_id) FROM responder.sandbox_messages"
                       " WHERE sent_at >= $1",
    "crm_interactions": "SELECT count(*) FROM crm.interactions WHERE recorded_at >= $1",
    "customers": "SELECT count(*) FROM crm.customers WHERE created_at >= $1",
    "dlq": "SELECT count(*) FROM ingest.dead_letters WHERE failed_at >= $1",
}

LATENCY = (
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms),"
    " max(ms), count(*) FILTER (WHERE sent_at <= sla_due_at), count(*)"
    " FROM (SELECT extract(epoch FROM sent_at - received_at) * 1000 AS ms, sent_at, sla_due_at"
    "       FROM responder.replies WHERE status = 'sent' AND received_at >= $1) t")

BREAKDOWN = {
    "by_category": "SELECT category, count(*) FROM classifier.classifications WHERE classified_at >= $1"
                   " GROUP BY 1 ORDER BY 2 DESC",
    "by_language": "SELECT coalesce(language || '-' || script, language), count(*)"
                   " FROM classifier.classifications WHERE classified_at >= $1 GROUP BY 1 ORDER BY 2 DESC",
    "by_department": "SELECT department, count(*) FROM router.routed WHERE routed_at >= $1"
                     " GROUP BY 1 ORDER BY 2 DESC",
}

EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")


async def _scalar(conn: asyncpg.Connection, sql: str, since: datetime) -> int | None:
    try:
        value = await conn.fetchval(sql, since)
    except asyncpg.UndefinedTableError:  # that service has never run on this database
        return None
    return int(value or 0)


async def collect(dsn: str, since: datetime | None = None, breakdown: bool = False) -> dict[str, Any]:
    """The summary figures; `since` limits them to mentions received from then on."""
    since = since or EPOCH
    conn = await asyncpg.connect(dsn)
    try:
        figures: dict[str, Any] = {k: await _scalar(conn, q, since) for k, q in QUERIES.items()}
        try:
            row = await conn.fetchrow(LATENCY, since)
        except asyncpg.UndefinedTableError:
            row = None
        p50, p99, worst, in_sla, sent = row if row is not None else (None, None, None, 0, 0)
        figures["first_response_ms"] = {
            "p50": round(p50, 1) if p50 is not None else None,
            "p99": round(p99, 1) if p99 is not None else None,
            "max": round(float(worst), 1) if worst is not None else None,
        }
        figures["sla_compliance"] = round(in_sla / sent, 4) if sent else None
        if breakdown:
            for name, sql in BREAKDOWN.items():
                try:
                    figures[name] = {r[0]: r[1] for r in await conn.fetch(sql, since)}
                except asyncpg.UndefinedTableError:
                    figures[name] = {}
        return figures
    finally:
        await conn.close()


def format_table(figures: dict[str, Any]) -> str:
    """A plain-text summary for people."""
    lat = figures.get("first_response_ms") or {}
    sla = figures.get("sla_compliance")
    rows = [
        ("mentions (new)", figures.get("mentions")),
        ("duplicates dropped", figures.get("duplicates_dropped")),
        ("classified", figures.get("classified")),
        ("cases opened", figures.get("cases")),
        ("replies sent", figures.get("replies")),
        ("replies failed", figures.get("replies_failed")),
        ("spam ignored", figures.get("ignored")),
        ("CRM interactions", figures.get("crm_interactions")),
        ("customers", figures.get("customers")),
        ("DLQ records", figures.get("dlq")),
        ("first response p50", f"{lat.get('p50')} ms"),
        ("first response p99", f"{lat.get('p99')} ms"),
        ("SLA compliance", f"{sla * 100:.1f} %" if sla is not None else "n/a"),
    ]
    width = max(len(r[0]) for r in rows)
    lines = ["┌" + "─" * (width + 2) + "┬" + "─" * 14 + "┐"]
    lines += [f"│ {name:<{width}} │ {'n/a' if value is None else value!s:>12} │" for name, value in rows]
    lines.append("└" + "─" * (width + 2) + "┴" + "─" * 14 + "┘")
    for key in ("by_category", "by_language", "by_department"):
        if figures.get(key):
            lines.append(f"{key.replace('_', ' ')}: " + ", ".join(f"{k} {v}" for k, v in figures[key].items()))
    return "\n".join(lines)
