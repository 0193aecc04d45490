"""The console's routes (mounted at /console): translation only. Each request finds its session
(cookie → `Accounts`), checks the CSRF token on anything that changes state, calls the cases desk
(the same `CaseDesk` the cases API uses), crm-sync's customers API or the responder's answering API,
records an audit row per agent action, and renders a page or answers JSON.

Pages without a session redirect to the login page; data and commands without one answer 401.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at runtime.
import hashlib
import hmac
import ipaddress
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import parse_qs, quote

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, StreamingResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.datastructures import MutableHeaders
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from heed.contracts.events import CaseStatus, Category, ClassifierLabels, IssueType, LanguageTag, Urgency, Visibility
from heed_router.api import queue_changes
from heed_router.console.supervisor import register_supervisor
from heed_router.console.text import HTML_LANG, catalogue, translator
from heed_router.domain.accounts import (
    CONSOLE_LANGUAGES,
    DEPARTMENT,
    Agent,
    LoginOutcome,
    Network,
    Session,
    client_address,
    csrf_ok,
    new_token,
)
from heed_router.domain.console import delivery, sla_state, thread, warns_at
from heed_router.domain.desk import CaseDetail, CaseFilter, CaseSummary, DeskError
from heed_router.ports import Accounts, CaseDesk, CustomerRecords, ReplyDesk, Supervision

log = logging.getLogger(__name__)

COOKIE = "heed_session"
LOGIN_CSRF_COOKIE = "heed_login_csrf"
WAITING = [CaseStatus.NEW, CaseStatus.ACKNOWLEDGED, CaseStatus.PENDING_DEPARTMENT]
OPEN = [*WAITING, CaseStatus.ANSWERED, CaseStatus.AWAITING_CUSTOMER]


@dataclass(frozen=True)
class ConsolePorts:
    desk: Callable[[], CaseDesk]
    accounts: Callable[[], Accounts]
    customers: Callable[[], CustomerRecords | None]  # None: HEED_CONSOLE_CRM_URL is not set
    replies: Callable[[], ReplyDesk | None]  # None: HEED_CONSOLE_RESPONDER_URL is not set
    now: Callable[[], datetime]
    production: bool = False
    departments: Callable[[], list[str]] = list  # every department the routing rules name
    supervision: Callable[[], Supervision | None] = lambda: None  # the supervisor views (console/supervisor.py)
    trusted_proxies: tuple[Network, ...] = ()  # HEED_CONSOLE_TRUSTED_PROXIES: whose X-Forwarded-For counts


MAX_FORM = 64 * 1024
HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "x-frame-options": "DENY", "x-content-type-options": "nosniff", "referrer-policy": "same-origin",
}


class SecurityHeaders:
    """The console's headers on every answer, not only pages: the JSON rows, deliveries and previews
    carry customers' words and handles too (no-store), and a redirect or an error is framed like a page.
    Plain ASGI, so the queue's stream passes through untouched."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app, self.hsts = app, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, root = scope["path"], scope.get("root_path", "")
        static = path.startswith("/static/") or path.startswith(f"{root}/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if not static:
                    headers["cache-control"] = "no-store"
                if self.hsts:  # production: the console is only ever reached over TLS (ended here or at a proxy)
                    headers.setdefault("strict-transport-security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, with_headers)


QUEUE_PROBLEMS = ("nobody_waits",)  # the queue page's problems, by their message key


def problem_mac(session: Session, problem: str) -> str:
    """The MAC a case page's `problem=` travels with, keyed by the session's secret CSRF token."""
    return hmac.new(session.csrf_token.encode(), b"problem\0" + problem.encode(), hashlib.sha256).hexdigest()


def local_target(target: str, root: str) -> str | None:
    """`target` when it is a path of this console (a `next=` or `back=`), else None: never another
    host, whether spelled //host, /\\host (browsers read a backslash as a slash) or with a tab or
    newline a browser strips."""
    if not target.startswith(root + "/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    return target


class _Form(BaseModel):
    model_config = ConfigDict(extra="ignore", str_max_length=10_000)

    csrf: str = ""


class LoginForm(_Form):
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)
    next: str = Field(default="", max_length=2000)


class LanguageForm(_Form):
    language: str
    back: str = Field(default="", max_length=2000)


class AnswerForm(_Form):
    text: str = Field(min_length=1, max_length=10_000)
    visibility: Visibility


class PreviewAsk(BaseModel):
    """The case page's preview request (JSON, sent by console.js with the X-CSRF-Token header)."""

    model_config = ConfigDict(extra="ignore")

    text: str = Field(default="", max_length=10_000)
    visibility: Literal["public", "private"] = "public"


class NoteForm(_Form):
    text: str = Field(min_length=1, max_length=10_000)


class TransferForm(_Form):
    department: str = Field(min_length=1, max_length=100, pattern=DEPARTMENT.pattern)
    reason: str = Field(default="", max_length=1000)


class ResolveForm(_Form):
    reason: str = Field(default="", max_length=1000)


class CorrectionForm(_Form):
    """What the classifier should have said of a mention; a field left blank ("—") is not corrected."""

    mention_id: uuid.UUID | None = None
    category: Category | None = None
    issue_type: IssueType | None = None
    urgency: Urgency | None = None
    language: LanguageTag | None = None

    @field_validator("mention_id", "category", "issue_type", "urgency", "language", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    def labels(self) -> ClassifierLabels:
        return ClassifierLabels(category=self.category, issue_type=self.issue_type, urgency=self.urgency,
                                language=self.language)


F = TypeVar("F", bound=_Form)


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form (application/x-www-form-urlencoded, as the console's pages post it), read once."""
    cached = getattr(request.state, "form_fields", None)
    if cached is not None:
        return dict(cached)
    fields: dict[str, str] = {}
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        body = await request.body()
        if len(body) > MAX_FORM:
            raise HTTPException(413, f"the form is larger than {MAX_FORM} bytes")
        fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
    request.state.form_fields = fields
    return dict(fields)


async def read_form(request: Request, model: type[F]) -> F:
    """The form as `model`; a field that does not fit answers 422 naming the field and why (never its value)."""
    try:
        return model.model_validate(await form_fields(request))
    except ValidationError as bad:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in bad.errors()]
        raise HTTPException(422, "; ".join(problems)) from None


class LoginRequired(Exception):
    """No live session: a page redirects to the login page, data answers 401."""


class CsrfRefused(Exception):
    pass


def _secure(request: Request, production: bool) -> bool:
    """Cookies are Secure, except on plain http to a loopback address outside production (local dev,
    `make run`), where the browser would otherwise never send them back."""
    if production or request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https":
        return True
    host = (request.url.hostname or "").strip("[]")
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host != "localhost"


def console_app(ports: ConsolePorts, *, poll_s: float = 1.0, heartbeat_s: float = 15.0) -> FastAPI:
    app = FastAPI(title="Heed console", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SecurityHeaders, hsts=ports.production)
    app.mount("/static", StaticFiles(packages=[("heed_router.console", "static")]), name="static")
    env = Environment(loader=PackageLoader("heed_router.console", "templates"),
                      autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)

    def page(request: Request, name: str, session: Session | None, status: int = 200, **values: Any) -> HTMLResponse:
        language = session.agent.language if session else request.cookies.get("heed_lang", "en")
        if language not in CONSOLE_LANGUAGES:
            language = "en"
        html = env.get_template(name).render(
            t=translator(language), lang=HTML_LANG[language], session=session, agent=session.agent if session else None,
            csrf=session.csrf_token if session else None, root=request.scope.get("root_path", ""),
            languages=CONSOLE_LANGUAGES, **values)
        return HTMLResponse(html, status_code=status)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        root = request.scope.get("root_path", "")
        wants_page = request.method == "GET" and "text/html" in request.headers.get("accept", "")
        if wants_page:
            return RedirectResponse(f"{root}/login?next={quote(request.url.path)}", status_code=303)
        return JSONResponse({"error": "sign in first: no live console session"}, status_code=401)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return JSONResponse({"error": "the form's CSRF token is missing or not this session's; reload the page"},
                            status_code=403)

    @app.exception_handler(DeskError)
    async def desk_problem(request: Request, exc: DeskError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(HTTPException)
    async def http_problem(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    async def live(token: str | None) -> Session | None:
        """The session of this cookie token while it lasts: not expired, signed out or disabled."""
        found = await ports.accounts().session(token, ports.now()) if token else None
        return None if found is None or (ports.production and found.agent.demo) else found

    async def session_of(request: Request) -> Session:
        found = await live(request.cookies.get(COOKIE))
        if found is None:
            raise LoginRequired()
        return found

    async def changing(request: Request, session: Annotated[Session, Depends(session_of)]) -> Session:
        """A session whose request carries its CSRF token (form field `csrf` or header X-CSRF-Token)."""
        presented = request.headers.get("x-csrf-token")
        if presented is None:
            presented = (await form_fields(request)).get("csrf", "")
        if not csrf_ok(session.csrf_token, presented):
            raise CsrfRefused()
        return session

    Reading = Annotated[Session, Depends(session_of)]
    Changing = Annotated[Session, Depends(changing)]

    async def audit(agent: Agent, action: str, case_id: uuid.UUID | None = None, detail: str = "") -> None:
        await ports.accounts().audit(agent, action, ports.now(), case_id=case_id, detail=detail)

    def require_department(agent: Agent, department: str) -> None:
        if not agent.works(department):
            raise HTTPException(403, f"{agent.name} does not work the {department} queue")

    async def case_for(agent: Agent, case_id: uuid.UUID) -> CaseDetail:
        case = await ports.desk().get_case(case_id)
        require_department(agent, case.department)
        return case

    # --- login --------------------------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse)
    async def login_page(request: Request, next: str = "", problem: str = "") -> Response:
        csrf = new_token()
        response = page(request, "login.html", None, next=local_target(next, request.scope.get("root_path", "")) or "",
                        problem=problem, login_csrf=csrf)
        response.set_cookie(LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict",
                            secure=_secure(request, ports.production), path=request.scope.get("root_path", "/") or "/")
        return response

    @app.post("/login")
    async def login(request: Request) -> Response:
        root = request.scope.get("root_path", "")
        # double-submit: no session yet, so the form's token must match the cookie set with the form
        if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), (await form_fields(request)).get("csrf")):
            raise CsrfRefused()
        posted = await read_form(request, LoginForm)
        name, password, next = posted.name, posted.password, posted.next
        address = client_address(request.client.host if request.client else "unknown",
                                 request.headers.get("x-forwarded-for"), ports.trusted_proxies)
        outcome, agent = await ports.accounts().login(name, password, address, ports.now(),
                                                      allow_demo=not ports.production)
        if outcome is not LoginOutcome.OK or agent is None:
            await ports.accounts().audit(agent, "login_" + outcome.value, ports.now())
            return RedirectResponse(f"{root}/login?problem={outcome.value}", status_code=303)
        before = request.cookies.get(COOKIE)
        if before:  # whatever session this browser held ends: a login always starts a new one
            await ports.accounts().close_session(before)
        token, session = await ports.accounts().open_session(agent, ports.now())
        await audit(agent, "login")
        target = local_target(next, root) or f"{root}/"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=_secure(request, ports.production),
                            path=root or "/", max_age=int((session.expires_at - ports.now()).total_seconds()))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path=root or "/")
        return response

    @app.post("/logout")
    async def logout(request: Request, session: Changing) -> Response:
        await ports.accounts().close_session(request.cookies.get(COOKIE, ""))
        await audit(session.agent, "logout")
        root = request.scope.get("root_path", "")
        response = RedirectResponse(f"{root}/login", status_code=303)
        response.delete_cookie(COOKIE, path=root or "/")
        return response

    @app.post("/language")
    async def language(request: Request, session: Changing) -> Response:
        posted = await read_form(request, LanguageForm)
        language, back = posted.language, posted.back
        if language not in CONSOLE_LANGUAGES:
            raise HTTPException(422, f"language: one of {', '.join(CONSOLE_LANGUAGES)}")
        await ports.accounts().set_language(session.agent.agent_id, language)
        await audit(session.agent, "language", detail=language)
        root = request.scope.get("root_path", "")
        return RedirectResponse(local_target(back, root) or f"{root}/", status_code=303)

    # --- queues -------------------------------------------------------------------------------

    def my_departments(agent: Agent) -> list[str]:
        return sorted(set(ports.departments()) | set(agent.departments)) if agent.role.value == "admin" \
            else list(agent.departments)

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request, session: Reading) -> Response:
        departments = my_departments(session.agent)
        root = request.scope.get("root_path", "")
        if not departments:
            return page(request, "queue.html", session, department=None, departments=[], rows=[])
        # the queue of theirs where most cases wait (the first one when none does)
        waiting = await ports.desk().list_cases(CaseFilter(status=WAITING), limit=200, cursor=None)
        counts = {d: sum(c.department == d for c in waiting.items) for d in departments}
        busiest = max(departments, key=lambda d: (counts[d], -departments.index(d)))
        return RedirectResponse(f"{root}/queue/{busiest}", status_code=303)

    def row(case: CaseSummary, now: datetime) -> dict[str, Any]:
        started = case.queued_at or case.opened_at
        state, left = sla_state(due=case.sla_due_at, breached=case.sla_breached, started=started, now=now)
        warn = warns_at(due=case.sla_due_at, started=started)
        return {"case_id": str(case.case_id), "urgency": case.urgency.value, "channel": case.channel.value,
                "sla_warn_at": warn.isoformat() if warn else None,
                "customer": case.customer.partition(":")[2], "status": case.status.value,
                "claimed_by": case.claimed_by, "sla_state": state.value, "sla_left_s": left,
                "sla_due_at": case.sla_due_at.isoformat() if case.sla_due_at else None,
                "opened_at": case.opened_at.isoformat(), "language": case.language, "script": case.script}

    async def rows(department: str) -> list[dict[str, Any]]:
        page_ = await ports.desk().list_cases(CaseFilter(department=department, status=OPEN), limit=200, cursor=None)
        now = ports.now()
        return [row(c, now) for c in page_.items]

    @app.get("/queue/{department}", response_class=HTMLResponse)
    async def queue_page(request: Request, department: str, session: Reading, problem: str = "") -> Response:
        require_department(session.agent, department)
        after = await ports.desk().latest_change()  # read first: a change while the rows are read is sent again
        t = translator(session.agent.language)
        labels = {k: t(k) for k in catalogue()["en"] if k.startswith(("case_", "urgency_"))}
        return page(request, "queue.html", session, department=department, after=after, labels=labels,
                    departments=my_departments(session.agent), rows=await rows(department),
                    problem=problem if problem in QUEUE_PROBLEMS else "")

    @app.get("/queue/{department}/rows")
    async def queue_rows(department: str, session: Reading) -> JSONResponse:
        require_department(session.agent, department)
        return JSONResponse({"rows": await rows(department), "now": ports.now().isoformat()})

    @app.get("/queue/{department}/stream", response_class=StreamingResponse)
    async def queue_stream(request: Request, department: str, session: Reading, after: int = 0) -> StreamingResponse:
        """The cases API's queue changes for this department, as server-sent events."""
        require_department(session.agent, department)
        last = request.headers.get("last-event-id", "")
        start = int(last) if last.isdigit() else after
        if start == 0:  # no position given: from now on
            start = await ports.desk().latest_change()

        token = request.cookies.get(COOKIE)

        async def over() -> bool:
            # the browser left, or the session ended while the page stayed open: it ran out, the agent
            # signed out elsewhere or was disabled (asked again at each poll, not remembered from the start)
            return await request.is_disconnected() or await live(token) is None

        frames = queue_changes(ports.desk(), department, start, disconnected=over, poll_s=poll_s,
                               heartbeat_s=heartbeat_s)
        return StreamingResponse(frames, media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})

    @app.post("/queue/{department}/next")
    async def take_next(request: Request, department: str, session: Changing) -> Response:
        require_department(session.agent, department)
        root = request.scope.get("root_path", "")
        taken = await ports.desk().claim_next(department, session.agent.actor)
        await audit(session.agent, "take_next", taken.case_id if taken else None, detail=department)
        if taken is None:
            return RedirectResponse(f"{root}/queue/{department}?problem=nobody_waits", status_code=303)
        return RedirectResponse(f"{root}/cases/{taken.case_id}", status_code=303)

    # --- a case -------------------------------------------------------------------------------

    async def customer_panel(case: CaseDetail) -> tuple[dict[str, Any] | None, list[dict[str, Any]], str | None]:
        records = ports.customers()
        if records is None:
            return None, [], "HEED_CONSOLE_CRM_URL is not set"
        try:
            profile = await records.profile(case.customer)
            timeline = await records.timeline(str(profile["customer_id"])) if profile else []
        except RuntimeError as unavailable:
            return None, [], str(unavailable)
        return profile, timeline, None

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    async def case_page(request: Request, case_id: uuid.UUID, session: Reading, problem: str = "",
                        sig: str = "", done: str = "") -> Response:
        if problem and not csrf_ok(problem_mac(session, problem), sig):
            problem = ""  # not a problem this console sent this session back with
        case = await case_for(session.agent, case_id)
        profile, timeline, record_problem = await customer_panel(case)
        started = case.queued_at or case.opened_at
        state, left = sla_state(due=case.sla_due_at, breached=case.sla_breached, started=started, now=ports.now())
        warn = warns_at(due=case.sla_due_at, started=started)
        latest = case.case_mentions[-1] if case.case_mentions else None
        await audit(session.agent, "open_case", case.case_id)
        return page(request, "case.html", session, case=case, thread=thread(case, timeline), profile=profile,
                    record_problem=record_problem, sla_state=state.value, sla_left_s=left, mention=latest,
                    sla_warn_at=warn.isoformat() if warn else "",
                    delivery=delivery(case), problem=problem, done=done,
                    departments=my_departments(session.agent), department=case.department,
                    transfer_to=sorted(set(ports.departments()) - {case.department}),
                    corrections=correction_options(), label=labeller(session.agent.language),
                    default_visibility=(latest.visibility.value if latest else "public"))

    @app.get("/cases/{case_id}/delivery")
    async def case_delivery(case_id: uuid.UUID, session: Reading) -> JSONResponse:
        case = await case_for(session.agent, case_id)
        return JSONResponse({"status": case.status.value, "answers": delivery(case)})

    @app.get("/cases/{case_id}/snippets")
    async def case_snippets(case_id: uuid.UUID, session: Reading) -> JSONResponse:
        case = await case_for(session.agent, case_id)
        replies = ports.replies()
        if replies is None:
            raise HTTPException(503, "HEED_CONSOLE_RESPONDER_URL is not set: no templates to insert")
        account = _account(case)
        return JSONResponse(await _responder(replies.snippets(
            language=case.language or "en", script=case.script, account=account, department=case.department,
            customer=case.customer)))

    @app.post("/cases/{case_id}/preview")
    async def case_preview(request: Request, case_id: uuid.UUID, session: Changing) -> JSONResponse:
        try:
            asked = PreviewAsk.model_validate_json(await request.body())
        except ValidationError as bad:  # not JSON, not an object, or a field that does not fit: 422, not 500
            problems = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in bad.errors()]
            raise HTTPException(422, "; ".join(problems)) from None
        text, visibility = asked.text, asked.visibility
        case = await case_for(session.agent, case_id)
        replies = ports.replies()
        if replies is None:
            raise HTTPException(503, "HEED_CONSOLE_RESPONDER_URL is not set: no preview")
        return JSONResponse(await _responder(replies.preview(
            text=text, channel=case.channel.value, visibility=visibility, language=case.language or "und",
            script=case.script, account=_account(case), customer=case.customer)))

    def back(request: Request, case_id: uuid.UUID, session: Session, *, problem: str = "",
             done: str = "") -> RedirectResponse:
        """Back to the case page, saying what was done or what was refused. A problem's words travel in
        the address, so they carry a MAC keyed by the session's secret: a link someone else made cannot
        put their words in the console's alert box ("your password expired, enter it at …")."""
        root = request.scope.get("root_path", "")
        query = {"problem": problem, "sig": problem_mac(session, problem)} if problem else {"done": done}
        suffix = "&".join(f"{k}={quote(v)}" for k, v in query.items())
        return RedirectResponse(f"{root}/cases/{case_id}?{suffix}", status_code=303)

    async def command(request: Request, case_id: uuid.UUID, action: str, run: Callable[[], Awaitable[Any]],
                      session: Session, detail: str = "") -> Response:
        """Run a desk command on a case of the agent's department, audit it, and go back to the case page."""
        agent = session.agent
        await case_for(agent, case_id)
        try:
            await run()
        except DeskError as refused:
            await audit(agent, action + "_refused", case_id, detail=type(refused).__name__)
            return back(request, case_id, session, problem=refused.message)
        await audit(agent, action, case_id, detail=detail)
        return back(request, case_id, session, done=action)

    @app.post("/cases/{case_id}/answer")
    async def answer(request: Request, case_id: uuid.UUID, session: Changing) -> Response:
        posted = await read_form(request, AnswerForm)
        text, visibility = posted.text, posted.visibility
        if not text.strip():
            return back(request, case_id, session, problem="the answer is blank")
        return await command(request, case_id, "answer",
                             lambda: ports.desk().answer(case_id, session.agent.actor, text, visibility),
                             session, detail=visibility.value)

    @app.post("/cases/{case_id}/secure-link")
    async def secure_link(request: Request, case_id: uuid.UUID, session: Changing) -> Response:
        case = await case_for(session.agent, case_id)
        replies = ports.replies()
        if replies is None:
            return back(request, case_id, session, problem="HEED_CONSOLE_RESPONDER_URL is not set: no secure links")
        try:
            link = await replies.secure_link(case_id=case.case_id, customer=case.customer, department=case.department,
                                             language=case.language or "en", script=case.script,
                                             account=_account(case))
        except RuntimeError as unavailable:
            return back(request, case_id, session, problem=str(unavailable))
        return await command(request, case_id, "secure_link", lambda: ports.desk().answer(
            case_id, session.agent.actor, str(link["text"]), Visibility.PRIVATE), session)

    @app.post("/cases/{case_id}/notes")
    async def note(request: Request, case_id: uuid.UUID, session: Changing) -> Response:
        text = (await read_form(request, NoteForm)).text
        return await command(request, case_id, "note",
                             lambda: ports.desk().add_note(case_id, session.agent.actor, text), session)

    @app.post("/cases/{case_id}/transfer")
    async def transfer(request: Request, case_id: uuid.UUID, session: Changing) -> Response:
        posted = await read_form(request, TransferForm)
        department, reason = posted.department, posted.reason
        return await command(request, case_id, "transfer", lambda: ports.desk().transfer(
            case_id, session.agent.actor, department, reason), session, detail=department)

    @app.post("/cases/{case_id}/resolve")
    async def resolve(request: Request, case_id: uuid.UUID, session: Changing) -> Response:
        reason = (await read_form(request, ResolveForm)).reason
        return await command(request, case_id, "resolve",
                             lambda: ports.desk().resolve(case_id, session.agent.actor, reason), session)

    @app.post("/cases/{case_id}/corrections")
    async def correct(request: Request, case_id: uuid.UUID, session: Changing) -> Response:
        """The classifier's labels corrected (the cases API's `correct`: stored, and published for retraining)."""
        posted = await read_form(request, CorrectionForm)
        labels = posted.labels()
        if not labels.given():
            return back(request, case_id, session,
                        problem="choose at least one of category, issue type, urgency, language")
        # values only in the audit, never the mention's text
        detail = "; ".join(f"{field.value}={value}" for field, value in labels.given().items())
        return await command(request, case_id, "correct", lambda: ports.desk().correct(
            case_id, session.agent.actor, labels, posted.mention_id), session, detail=detail)

    @app.post("/cases/{case_id}/claim")
    async def claim(request: Request, case_id: uuid.UUID, session: Changing) -> Response:
        return await command(request, case_id, "claim", lambda: ports.desk().claim(case_id, session.agent.actor),
                             session)

    @app.post("/cases/{case_id}/release")
    async def release(request: Request, case_id: uuid.UUID, session: Changing) -> Response:
        return await command(request, case_id, "release", lambda: ports.desk().release(
            case_id, session.agent.actor, force=session.agent.releases_any), session)

    register_supervisor(app, supervision=ports.supervision, session_of=session_of,
                        live=lambda request: live(request.cookies.get(COOKIE)), page=page,
                        now=ports.now,
                        departments=lambda s: my_departments(s.agent), poll_s=poll_s, heartbeat_s=heartbeat_s)
    return app


