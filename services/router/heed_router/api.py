"""The cases API (served by the router at /v1): departments' queues, taking the next case, answers,
notes, transfers, resolution, and a server-sent-events stream of queue changes.

Translation only: each endpoint checks the caller's token and role, then calls the `CaseDesk` port
(`adapters/desk.py` over PostgreSQL). The OpenAPI document is at /v1/openapi.json (no token); no
Swagger UI is served, since it loads its assets from a CDN a self-hosted deployment may not reach.
"""

# No `from __future__ import annotations` here: FastAPI reads the endpoints' annotations at runtime,
# and they name dependencies built inside cases_api().
import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from heed.contracts.events import (
    CaseStatus,
    Category,
    Channel,
    ClassifierLabels,
    IssueType,
    LanguageTag,
    Urgency,
    Visibility,
)
from heed.runtime.bearer import BearerTokens, BearerTokensError
from heed.runtime.http_api import bearer_caller, json_errors
from heed_router.domain.desk import (
    CaseDetail,
    CaseFilter,
    CasePage,
    CaseSummary,
    DeskError,
    NoteView,
    QueueChange,
)
from heed_router.ports import CaseDesk


class Role(StrEnum):
    AGENT = "agent"  # works cases: take, answer, note, transfer, resolve, correct the classifier
    SUPERVISOR = "supervisor"  # an agent who may also release anyone's claim
    READER = "reader"  # reads cases and the stream (dashboards)
    SYSTEM = "system"  # another internal service: reads, answers, notes, resolves


class Permission(StrEnum):
    READ = "read"
    CLAIM = "claim"
    RELEASE_ANY = "release_any"
    ANSWER = "answer"
    NOTE = "note"
    TRANSFER = "transfer"
    RESOLVE = "resolve"
    CORRECT = "correct"  # correct the classifier's labels of a case's mention


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.AGENT: frozenset(Permission) - {Permission.RELEASE_ANY},
    Role.SUPERVISOR: frozenset(Permission),
    Role.READER: frozenset({Permission.READ}),
    Role.SYSTEM: frozenset({Permission.READ, Permission.ANSWER, Permission.NOTE, Permission.RESOLVE}),
}


ApiTokensError = BearerTokensError  # HEED_API_TOKENS cannot be used; the message names the entry


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role

    @property
    def actor(self) -> str:
        """Who acts, as case events name it."""
        return f"{'system' if self.role is Role.SYSTEM else 'reader' if self.role is Role.READER else 'agent'}:" \
               f"{self.name}"


def _role(text: str) -> Role:
    if text not in Role.__members__.values():
        raise ValueError(f"unknown role {text!r}; one of {', '.join(r.value for r in Role)}")
    return Role(text)


class ApiTokens:
    """The bearer tokens of HEED_API_TOKENS: comma-separated `name:role:token` entries."""

    def __init__(self, tokens: BearerTokens[Role]) -> None:
        self.tokens = tokens

    @classmethod
    def parse(cls, value: str | None) -> "ApiTokens":
        return cls(BearerTokens.parse(value, env="HEED_API_TOKENS", grant=_role, grant_name="role"))

    def __bool__(self) -> bool:
        return bool(self.tokens)

    def agents(self) -> list[str]:
        """The names of the callers who work cases (agents and supervisors): who a case may be reserved for."""
        return [name for name, role, _ in self.tokens.entries if role in (Role.AGENT, Role.SUPERVISOR)]

    def find(self, presented: str) -> Caller | None:
        found = self.tokens.find(presented)
        return None if found is None else Caller(*found)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("the text is blank")
    return text


Text = Annotated[str, Field(min_length=1, max_length=10_000), AfterValidator(_not_blank)]


class AnswerBody(_Body):
    text: Text = Field(description="The answer, as the customer will read it")
    visibility: Visibility | None = Field(
        default=None, description="public or private; none: where the customer wrote")


class NoteBody(_Body):
    text: Text


class TransferBody(_Body):
    department: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    reason: str = Field(default="", max_length=1000)


class ResolveBody(_Body):
    reason: str = Field(default="", max_length=1000)


