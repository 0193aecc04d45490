"""The router's report definitions and the console's charts, pure: the first-response buckets, volume by
category per day, the SLA board by the queue's countdown rule, agents' load, and SVG that escapes what
it draws and says its numbers in text."""

from __future__ import annotations

import re
from datetime import timedelta

from heed_router.console.charts import Bar, bar_chart, duration, percent, stacked_columns
from heed_router.domain.report import (
    FIRST_RESPONSE_BUCKETS,
    OpenCase,
    agent_load,
    bucket_label,
    category_volume,
    first_response_distribution,
    sla_board,
)
from tests.unit.router.fake_desk import T0

M = timedelta(minutes=1)


def test_the_first_response_buckets_cover_every_time_once():
    labels = [bucket_label(i) for i in range(len(FIRST_RESPONSE_BUCKETS) + 1)]
    assert labels[0] == "< 1 min" and labels[1] == "1 min–5 min" and labels[-1] == "≥ 24 h"
    spread = first_response_distribution({0: 2, 3: 1})
    assert [b["cases"] for b in spread] == [2, 0, 0, 1, 0, 0, 0, 0]
    assert (spread[3]["from_s"], spread[3]["to_s"], spread[-1]["to_s"]) == (900, 1800, None)


def test_volume_by_category_is_per_day_in_order():
    rows = [("2026-11-23", "complaint", 9), ("2026-11-22", "question", 2), ("2026-11-22", "complaint", 4)]
    assert category_volume(rows) == {"2026-11-22": {"complaint": 4, "question": 2}, "2026-11-23": {"complaint": 9}}
    assert list(category_volume(rows)) == ["2026-11-22", "2026-11-23"]


def _case(n: int, department: str, due_in: timedelta | None, *, started: timedelta = -60 * M,
          breached: bool = False) -> OpenCase:
    return OpenCase(case_id=f"c{n}", department=department, channel="weibo", urgency="normal",
                    status="pending_department", claimed_by=None, started=T0 + started,
                    due=T0 + due_in if due_in is not None else None, breached=breached)


def test_the_sla_board_holds_breached_and_warning_cases_by_the_countdown_rule():
    board = sla_board([_case(1, "billing", 30 * M),  # an hour given, 30 minutes left: ok
                       _case(2, "billing", 10 * M),  # in the last quarter: warning
                       _case(3, "sales", -5 * M),  # past due: breached
                       _case(4, "sales", 40 * M, breached=True),  # the router said so
                       _case(5, "sales", None)], T0)  # no SLA runs
    assert list(board) == ["sales", "billing"]
    assert (board["sales"]["breached"], board["sales"]["warning"]) == (2, 0)
    assert [c["case_id"] for c in board["sales"]["cases"]] == ["c3", "c4"]  # the most overdue first
    assert board["billing"] == {"breached": 0, "warning": 1, "cases": [
        {"case_id": "c2", "state": "warning", "left_s": 600, "channel": "weibo", "urgency": "normal",
         "status": "pending_department", "claimed_by": None, "due_at": (T0 + 10 * M).isoformat()}]}


def test_agents_load_counts_claims_by_actor_against_the_capacity():
    load = agent_load([("li", "agent", ("billing",)), ("mei", "agent", ("sales",)), ("wang", "supervisor", ())],
                      {"agent:mei": 5, "agent:li": 2, "api:robot": 9}, capacity=5)
    assert [(r["agent"], r["claimed"], r["load"]) for r in load] == [("mei", 5, 1.0), ("li", 2, 0.4),
                                                                      ("wang", 0, 0.0)]


def test_charts_escape_labels_and_carry_their_numbers_as_text():
    svg = bar_chart("c", "Response <rate>", [Bar("<script>x</script>", 0.5, "50.0 %"), Bar("b&c", 0.0, "n/a")],
                    top=1.0)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "b&amp;c" in svg
    assert '<title id="c-t">Response &lt;rate&gt;</title>' in svg
    assert "50.0 %" in svg and 'data-value="0.5"' in svg
    widths = [float(w) for w in re.findall(r'class="value" x="\d+" y="[\d.]+" width="([\d.]+)"', svg)]
    assert widths == [160.0, 0.0]  # half of the 320-pixel bar; nothing for n/a
    stacked = stacked_columns("v", "Volume", {"2026-11-23": {"complaint": 3, "praise": 1}})
    assert 'data-label="complaint" data-value="3"' in stacked and "2026-11-23: complaint 3, praise 1" in stacked
    assert "no data" in stacked_columns("e", "Volume", {})


def test_figures_read_as_heed_report_prints_them():
    assert (percent(0.8333), percent(None)) == ("83.3 %", "n/a")
    assert (duration(90), duration(900), duration(9000), duration(None)) == ("90 s", "15.0 min", "2.5 h", "n/a")
