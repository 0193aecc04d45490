"""The supervisor views' figures on a real PostgreSQL: the console's reports JSON and `heed report --json`
(run as the command) agree on the same database, figure for figure, because one definition backs both
(heed_router's domain/report.py and adapters/report.py); open alerts with their example mentions' cases,
a resolved incident gone; the SLA board and agents' load from the router's own rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from heed_router.adapters.report import PostgresSupervision
from heed_router.console.app import ConsolePorts, console_app
from tests.integration.test_report import T0, add_case
from tests.unit.router.fake_accounts import FakeAccounts
from tests.unit.router.fake_desk import FakeDesk
from tests.unit.router.test_console import PASSWORD, _mounted, login

pytestmark = pytest.mark.integration

M = timedelta(minutes=1)
SHARED = ("case_figures", "first_response_distribution", "volume_by_category", "alerts", "by_department_cases")


async def _seed(pool: asyncpg.Pool) -> dict[str, uuid.UUID]:
    await add_case(pool, "a", channel="weibo", department="billing", mode="holding", status="closed",
                   due=T0 + 30 * M, answered=T0 + 10 * M, resolved=T0 + 60 * M, rating=5)
    await add_case(pool, "b", channel="x", department="care-escalations", mode="private", status="resolved",
                   due=T0 + 15 * M, answered=T0 + 20 * M, resolved=T0 + 120 * M, breached=True, rating=2)
    await add_case(pool, "c", channel="x", department="care-escalations", mode="answer",
                   status="pending_department", due=T0 + 15 * M, breached=True)
    await add_case(pool, "d", channel="weibo", department="marketing", mode="acknowledge", status="resolved",
                   due=None, resolved=T0 + 3 * M)
    await add_case(pool, "e", channel="weibo", department="billing", mode="holding", status="pending_department",
                   due=datetime.now(UTC) + timedelta(days=1))
    await pool.execute("UPDATE routed SET category = CASE WHEN case_id = $1 THEN 'praise' ELSE 'complaint' END",
                       uuid.uuid5(uuid.NAMESPACE_URL, "d"))
    mention = {n: uuid.uuid5(uuid.NAMESPACE_DNS, n) for n in "abcde"}
    crisis, calm = uuid.uuid4(), uuid.uuid4()
    rows = [(crisis, 1, "opened", [mention["b"]]), (crisis, 2, "updated", [mention["b"], mention["c"]]),
            (calm, 1, "opened", [mention["a"]]), (calm, 2, "resolved", [mention["a"]])]
    await pool.executemany(
        "INSERT INTO alerts (event_id, alert_id, version, state, topic_kind, topic, window_count, total_count,"
        " opened_at, updated_at, example_mention_ids) VALUES ($1, $2, $3, $4, 'issue_type', $5, 60, 60 * $3, $6, $6,"
        " $7)", [(uuid.uuid4(), a, v, s, "billing" if a == crisis else "delivery", T0, ex) for a, v, s, ex in rows])
    # an agent holding case e, claimed until tomorrow; a disabled agent is not listed
    agent_id = uuid.uuid4()
    await pool.execute("INSERT INTO agents (agent_id, name, role, password_hash, created_at) VALUES"
                       " ($1, 'li', 'agent', 'x', now()), ($2, 'gone', 'agent', 'x', now())", agent_id, uuid.uuid4())
    await pool.execute("UPDATE agents SET disabled_at = now() WHERE name = 'gone'")
    await pool.execute("INSERT INTO agent_departments VALUES ($1, 'billing')", agent_id)
    await pool.execute("UPDATE cases SET claimed_by = 'agent:li', claim_expires_at = now() + interval '1 day'"
                       " WHERE case_id = $1", uuid.uuid5(uuid.NAMESPACE_URL, "e"))
    return {"crisis": crisis, "calm": calm, **mention}


def _heed_report(database_url: str, *args: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", "import sys; from heed_ops.cli import main; sys.exit(main())",
                           "report", "--json", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HEED_DATABASE_URL": database_url}, check=True)
    figures: dict[str, object] = json.loads(done.stdout)
    return figures


async def test_the_consoles_report_json_and_heed_report_agree_on_one_database(pool, database_url):
    await _seed(pool)
    accounts = FakeAccounts()
    accounts.add("wang", PASSWORD, "supervisor", ("billing",), "en")
    app = console_app(ConsolePorts(desk=lambda: FakeDesk(), accounts=lambda: accounts, customers=lambda: None,
                                   replies=lambda: None, now=lambda: datetime.now(UTC),
                                   supervision=lambda: PostgresSupervision(pool, capacity=lambda: 5)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_mounted(app)), base_url="http://127.0.0.1") as c:
        await login(c, "wang")
        console = (await c.get("/console/reports.json", params={"since": T0.isoformat(), "by": "department"})).json()
    report = _heed_report(database_url, "--since", T0.isoformat(), "--by", "department")
    for key in SHARED:
        assert console[key] == report[key], key
    # and they are the figures the cases hold, not two empty answers agreeing
    assert console["case_figures"]["cases"] == 5 and console["case_figures"]["response_rate"] == 0.5
    assert {b["bucket"]: b["cases"] for b in console["first_response_distribution"] if b["cases"]} == \
        {"5 min–15 min": 1, "15 min–30 min": 1}  # 600 s and 1200 s
    assert console["volume_by_category"] == {"2026-11-20": {"complaint": 4, "praise": 1}}
    assert console["alerts"] == {"issue_type:billing": 1, "issue_type:delivery": 1}
    assert console["by_department_cases"]["billing"]["sla_compliance"] == 1.0


async def test_open_alerts_sla_board_and_agents_load(pool):
    ids = await _seed(pool)
    supervision = PostgresSupervision(pool, capacity=lambda: 5)
    alerts = await supervision.open_alerts()
    assert [(a["alert_id"], a["version"], a["total_count"]) for a in alerts] == [(str(ids["crisis"]), 2, 120)]
    assert [e["case_id"] for e in alerts[0]["examples"]] == [str(uuid.uuid5(uuid.NAMESPACE_URL, n)) for n in "bc"]
    board = await supervision.sla_board(datetime.now(UTC))
    # c: breached and still open; e: due tomorrow after days in the queue, so in its last quarter (warning)
    assert list(board) == ["care-escalations", "billing"]  # the most breached first
    assert (board["care-escalations"]["breached"], board["care-escalations"]["warning"]) == (1, 0)
    assert (board["billing"]["breached"], board["billing"]["warning"]) == (0, 1)
    assert board["care-escalations"]["cases"][0]["case_id"] == str(uuid.uuid5(uuid.NAMESPACE_URL, "c"))
    load = await supervision.agent_load(datetime.now(UTC))
    assert load == [{"agent": "li", "role": "agent", "departments": ["billing"], "claimed": 1, "capacity": 5,
                     "load": 0.2}]