class CorrectionBody(_Body):
    """What the classifier should have said; at least one field. Values are the contract's (heed.contracts)."""

    mention_id: uuid.UUID | None = Field(default=None, description="The case's mention corrected; none: the "
                                                                   "case's first mention")
    category: Category | None = None
    issue_type: IssueType | None = None
    urgency: Urgency | None = Field(default=None, description="Also becomes the case's urgency (queue order)")
    language: LanguageTag | None = Field(default=None, description="A language tag (en, zh, th, fr, …; und for "
                                                                   "none); also becomes the case's language")

    @model_validator(mode="after")
    def _something(self) -> "CorrectionBody":
        if self.labels() == ClassifierLabels():
            raise ValueError("give at least one of category, issue_type, urgency, language")
        return self

    def labels(self) -> ClassifierLabels:
        return ClassifierLabels(category=self.category, issue_type=self.issue_type, urgency=self.urgency,
                                language=self.language)


class Problem(BaseModel):
    error: str


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No token, or one this API does not know"},
    403: {"model": Problem, "description": "The token's role may not do this"},
    404: {"model": Problem, "description": "No such case"},
    409: {"model": Problem, "description": "The case's state does not allow it"},
    503: {"model": Problem, "description": "The cases API is off (HEED_API_TOKENS is not set)"},
}


def sse_frame(change: QueueChange) -> str:
    return f"id: {change.seq}\nevent: {change.kind.value}\ndata: {change.model_dump_json()}\n\n"


async def queue_changes(desk: CaseDesk, department: str | None, after: int, *,
                        disconnected: Callable[[], Awaitable[bool]], poll_s: float, heartbeat_s: float,
                        batch: int = 100) -> AsyncIterator[str]:
    """The stream's frames: each change after `after` in order, a keep-alive comment when idle."""
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    while not await disconnected():
        changes = await desk.changes_after(after, department, batch)
        for change in changes:
            after = change.seq
            yield sse_frame(change)
        if changes:
            quiet_since = loop.time()
            continue
        if loop.time() - quiet_since >= heartbeat_s:
            quiet_since = loop.time()
            yield ": keep-alive\n\n"
        await asyncio.sleep(poll_s)


