"""The customers API (served by crm-sync at /v1): one customer's 360 for marketing, sales and service —
read by id, found by channel handle, email or phone, the timeline page by page; changes to tier,
owner, tags, language, consent and preferences (each one recorded and announced on
heed.crm.customers); contact points; merge and unmerge; export and erasure on request.

Bearer tokens from HEED_CRM_API_TOKENS, `name:scope+scope:token`, scopes:
read · contact (see and find by email or phone, add them) · write · merge · export · erase.
The OpenAPI document is at /v1/openapi.json (no token).
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at runtime.
import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from heed.runtime.bearer import BearerTokens
from heed.runtime.http_api import bearer_caller, json_errors
from heed.runtime.ports import Clock
from heed_crm_sync.adapters.customer_book import PostgresCustomerBook
from heed_crm_sync.domain.merging import MergeRefused
from heed_crm_sync.domain.record import CustomerProfile, ErasureReceipt, RecordChange, TimelineEntry


class Scope(StrEnum):
    READ = "read"
    CONTACT = "contact"
    WRITE = "write"
    MERGE = "merge"
    EXPORT = "export"
    ERASE = "erase"


def _scopes(text: str) -> frozenset[Scope]:
    scopes = set()
    for part in text.split("+"):
        if part not in Scope.__members__.values():
            # not quoted: a token written in the scopes' place would be printed
            raise ValueError(f"an unknown scope; scopes are {', '.join(s.value for s in Scope)}, joined by +")
        scopes.add(Scope(part))
    return frozenset(scopes)


def parse_tokens(value: str | None) -> BearerTokens[frozenset[Scope]]:
    return BearerTokens.parse(value, env="HEED_CRM_API_TOKENS", grant=_scopes, grant_name="scope+scope")


class Caller(BaseModel):
    name: str
    scopes: frozenset[Scope]

    @property
    def actor(self) -> str:
        return f"api:{self.name}"


class Problem(BaseModel):
    error: str


class ContactPointBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["email", "phone"]
    value: str = Field(min_length=3, max_length=320)


class MergeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    other: uuid.UUID = Field(description="The customer an agent confirmed is the same person")


class MergeResult(BaseModel):
    survivor: uuid.UUID
    merged: list[uuid.UUID]
    rule: str | None = None


class Found(BaseModel):
    customers: list[uuid.UUID]


class TimelineView(BaseModel):
    customer_id: uuid.UUID
    entries: list[TimelineEntry]
    cursor: str | None = Field(description="Pass as `cursor` for the next (older) page; null: no more")


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No token, or one this API does not know"},
    403: {"model": Problem, "description": "The token lacks the scope"},
    404: {"model": Problem, "description": "No such customer (or erased)"},
    409: {"model": Problem, "description": "The merge or unmerge cannot be made"},
    503: {"model": Problem, "description": "The API or contact points are off (a setting is missing)"},
}


def _cursor(value: tuple[datetime, str] | None) -> str | None:
    if value is None:
        return None
    return base64.urlsafe_b64encode(json.dumps([value[0].isoformat(), value[1]]).encode()).decode()


def _uncursor(text: str | None) -> tuple[datetime, str] | None:
    if not text:
        return None
    try:
        at, key = json.loads(base64.urlsafe_b64decode(text.encode()))
        return datetime.fromisoformat(at), str(key)
    except (ValueError, TypeError) as error:
        raise HTTPException(422, "cursor: not one this API gave") from error


def customers_api(book: Callable[[], PostgresCustomerBook],
                  tokens: Callable[[], BearerTokens[frozenset[Scope]]], clock: Clock) -> FastAPI:
    app = FastAPI(title="Heed customers API", version="1",
                  description="The customer 360 shared by marketing, sales and service. Bearer tokens from "
                              "HEED_CRM_API_TOKENS with scopes read, contact, write, merge, export, erase.",
                  openapi_url="/openapi.json", docs_url=None, redoc_url=None)
    json_errors(app)
    found = bearer_caller(tokens, "the customers API is off: set HEED_CRM_API_TOKENS")

    async def caller(entry: Annotated[tuple[str, frozenset[Scope]], Depends(found)]) -> Caller:
        return Caller(name=entry[0], scopes=entry[1])

    def scoped(*needed: Scope) -> Callable[..., Awaitable[Caller]]:
        async def check(who: Annotated[Caller, Depends(caller)]) -> Caller:
            missing = [s.value for s in needed if s not in who.scopes]
            if missing:
                raise HTTPException(403, f"this token lacks the scope {', '.join(missing)}")
            return who
        return check

    CustomerId = Annotated[uuid.UUID, Path(description="A customer id (an alias answers with its survivor)")]

    async def profile_or_404(customer_id: uuid.UUID, who: Caller) -> CustomerProfile:
        profile = await book().profile(customer_id, with_contacts=Scope.CONTACT in who.scopes)
        if profile is None:
            raise HTTPException(404, "no such customer")
        return profile

    @app.get("/customers", response_model=Found, responses=ERRORS,
             summary="Find customers by channel handle or id, email or phone")
    async def find(who: Annotated[Caller, Depends(scoped(Scope.READ))], channel: str | None = None,
                   handle: str | None = None, platform_id: str | None = None, email: str | None = None,
                   phone: str | None = None) -> Found:
        if (email or phone) and Scope.CONTACT not in who.scopes:
            raise HTTPException(403, "finding by email or phone needs the contact scope")
        if not any((handle, platform_id, email, phone)):
            raise HTTPException(422, "give handle, platform_id, email or phone")
        try:
            return Found(customers=await book().find(channel=channel, handle=handle, platform_id=platform_id,
                                                     email=email, phone=phone))
        except LookupError as error:
            raise HTTPException(503, str(error)) from None

    @app.get("/customers/{customer_id}", response_model=CustomerProfile, responses=ERRORS,
             summary="A customer's 360: identities, tier, owner, tags, preferences, consent, CRM links")
    async def get_customer(customer_id: CustomerId,
                           who: Annotated[Caller, Depends(scoped(Scope.READ))]) -> CustomerProfile:
        return await profile_or_404(customer_id, who)

    @app.get("/customers/{customer_id}/timeline", response_model=TimelineView, responses=ERRORS,
             summary="Mentions, replies and case transitions, newest first")
    async def timeline(customer_id: CustomerId, who: Annotated[Caller, Depends(scoped(Scope.READ))],
                       limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: str | None = None) -> TimelineView:
        page = await book().timeline(customer_id, before=_uncursor(cursor), limit=limit)
        if page is None:
            raise HTTPException(404, "no such customer")
        return TimelineView(customer_id=page.customer_id, entries=page.entries, cursor=_cursor(page.next))

    @app.patch("/customers/{customer_id}", response_model=CustomerProfile, responses=ERRORS,
               summary="Set tier, owner, name, language, tags, consent; confirm or reject preferences")
    async def change(customer_id: CustomerId, body: RecordChange,
                     who: Annotated[Caller, Depends(scoped(Scope.WRITE))]) -> CustomerProfile:
        changed = await book().change(customer_id, body, actor=who.actor, source="agent", now=clock.now())
        if changed is None:
            raise HTTPException(404, "no such customer")
        return await profile_or_404(customer_id, who)

    @app.post("/customers/{customer_id}/contact-points", response_model=MergeResult, responses=ERRORS,
              summary="Add an email or phone an agent confirmed; records holding it merge")
    async def add_contact(customer_id: CustomerId, body: ContactPointBody,
                          who: Annotated[Caller, Depends(scoped(Scope.WRITE, Scope.CONTACT))]) -> MergeResult:
        try:
            plans = await book().add_contact_point(customer_id, body.kind, body.value, source="agent",
                                                   actor=who.actor, now=clock.now())
        except KeyError:
            raise HTTPException(404, "no such customer") from None
        except LookupError as error:
            raise HTTPException(503, str(error)) from None
        except ValueError as error:
            raise HTTPException(422, str(error)) from None
        survivor = await book().root(customer_id) or customer_id
        return MergeResult(survivor=survivor, merged=[p.merged for p in plans],
                           rule=plans[0].rule.value if plans else None)

    @app.post("/customers/{customer_id}/merge", response_model=MergeResult, responses=ERRORS,
              summary="Merge another customer an agent confirmed is the same person")
    async def merge(customer_id: CustomerId, body: MergeBody,
                    who: Annotated[Caller, Depends(scoped(Scope.MERGE))]) -> MergeResult:
        try:
            plan = await book().merge(customer_id, body.other, actor=who.actor, now=clock.now())
        except MergeRefused as error:
            raise HTTPException(409, str(error)) from None
        if plan is None:
            raise HTTPException(409, "these are already one customer")
        return MergeResult(survivor=plan.survivor, merged=[plan.merged], rule=plan.rule.value)

    @app.post("/customers/{customer_id}/unmerge", response_model=MergeResult, responses=ERRORS,
              summary="Split a merged customer from its survivor again")
    async def unmerge(customer_id: CustomerId, who: Annotated[Caller, Depends(scoped(Scope.MERGE))]) -> MergeResult:
        try:
            survivor = await book().unmerge(customer_id, actor=who.actor, now=clock.now())
        except MergeRefused as error:
            raise HTTPException(409, str(error)) from None
        return MergeResult(survivor=survivor, merged=[])

    @app.get("/customers/{customer_id}/export", responses=ERRORS,
             summary="Everything held about the customer, as one JSON document")
    async def export(customer_id: CustomerId,
                     who: Annotated[Caller, Depends(scoped(Scope.EXPORT))]) -> dict[str, Any]:
        data = await book().export(customer_id)
        if data is None:
            raise HTTPException(404, "no such customer")
        return data

    @app.post("/customers/{customer_id}/erase", response_model=ErasureReceipt, responses=ERRORS,
              summary="Erase the customer on request (right to be forgotten), in every Heed service")
    async def erase(customer_id: CustomerId,
                    who: Annotated[Caller, Depends(scoped(Scope.ERASE))]) -> ErasureReceipt:
        receipt = await book().erase(customer_id, actor=who.actor, now=clock.now())
        if receipt is None:
            raise HTTPException(404, "no such customer")
        return receipt

    return app
