"""The responder's answering API (at /v1), for the agent console: the brand's templates and
knowledge-base answers to insert, a preview of an agent's answer exactly as the customer will see
it (script, regional standard, the platform's length, the reply guard's verdict), and a secure
verification link to send.

The logic is the responder's own (`domain/planning.py`: the same functions `plan_answer` sends
with), so the console never re-implements it nor reads the responder's tables. Bearer tokens from
HEED_RESPONDER_API_TOKENS, `name:console:token`.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations at runtime.
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from heed.contracts.events import Channel, Visibility, customer_id_for
from heed.runtime.bearer import BearerTokens
from heed.runtime.http_api import bearer_caller, json_errors
from heed.secure_link import issue
from heed_responder.domain.catalog import KNOWN, LANGUAGES, TemplateEntry
from heed_responder.domain.customers import NO_PROFILE, CustomerProfile
from heed_responder.domain.planning import ReplyContext, answer_script, preview_answer
from heed_responder.domain.regional import region_of

GRANT = "console"


def _grant(text: str) -> str:
    if text != GRANT:
        raise ValueError(f"unknown grant {text!r}; the only one is {GRANT}")
    return text


def parse_tokens(value: str | None) -> BearerTokens[str]:
    return BearerTokens.parse(value, env="HEED_RESPONDER_API_TOKENS", grant=_grant)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


Language = Annotated[str, Field(min_length=2, max_length=12, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$")]
Script = Literal["Hans", "Hant"] | None
Identity = Annotated[str, Field(min_length=3, max_length=300, description="The customer, channel:platform_id")]


class PreviewBody(_Body):
    text: str = Field(max_length=10_000)
    channel: Channel
    visibility: Visibility
    language: Language
    script: Script = None
    account: str | None = Field(default=None, max_length=200)
    customer: Identity | None = None


class Preview(BaseModel):
    text: str = Field(description="What the customer will read")
    language: str
    script: Script
    length: int = Field(description="As the platform counts it")
    limit: int
    ok: bool = Field(description="The reply guard lets it go")
    reasons: list[str] = Field(description="Every reason the guard would hold it")


class Snippet(BaseModel):
    id: str
    kind: Literal["template", "knowledge"]
    text: str


class Snippets(BaseModel):
    language: str
    script: Script
    items: list[Snippet]


class LinkBody(_Body):
    case_id: uuid.UUID
    customer: Identity
    department: str = Field(default="", max_length=100)
    language: Language
    script: Script = None
    account: str | None = Field(default=None, max_length=200)


class SecureLink(BaseModel):
    text: str = Field(description="The private message carrying the link, in the customer's language and script")
    expires_at: datetime


def responder_api(context: Callable[[], ReplyContext], tokens: Callable[[], BearerTokens[str]],
                  profiles: Callable[[str], Awaitable[CustomerProfile]], now: Callable[[], datetime]) -> FastAPI:
    """The answering API over the replies file and knowledge base `context()` gives; `profiles(identity)`
    is what crm-sync announced of the customer (the language on record, the name)."""
    app = FastAPI(title="Heed responder API", version="1", openapi_url="/openapi.json", docs_url=None,
                  redoc_url=None, description="Templates, knowledge answers, previews and secure links for the "
                                              "agent console. Bearer tokens from HEED_RESPONDER_API_TOKENS.")
    json_errors(app)
    caller = bearer_caller(tokens, "the responder API is off: set HEED_RESPONDER_API_TOKENS")
    Caller = Annotated[tuple[str, str], Depends(caller)]

    async def profile_of(customer: str | None) -> CustomerProfile:
        return NO_PROFILE if customer is None else await profiles(customer)

    @app.post("/preview", response_model=Preview, summary="An agent's answer as the customer will see it")
    async def preview(body: PreviewBody, who: Caller) -> Preview:
        shown = preview_answer(body.text, channel=body.channel.value, private=body.visibility is Visibility.PRIVATE,
                               language=body.language, script=body.script, account=body.account,
                               context=context(), profile=await profile_of(body.customer))
        return Preview(text=shown.text, language=shown.language,
                       script="Hant" if shown.script == "Hant" else "Hans" if shown.script == "Hans" else None,
                       length=shown.length, limit=shown.limit, ok=shown.verdict.ok, reasons=list(shown.verdict.reasons))

    @app.get("/snippets", response_model=Snippets,
             summary="The brand's answer templates and knowledge-base answers, in the customer's language and script")
    async def snippets(who: Caller, language: Language, script: Script = None, account: str | None = None,
                       department: str = "", customer: str | None = None) -> Snippets:
        ctx = context()
        catalog = ctx.catalog
        brand = catalog.brand_for(account)
        lang = language if language in LANGUAGES else brand.default_language
        chosen = answer_script(lang, script, await profile_of(customer)) if lang == "zh" else None
        region = region_of("", market=brand.market) if chosen == "Hant" else None
        values = {**dict.fromkeys(KNOWN, ""), "brand": brand.name, "hotline": brand.hotline,
                  "department": brand.department(department, lang)}
        items = []
        for entry in catalog.file.templates:
            if entry.mode not in ("answer", "holding"):
                continue
            [first] = catalog.render(entry, lang, script=chosen, region=region, values=values)[:1]
            items.append(Snippet(id=entry.id, kind="template", text=first.text))
        for known in ctx.knowledge().file.entries:
            [first] = catalog.render(_as_template(known.id, known.answer), lang, script=chosen, region=region,
                                     values=values)[:1]
            items.append(Snippet(id=known.id, kind="knowledge", text=first.text))
        return Snippets(language=lang, script=chosen, items=items)  # type: ignore[arg-type]

    @app.post("/secure-link", response_model=SecureLink,
              summary="A signed, expiring verification link for the case's customer, in a private message")
    async def secure_link(body: LinkBody, who: Caller) -> SecureLink:
        ctx = context()
        if not ctx.link_keys or not ctx.verify_url:
            raise HTTPException(409, "secure links are off: set HEED_SECURE_LINK_KEY and HEED_RESPONDER_VERIFY_URL")
        channel, _, platform_id = body.customer.partition(":")
        if channel not in Channel.__members__.values() or not platform_id:
            raise HTTPException(422, "customer: expected channel:platform_id")
        brand = ctx.catalog.brand_for(body.account)
        lang = body.language if body.language in LANGUAGES else brand.default_language
        chosen = answer_script(lang, body.script, await profile_of(body.customer)) if lang == "zh" else None
        expires = now() + ctx.link_ttl
        page_language = f"zh-{chosen or 'Hans'}" if lang == "zh" else lang
        link = issue(ctx.link_keys, case_id=body.case_id, customer_id=customer_id_for(channel, platform_id),
                     link_id=uuid.uuid4(), expires_at=expires, base_url=ctx.verify_url, language=page_language)
        values = {**dict.fromkeys(KNOWN, ""), "brand": brand.name, "hotline": brand.hotline, "link": link,
                  "department": brand.department(body.department, lang), "case": str(body.case_id)[:8].upper()}
        region = region_of("", market=brand.market) if chosen == "Hant" else None
        [first] = ctx.catalog.render(ctx.catalog.pick("handoff"), lang, script=chosen, region=region, values=values,
                                     keep=[link])[:1]
        return SecureLink(text=first.text, expires_at=expires)

    return app


def _as_template(entry_id: str, answer: dict[str, str]) -> TemplateEntry:
    """A knowledge answer rendered as a template is (its placeholders filled, its script converted)."""
    return TemplateEntry(id=entry_id, mode="answer", text=dict(answer))
