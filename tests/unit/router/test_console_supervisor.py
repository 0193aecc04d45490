"""The console's supervisor views over in-memory ports: only supervisors and admins (an agent 403, no
session 401 or the login page), the reports page's SVG charts drawn from the figures it was given (the
same numbers in its tables and its JSON), the SLA board, agents' load, and the alert stream's frames as
incidents open and resolve."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from heed_router.console.app import ConsolePorts, console_app
from heed_router.console.supervisor import alert_frames
from heed_router.domain.report import case_figures, first_response_distribution
from tests.unit.router.fake_accounts import FakeAccounts
from tests.unit.router.fake_desk import T0, FakeDesk, summary
from tests.unit.router.fake_supervision import FakeSupervision
from tests.unit.router.test_console import PASSWORD, _mounted, login


def _row(cases: int, answered: int, on_time: int, due: int, ratings: tuple[int, ...] = ()) -> dict[str, Any]:
    return {"cases": cases, "needing_answer": cases, "answered": answered, "frt_p50": 300.0, "frt_p90": 900.0,
            "frt_p99": 1000.0, "ttr_p50": None, "ttr_p90": None, "on_time": on_time, "due": due,
            "breaches": due - on_time, "backlog": cases - answered, "ratings": len(ratings),
            "csat_mean": sum(ratings) / len(ratings) if ratings else None,
            "satisfied": sum(r >= 4 for r in ratings), **{f"r{n}": ratings.count(n) for n in range(1, 6)}}


TOTAL = case_figures(_row(10, 8, 6, 8, (5, 5, 4, 2)))
BILLING, SALES = case_figures(_row(6, 5, 4, 5, (5, 4))), case_figures(_row(4, 3, 2, 3, (5, 2)))
WEIBO = case_figures(_row(10, 8, 6, 8))
COMMON = {"case_figures": TOTAL, "first_response_distribution": first_response_distribution({1: 3, 2: 5}),
          "volume_by_category": {"2026-11-22": {"complaint": 4, "question": 2}, "2026-11-23": {"complaint": 9}},
          "alerts": {"issue_type:billing": 1}}
FIGURES = {"": COMMON, "department": {**COMMON, "by_department_cases": {"billing": BILLING, "sales": SALES}},
           "channel": {**COMMON, "by_channel_cases": {"weibo": WEIBO}}, "day": {**COMMON, "by_day_cases": {}}}
ALERT = {"alert_id": "a1", "version": 1, "state": "opened", "topic_kind": "issue_type", "topic": "billing",
         "window_count": 60, "total_count": 60, "opened_at": T0.isoformat(), "updated_at": T0.isoformat(),
         "examples": [{"mention_id": "m1", "case_id": "c1", "department": "billing", "channel": "weibo"}]}


class World:
    def __init__(self) -> None:
        self.now = T0
        self.accounts = FakeAccounts()
        self.accounts.add("li", PASSWORD, "agent", ("billing",), "en")
        self.accounts.add("wang", PASSWORD, "supervisor", ("billing",), "zh-Hant")
        self.accounts.add("root", PASSWORD, "admin", (), "th")
        self.supervision = FakeSupervision(
            FIGURES, alerts=[ALERT],
            board={"billing": {"breached": 1, "warning": 0, "cases": [
                {"case_id": "c9", "state": "breached", "left_s": -120, "channel": "weibo", "urgency": "high",
                 "status": "pending_department", "claimed_by": None, "due_at": T0.isoformat()}]}},
            load=[{"agent": "li", "role": "agent", "departments": ["billing"], "claimed": 3, "capacity": 5,
                   "load": 0.6},
                  {"agent": "ana", "role": "agent", "departments": ["sales"], "claimed": 1, "capacity": 5,
                   "load": 0.2}])
        self.supervision.board["sales"] = {"breached": 0, "warning": 1, "cases": [
            {"case_id": "c8", "state": "warning", "left_s": 30, "channel": "x", "urgency": "normal",
             "status": "pending_department", "claimed_by": None, "due_at": T0.isoformat()}]}
        self.app = console_app(ConsolePorts(
            desk=lambda: FakeDesk().add(summary(1)), accounts=lambda: self.accounts, customers=lambda: None,
            replies=lambda: None, now=lambda: self.now, departments=lambda: ["billing", "sales"],
            supervision=lambda: self.supervision), poll_s=0.01, heartbeat_s=0.05)

    def client(self) -> Any:
        import httpx
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=_mounted(self.app)), base_url="http://127.0.0.1",
                                 follow_redirects=False)


PATHS = ("/console/reports", "/console/reports.json", "/console/sla", "/console/sla.json", "/console/agents",
         "/console/agents.json", "/console/alerts.json", "/console/alerts/stream")


async def test_only_supervisors_and_admins_see_the_supervisor_views():
    world = World()
    async with world.client() as anonymous:
        for path in PATHS:
            assert (await anonymous.get(path)).status_code == 401, path
        page = await anonymous.get("/console/reports", headers={"accept": "text/html"})
        assert page.status_code == 303 and "/console/login" in page.headers["location"]
    async with world.client() as agent:
        await login(agent, "li")
        for path in PATHS:
            assert (await agent.get(path)).status_code == 403, path
        queue = await agent.get("/console/queue/billing")
        assert 'id="alert-banner"' not in queue.text and "/console/reports" not in queue.text
    for name in ("wang", "root"):
        async with world.client() as boss:
            await login(boss, name)
            for path in PATHS[:-1]:
                assert (await boss.get(path)).status_code == 200, (name, path)
            queue = await boss.get("/console/queue/billing")
            assert 'id="alert-banner"' in queue.text and 'href="/console/reports"' in queue.text


async def test_the_reports_page_draws_each_chart_from_the_figures_and_the_json_is_those_figures():
    world = World()
    async with world.client() as c:
        await login(c, "wang")
        html = (await c.get("/console/reports?since=2026-11-20T00:00&by=department")).text
        data = (await c.get("/console/reports.json?since=2026-11-20T00:00&by=department")).json()
    assert data["since"] == "2026-11-20T00:00:00+00:00" and data["by"] == "department"
    assert {k: v for k, v in data.items() if k not in ("since", "by")} == FIGURES["department"]

    def bars(chart: str) -> dict[str, str]:
        svg = re.search(rf'<svg id="{chart}".*?</svg>', html, re.S)
        assert svg is not None, chart
        segments = re.findall(r'data-day="([^"]+)" data-label="([^"]+)" data-value="([^"]+)"', svg.group(0))
        if segments:  # the stacked columns: day/category
            return {f"{d}/{c}": v for d, c, v in segments}
        return dict(re.findall(r'class="bar" data-label="([^"]+)" data-value="([^"]+)"', svg.group(0)))

    assert bars("chart-response-rate") == {"billing": f"{BILLING['response_rate']:g}",
                                           "sales": f"{SALES['response_rate']:g}"}
    assert bars("chart-sla-department") == {"billing": "0.8", "sales": f"{SALES['sla_compliance']:g}"}
    assert bars("chart-sla-channel") == {"weibo": "0.75"}
    assert bars("chart-first-response")["1 min–5 min"] == "3" and bars("chart-first-response")["5 min–15 min"] == "5"
    assert bars("chart-csat") == {"1 ★": "0", "2 ★": "1", "3 ★": "0", "4 ★": "1", "5 ★": "2"}
    assert bars("chart-volume") == {"2026-11-22/complaint": "4", "2026-11-22/question": "2",
                                    "2026-11-23/complaint": "9"}
    assert "<td>billing</td><td>83.3 %</td>" in html  # the numbers in text as well
    assert "報表" in html  # wang reads the console in Traditional Chinese
    assert (await _get(world, "wang", "/console/reports?since=yesterday")).status_code == 422
    assert (await _get(world, "wang", "/console/reports.json?by=week")).status_code == 422


async def _get(world: World, name: str, path: str) -> Any:
    async with world.client() as c:
        await login(c, name)
        return await c.get(path)


async def test_the_sla_board_and_agents_load_pages_show_what_the_router_holds():
    world = World()
    async with world.client() as c:
        await login(c, "root")
        sla = (await c.get("/console/sla")).text
        load = (await c.get("/console/agents")).text
    assert 'data-case="c9" data-state="breached"' in sla and "-2 min" in sla
    assert 'data-agent="li" data-claimed="3"' in load and "60 %" in load


async def test_the_alert_stream_sends_the_open_alerts_then_each_change():
    world = World()
    reads = 0

    async def read() -> list[dict[str, Any]]:
        nonlocal reads
        reads += 1
        if reads == 3:
            world.supervision.alerts = [{**ALERT, "version": 2, "total_count": 90}]
        if reads == 5:
            world.supervision.alerts = []  # resolved
        return await world.supervision.open_alerts()

    async def gone() -> bool:
        return reads >= 7

    frames = [f async for f in alert_frames(read, disconnected=gone, poll_s=0.001, heartbeat_s=3600)]
    sent = [json.loads(f.split("data: ", 1)[1])["alerts"] for f in frames]
    assert [[a["total_count"] for a in s] for s in sent] == [[60], [90], []]
    assert frames[0].startswith("event: alerts\n")


@pytest.mark.parametrize("since", ["2h", "2026-11-23T08:00"])
async def test_since_is_read_like_heed_reports(since: str):
    world = World()
    await _get(world, "wang", f"/console/reports.json?since={since}")
    asked, _ = world.supervision.asked[-1]
    assert asked == (T0 - timedelta(hours=2) if since == "2h" else datetime(2026, 11, 23, 8, 0, tzinfo=UTC))


def _time_passes(world: World) -> None:
    world.now = T0 + timedelta(days=1)  # past the session's end while the page stays open


def _signed_out_elsewhere(world: World) -> None:
    world.accounts.sessions.clear()  # signed out in another tab (or disabled): no session any more


@pytest.mark.parametrize("session_ends", [_time_passes, _signed_out_elsewhere])
async def test_the_alert_stream_ends_when_the_session_does(session_ends: Callable[[World], None]):
    world = World()
    reads = 0
    read_alerts = world.supervision.open_alerts

    async def read_then_the_session_ends() -> list[dict[str, Any]]:
        nonlocal reads
        reads += 1
        session_ends(world)
        return await read_alerts()

    world.supervision.open_alerts = read_then_the_session_ends  # type: ignore[method-assign]
    async with world.client() as c:
        await login(c, "wang")
        stream = await asyncio.wait_for(c.get("/console/alerts/stream"), timeout=10)
    assert stream.status_code == 200 and stream.text.count("event: alerts") == 1 and reads <= 2


async def test_a_supervisor_sees_their_departments_board_and_people_an_admin_everyone():
    world = World()
    async with world.client() as c:
        await login(c, "wang")  # supervisor of billing
        assert list((await c.get("/console/sla.json")).json()["departments"]) == ["billing"]
        assert [a["agent"] for a in (await c.get("/console/agents.json")).json()["agents"]] == ["li"]
        assert 'data-case="c8"' not in (await c.get("/console/sla")).text
    async with world.client() as c:
        await login(c, "root")
        assert sorted((await c.get("/console/sla.json")).json()["departments"]) == ["billing", "sales"]
        assert [a["agent"] for a in (await c.get("/console/agents.json")).json()["agents"]] == ["li", "ana"]