def correction_options() -> dict[str, list[str]]:
    """The values an agent may choose, straight from the contract's enums (a value the contract gains
    appears here; `test_console_view` holds the catalogue to label each)."""
    return {"category": [c.value for c in Category], "issue_type": [i.value for i in IssueType],
            "urgency": [u.value for u in Urgency], "language": list(CORRECTION_LANGUAGES)}


def labeller(language: str) -> Callable[[str, str], str]:
    """label(prefix, value): a contract value in the agent's language; the value itself when the catalogue
    has no words for it (a label the classifier gave that the contract has since dropped, a rare language)."""
    t, known = translator(language), catalogue()["en"]
    return lambda prefix, value: t(prefix + value) if prefix + value in known else value


# suggested in the form's list; any language tag is accepted (fr, ja, und…), as the cases API does
CORRECTION_LANGUAGES = ("en", "zh", "th", "ms", "vi", "ja", "ko", "fr", "und")


def _account(case: CaseDetail) -> str | None:
    """The brand account the customer last wrote to: answers go out from it (the router keeps it per mention)."""
    return next((m.account for m in reversed(case.case_mentions) if m.account), None)


async def _responder(call: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    try:
        return await call
    except RuntimeError as unavailable:
        raise HTTPException(502, str(unavailable)) from None