def cases_api(desk: Callable[[], CaseDesk], tokens: Callable[[], ApiTokens], *, poll_s: float = 1.0,
              heartbeat_s: float = 15.0) -> FastAPI:
    """The cases API over the desk `desk()` gives, for the callers `tokens()` knows."""
    app = FastAPI(title="Heed cases API", version="1",
                  description="Departments' queues and cases: take the next case (fair rule), answer, note, "
                              "transfer, resolve, correct the classifier's labels; a server-sent-events stream of "
                              "queue changes. Bearer tokens from HEED_API_TOKENS, each with a role: agent, "
                              "supervisor, reader, system.",
                  openapi_url="/openapi.json", docs_url=None, redoc_url=None)
    json_errors(app)
    caller = bearer_caller(tokens, "the cases API is off: set HEED_API_TOKENS")

    @app.exception_handler(DeskError)
    async def desk_problem(request: Request, exc: DeskError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    def allowed(permission: Permission) -> Callable[..., Awaitable[Caller]]:
        async def check(who: Annotated[Caller, Depends(caller)]) -> Caller:
            if permission not in GRANTS[who.role]:
                raise HTTPException(403, f"role {who.role.value} may not {permission.value.replace('_', ' ')}")
            return who
        return check

    CaseId = Annotated[uuid.UUID, Path(description="The case id")]

    @app.get("/cases", response_model=CasePage, responses=ERRORS, summary="List cases, in queue order")
    async def list_cases(
            who: Annotated[Caller, Depends(allowed(Permission.READ))],
            department: str | None = None, status: Annotated[list[CaseStatus] | None, Query()] = None,
            urgency: Annotated[list[Urgency] | None, Query()] = None,
            channel: Annotated[list[Channel] | None, Query()] = None, claimed_by: str | None = None,
            customer: str | None = None, breached: bool | None = None,
            limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None) -> CasePage:
        filters = CaseFilter(department=department, status=status, urgency=urgency, channel=channel,
                             claimed_by=claimed_by, customer=customer, breached=breached)
        return await desk().list_cases(filters, limit=limit, cursor=cursor)

    @app.get("/cases/stream", responses=ERRORS, summary="Queue changes as server-sent events",
             response_class=StreamingResponse)
    async def stream(request: Request, who: Annotated[Caller, Depends(allowed(Permission.READ))],
                     department: str | None = None,
                     after: Annotated[int, Query(ge=0, description="Resume after this seq")] = 0,
                     last_event_id: Annotated[str | None, Header()] = None) -> StreamingResponse:
        start = int(last_event_id) if last_event_id and last_event_id.isdigit() else after
        frames = queue_changes(desk(), department, start, disconnected=request.is_disconnected, poll_s=poll_s,
                               heartbeat_s=heartbeat_s)
        return StreamingResponse(frames, media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})

    @app.get("/cases/{case_id}", response_model=CaseDetail, responses=ERRORS,
             summary="A case with its mentions, transitions, answers and notes")
    async def get_case(case_id: CaseId, who: Annotated[Caller, Depends(allowed(Permission.READ))]) -> CaseDetail:
        return await desk().get_case(case_id)

    @app.post("/departments/{department}/next", response_model=CaseSummary, responses={
        **ERRORS, 204: {"description": "Nobody waits in this queue"},
        429: {"model": Problem, "description": "The agent holds as many claimed cases as they may"}},
        summary="Take the department's next case by the fair rule, claimed for the caller")
    async def take_next(department: str, who: Annotated[Caller, Depends(allowed(Permission.CLAIM))]) -> Any:
        taken = await desk().claim_next(department, who.actor)
        return taken if taken is not None else Response(status_code=204)

    @app.post("/cases/{case_id}/claim", response_model=CaseSummary, responses=ERRORS, summary="Claim a case")
    async def claim(case_id: CaseId, who: Annotated[Caller, Depends(allowed(Permission.CLAIM))]) -> CaseSummary:
        return await desk().claim(case_id, who.actor)

    @app.post("/cases/{case_id}/release", response_model=CaseSummary, responses=ERRORS,
              summary="Give a claim back (a supervisor may release anyone's)")
    async def release(case_id: CaseId, who: Annotated[Caller, Depends(allowed(Permission.CLAIM))]) -> CaseSummary:
        return await desk().release(case_id, who.actor, force=Permission.RELEASE_ANY in GRANTS[who.role])

    @app.post("/cases/{case_id}/answer", response_model=CaseDetail, responses=ERRORS,
              summary="Answer the customer: sent by the responder on their channel, in their script")
    async def answer(case_id: CaseId, body: AnswerBody,
                     who: Annotated[Caller, Depends(allowed(Permission.ANSWER))]) -> CaseDetail:
        return await desk().answer(case_id, who.actor, body.text, body.visibility)

    @app.post("/cases/{case_id}/notes", response_model=NoteView, responses=ERRORS, status_code=201,
              summary="Add an internal note (never shown to the customer)")
    async def note(case_id: CaseId, body: NoteBody,
                   who: Annotated[Caller, Depends(allowed(Permission.NOTE))]) -> NoteView:
        return await desk().add_note(case_id, who.actor, body.text)

    @app.post("/cases/{case_id}/transfer", response_model=CaseSummary, responses=ERRORS,
              summary="Move the case to another department's queue")
    async def transfer(case_id: CaseId, body: TransferBody,
                       who: Annotated[Caller, Depends(allowed(Permission.TRANSFER))]) -> CaseSummary:
        return await desk().transfer(case_id, who.actor, body.department, body.reason)

    @app.post("/cases/{case_id}/corrections", response_model=CaseDetail, status_code=201, responses={
        **ERRORS, 201: {"description": "The case, with its corrections and the `corrected` transition"},
        404: {"model": Problem, "description": "No such case, or the mention is not the case's"},
        409: {"model": Problem, "description": "The mention's text is no longer held (erased on request)"},
        422: {"model": Problem, "description": "No field given, or a value the contract does not know"}},
        summary="Correct the classifier's category, issue type, urgency or language of a mention; the "
                "classifier retrains on corrections (heed classifier train --corrections)")
    async def correct(case_id: CaseId, body: CorrectionBody,
                      who: Annotated[Caller, Depends(allowed(Permission.CORRECT))]) -> CaseDetail:
        return await desk().correct(case_id, who.actor, body.labels(), body.mention_id)

    @app.post("/cases/{case_id}/resolve", response_model=CaseSummary, responses=ERRORS,
              summary="Resolve the case (the follow-up asks the customer for a rating)")
    async def resolve(case_id: CaseId, body: ResolveBody,
                      who: Annotated[Caller, Depends(allowed(Permission.RESOLVE))]) -> CaseSummary:
        return await desk().resolve(case_id, who.actor, body.reason)

    return app
