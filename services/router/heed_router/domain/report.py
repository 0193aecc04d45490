"""The case figures' definitions that need only the router's own records, decided without I/O.

One definition backs both `heed report` (libs/heed_ops/report.py) and the console's reports page
(console/supervisor.py): `adapters/report.py` reads the rows with SQL, this module turns them into
figures. Definitions (cases opened since `since`, docs/CASES.md):
- needing an answer: handling mode answer, holding or private (not spam, not the praise and
  suggestions an acknowledgement answers); response rate: of those, the share with a substantive
  answer sent (`first_response_at`); the automatic acknowledgement never counts as an answer;
- first response: `first_response_at` − the first mention's receipt, p50/p90/p99, and its
  distribution over FIRST_RESPONSE_BUCKETS; resolution: `resolved_at` − that receipt, p50/p90;
- SLA compliance: answered by `first_due_at` ÷ cases whose first answer fell due (answered, or still
  unanswered with `first_due_at` passed); breaches: cases whose SLA breached at least once;
- backlog: not resolved or closed; CSAT: the follow-up's ratings 1–5, mean, spread, share of 4s and 5s;
- volume by category: mentions the router received, per day (UTC) and classified category;
- alerts: crisis incidents opened, per topic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from heed_router.domain.console import SlaState, sla_state

GROUPS = ("channel", "department", "day")
EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")
# upper edges (seconds) of the first-response distribution's buckets; the last bucket is open
FIRST_RESPONSE_BUCKETS = (60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600)

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


class Row(Protocol):
    """A row by column name (an asyncpg Record, a dict)."""

    def __getitem__(self, key: str) -> Any: ...


def _seconds(value: float | None) -> float | None:
    return round(float(value), 1) if value is not None else None


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def case_figures(row: Row) -> dict[str, Any]:
    """One group's case figures from a row of `adapters.report.CASES`."""
    ratings = row["ratings"]
    return {
        "cases": row["cases"], "needing_answer": row["needing_answer"], "answered": row["answered"],
        "response_rate": share(row["answered"], row["needing_answer"]),
        "first_response_s": {"p50": _seconds(row["frt_p50"]), "p90": _seconds(row["frt_p90"]),
                             "p99": _seconds(row["frt_p99"])},
        "resolution_s": {"p50": _seconds(row["ttr_p50"]), "p90": _seconds(row["ttr_p90"])},
        "sla_compliance": share(row["on_time"], row["due"]), "sla_due": row["due"], "breaches": row["breaches"],
        "backlog": row["backlog"],
        "csat": {"ratings": ratings, "mean": round(float(row["csat_mean"]), 2) if ratings else None,
                 "satisfied_share": share(row["satisfied"], ratings),
                 "distribution": {str(n): row[f"r{n}"] for n in range(1, 6)}},
    }


def bucket_label(index: int) -> str:
    """The first-response bucket's name: "< 1 min", "5–15 min", "≥ 24 h"."""
    def short(s: int) -> str:
        return f"{s // 3600} h" if s >= 3600 else f"{s // 60} min"
    edges = FIRST_RESPONSE_BUCKETS
    if index == 0:
        return f"< {short(edges[0])}"
    if index == len(edges):
        return f"≥ {short(edges[-1])}"
    return f"{short(edges[index - 1])}–{short(edges[index])}"


def first_response_distribution(counts: Mapping[int, int]) -> list[dict[str, Any]]:
    """Bucket index (0 … len(FIRST_RESPONSE_BUCKETS)) → answered cases, as one entry per bucket, empty ones too."""
    edges = FIRST_RESPONSE_BUCKETS
    return [{"bucket": bucket_label(i), "from_s": edges[i - 1] if i else 0,
             "to_s": edges[i] if i < len(edges) else None, "cases": int(counts.get(i, 0))}
            for i in range(len(edges) + 1)]


def category_volume(rows: Sequence[tuple[str, str, int]]) -> dict[str, dict[str, int]]:
    """(day, category, mentions) rows → day → category → mentions, days in order."""
    volume: dict[str, dict[str, int]] = {}
    for day, category, mentions in sorted(rows):
        volume.setdefault(day, {})[category] = int(mentions)
    return volume


@dataclass(frozen=True)
class OpenCase:
    """An open case with an SLA, as the breaches view needs it."""

    case_id: str
    department: str
    channel: str
    urgency: str
    status: str
    claimed_by: str | None
    started: datetime
    due: datetime | None
    breached: bool


def sla_board(cases: Sequence[OpenCase], now: datetime) -> dict[str, dict[str, Any]]:
    """Per department: the open cases breached or in warning (most overdue first) and the counts of each,
    by the same rule as the queue's countdown colours (`domain.console.sla_state`)."""
    board: dict[str, dict[str, Any]] = {}
    for case in cases:
        state, left = sla_state(due=case.due, breached=case.breached, started=case.started, now=now)
        if state not in (SlaState.WARNING, SlaState.BREACHED):
            continue
        entry = board.setdefault(case.department, {"breached": 0, "warning": 0, "cases": []})
        entry[state.value] += 1
        entry["cases"].append({"case_id": case.case_id, "state": state.value, "left_s": left,
                               "channel": case.channel, "urgency": case.urgency, "status": case.status,
                               "claimed_by": case.claimed_by,
                               "due_at": case.due.isoformat() if case.due else None})
    for entry in board.values():
        entry["cases"].sort(key=lambda c: (c["state"] != "breached", c["left_s"]))
    return dict(sorted(board.items(), key=lambda kv: (-kv[1]["breached"], -kv[1]["warning"], kv[0])))


def agent_load(agents: Sequence[tuple[str, str, tuple[str, ...]]], claimed: Mapping[str, int],
               capacity: int) -> list[dict[str, Any]]:
    """Each active agent (name, role, departments) with the cases they hold claimed against the capacity
    the routing rules give (`lifecycle.agent_capacity`); the busiest first. `claimed` is by actor."""
    rows = [{"agent": name, "role": role, "departments": list(departments),
             "claimed": int(claimed.get(f"agent:{name}", 0)), "capacity": capacity,
             "load": round(claimed.get(f"agent:{name}", 0) / capacity, 4)}
            for name, role, departments in agents]
    return sorted(rows, key=lambda r: (-r["claimed"], r["agent"]))
