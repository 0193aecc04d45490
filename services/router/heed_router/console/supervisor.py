"""The console's supervisor views (docs/CONSOLE.md, "Supervisors"): reports with charts, SLA breaches,
agents' load, and the crisis-alert banner's data and live stream. Translation only: the figures come
from `Supervision` (adapters/report.py over the router's own tables, defined in domain/report.py, the
same code `heed report` runs), the charts from console/charts.py.

Every route needs a console session of a supervisor or an admin: no session answers 401 (a page
redirects to the login page), an agent's session 403.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at runtime.
import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from heed_router.console.charts import Bar, bar_chart, duration, percent, stacked_columns
from heed_router.console.text import translator
from heed_router.domain.accounts import AgentRole, Session
from heed_router.domain.report import GROUPS, parse_since
from heed_router.ports import Supervision

SUPERVISING = (AgentRole.SUPERVISOR, AgentRole.ADMIN)
DEFAULT_SINCE = "7d"


def supervises(session: Session | None) -> bool:
    """Whether the console shows this session the supervisor views (and the alert banner)."""
    return session is not None and session.agent.role in SUPERVISING


def report_charts(figures: dict[str, Any], by_department: dict[str, Any], by_channel: dict[str, Any],
                  t: Callable[[str], str]) -> dict[str, Any]:
    """The reports page's charts from the router's figures (`Supervision.figures`): each chart's SVG and the
    rows of its table, from the same numbers."""
    cases = figures.get("case_figures") or {}
    grouped: dict[str, Any] = next(
        (v for k, v in figures.items() if k.startswith("by_") and k.endswith("_cases")), {}) or {}
    csat = cases.get("csat") or {}

    def shares(groups: dict[str, Any], key: str) -> list[Bar]:
        return [Bar(name, g[key] or 0.0, percent(g[key])) for name, g in groups.items()]

    response = shares(grouped, "response_rate") if grouped else \
        ([Bar(t("sup_all_cases"), cases.get("response_rate") or 0.0, percent(cases.get("response_rate")))]
         if cases else [])
    frt = [Bar(b["bucket"], b["cases"], str(b["cases"])) for b in figures.get("first_response_distribution") or []]
    sla_dept, sla_channel = shares(by_department, "sla_compliance"), shares(by_channel, "sla_compliance")
    ratings = [Bar(f"{n} ★", (csat.get("distribution") or {}).get(str(n), 0),
                   str((csat.get("distribution") or {}).get(str(n), 0))) for n in range(1, 6)] if csat else []
    volume = figures.get("volume_by_category") or {}
    return {
        "response_rate": bar_chart("chart-response-rate", t("sup_chart_response_rate"), response, top=1.0),
        "response_rows": response,
        "first_response": bar_chart("chart-first-response", t("sup_chart_first_response"), frt),
        "first_response_rows": frt,
        "sla_department": bar_chart("chart-sla-department", t("sup_chart_sla_department"), sla_dept, top=1.0),
        "sla_department_rows": sla_dept,
        "sla_channel": bar_chart("chart-sla-channel", t("sup_chart_sla_channel"), sla_channel, top=1.0),
        "sla_channel_rows": sla_channel,
        "csat": bar_chart("chart-csat", t("sup_chart_csat"), ratings),
        "csat_rows": ratings,
        "volume": stacked_columns("chart-volume", t("sup_chart_volume"), volume),
        "volume_rows": [(day, cat, n) for day, cats in volume.items() for cat, n in sorted(cats.items())],
    }


def alert_frame(alerts: list[dict[str, Any]]) -> str:
    return f"event: alerts\ndata: {json.dumps({'alerts': alerts}, separators=(',', ':'))}\n\n"


async def alert_frames(read: Callable[[], Awaitable[list[dict[str, Any]]]], *,
                       disconnected: Callable[[], Awaitable[bool]], poll_s: float,
                       heartbeat_s: float) -> AsyncIterator[str]:
    """The open alerts now, then again each time an incident opens, grows (a new version) or resolves;
    a keep-alive comment when nothing changed for `heartbeat_s`."""
    loop = asyncio.get_running_loop()
    last: list[tuple[str, int]] | None = None
    quiet_since = loop.time()
    while not await disconnected():
        alerts = await read()
        seen = [(a["alert_id"], a["version"]) for a in alerts]
        if seen != last:
            last, quiet_since = seen, loop.time()
            yield alert_frame(alerts)
        elif loop.time() - quiet_since >= heartbeat_s:
            quiet_since = loop.time()
            yield ": keep-alive\n\n"
        await asyncio.sleep(poll_s)


def register_supervisor(app: FastAPI, *, supervision: Callable[[], Supervision | None],
                        session_of: Callable[..., Awaitable[Session]],
                        live: Callable[[Request], Awaitable[Session | None]],
                        page: Callable[..., HTMLResponse], departments: Callable[[Session], list[str]],
                        now: Callable[[], Any], poll_s: float, heartbeat_s: float) -> None:
    """Add the supervisor views to the console `app` (console/app.py calls this once)."""

    async def supervisor(session: Annotated[Session, Depends(session_of)]) -> Session:
        if not supervises(session):
            raise HTTPException(403, "the supervisor views are for supervisors and admins")
        return session

    Supervising = Annotated[Session, Depends(supervisor)]

    def source() -> Supervision:
        found = supervision()
        if found is None:
            raise HTTPException(503, "the supervisor views need the router's database")
        return found

    def board_of(session: Session, board: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """A supervisor's departments' part of the SLA board (an admin's: all of it)."""
        if session.agent.role is AgentRole.ADMIN:
            return board
        return {d: entry for d, entry in board.items() if d in session.agent.departments}

    def load_of(session: Session, load: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The accounts sharing a department with a supervisor (an admin: every account)."""
        if session.agent.role is AgentRole.ADMIN:
            return load
        return [a for a in load if set(a["departments"]) & set(session.agent.departments)]

    def window(since: str, by: str) -> tuple[Any, str | None]:
        try:
            start = parse_since(since or DEFAULT_SINCE, now())
        except ValueError as bad:
            raise HTTPException(422, str(bad)) from None
        if by and by not in GROUPS:
            raise HTTPException(422, f"by: one of {', '.join(GROUPS)}")
        return start, (by or None)

    @app.get("/reports", response_class=HTMLResponse)
    async def reports_page(request: Request, session: Supervising, since: str = DEFAULT_SINCE,
                           by: str = "department") -> Response:
        start, group = window(since, by)
        figures = await source().figures(start, group)
        by_department = figures.get("by_department_cases") if group == "department" else \
            (await source().figures(start, "department")).get("by_department_cases")
        by_channel = figures.get("by_channel_cases") if group == "channel" else \
            (await source().figures(start, "channel")).get("by_channel_cases")
        charts = report_charts(figures, by_department or {}, by_channel or {}, translator(session.agent.language))
        cases = figures.get("case_figures") or {}
        return page(request, "supervisor_reports.html", session, departments=departments(session), department=None,
                    view="reports", since=since or DEFAULT_SINCE, by=group or "", groups=GROUPS, charts=charts,
                    cases=cases, start=start.isoformat(), alerts=figures.get("alerts") or {},
                    percent=percent, duration=duration)

    @app.get("/reports.json")
    async def reports_json(session: Supervising, since: str = DEFAULT_SINCE, by: str = "") -> JSONResponse:
        start, group = window(since, by)
        return JSONResponse({"since": start.isoformat(), "by": group, **await source().figures(start, group)})

    @app.get("/sla", response_class=HTMLResponse)
    async def sla_page(request: Request, session: Supervising) -> Response:
        board = board_of(session, await source().sla_board(now()))
        return page(request, "supervisor_sla.html", session, departments=departments(session), department=None,
                    view="sla", board=board)

    @app.get("/sla.json")
    async def sla_json(session: Supervising) -> JSONResponse:
        return JSONResponse({"now": now().isoformat(),
                             "departments": board_of(session, await source().sla_board(now()))})

    @app.get("/agents", response_class=HTMLResponse)
    async def agents_page(request: Request, session: Supervising) -> Response:
        load = load_of(session, await source().agent_load(now()))
        return page(request, "supervisor_agents.html", session, departments=departments(session), department=None,
                    view="agents", load=load)

    @app.get("/agents.json")
    async def agents_json(session: Supervising) -> JSONResponse:
        return JSONResponse({"now": now().isoformat(), "agents": load_of(session, await source().agent_load(now()))})

    @app.get("/alerts.json")
    async def alerts_json(session: Supervising) -> JSONResponse:
        return JSONResponse({"alerts": await source().open_alerts()})

    @app.get("/alerts/stream", response_class=StreamingResponse)
    async def alerts_stream(request: Request, session: Supervising) -> StreamingResponse:
        """The open crisis alerts as server-sent events: the banner on every console page listens."""
        async def over() -> bool:
            # the browser left, or the session ended while the page stayed open: it ran out, the supervisor
            # signed out elsewhere or was disabled (asked again at each poll, as the queue stream does)
            return await request.is_disconnected() or await live(request) is None

        frames = alert_frames(source().open_alerts, disconnected=over, poll_s=poll_s, heartbeat_s=heartbeat_s)
        return StreamingResponse(frames, media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})
