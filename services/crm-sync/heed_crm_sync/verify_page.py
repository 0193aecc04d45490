"""The secure verification page crm-sync serves at /verify/{token}: a server-rendered form where a
customer, sent here by a private message, confirms who they are and types what should not be posted
in public.

Translation only: the link is checked by `heed.secure_link`, the form read by
`verification.parse_submission`, and the decision made by `handlers.submit_verification`. The page
runs no script, loads nothing from elsewhere, and is never cached, framed or referred from.

Production serves it behind TLS (a proxy or ingress that ends TLS and sets X-Forwarded-Proto):
Strict-Transport-Security goes out when the request came over HTTPS or HEED_VERIFY_HSTS says so.
Tests serve it over plain HTTP on loopback.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from jinja2 import Environment, PackageLoader
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from heed import secure_link
from heed.runtime.ports import Clock, EventPublisher
from heed.secure_link import LinkClaims, LinkError, LinkExpired
from heed_crm_sync.handlers import VerificationPolicy, submit_verification
from heed_crm_sync.page_texts import TEXTS
from heed_crm_sync.ports import Verifications
from heed_crm_sync.verification import (
    MAX_FORM_BYTES,
    LinkUse,
    Outcome,
    SubmissionInvalid,
    choose_language,
    form_token,
    parse_submission,
)

log = logging.getLogger(__name__)

_templates = Environment(loader=PackageLoader("heed_crm_sync", "templates"), autoescape=True)
_FORM_TYPE = "application/x-www-form-urlencoded"
HSTS = "max-age=63072000; includeSubDomains"


def security_headers(nonce: str, *, hsts: bool) -> dict[str, str]:
    """Headers every verification page carries; `nonce` lets its own inline style, and nothing else, apply."""
    headers = {
        "Content-Security-Policy": f"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'self'; "
                                   "base-uri 'none'; frame-ancestors 'none'",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "X-Robots-Tag": "noindex, nofollow",
        "Vary": "Accept-Language",
    }
    if hsts:
        headers["Strict-Transport-Security"] = HSTS
    return headers


@dataclass(frozen=True)
class VerifyPage:
    """What the page needs; `policy` is None when the keys are not configured (the page answers 503)."""

    verifications: Callable[[], Verifications]  # built on first use: the pool exists once the service started
    publisher: EventPublisher
    clock: Clock
    policy: VerificationPolicy | None
    hsts: bool = False

    def render(self, request: Request, lang: str, page: str, status: int, *, form_token: str | None = None,
               problem: str | None = None) -> Response:
        texts = TEXTS[lang]
        nonce = secrets.token_urlsafe(16)
        heading = texts["title"] if page == "form" else texts[f"{page}_title"]
        html = _templates.get_template("verify.html").render(
            lang=lang, page=page, t=texts, heading=heading, body=texts.get(f"{page}_body", ""),
            problem=problem, form_token=form_token, nonce=nonce)
        headers = security_headers(nonce, hsts=self.hsts or request.url.scheme == "https")
        headers["Content-Language"] = lang
        return HTMLResponse(html, status_code=status, headers=headers)

    def form(self, request: Request, claims: LinkClaims, lang: str, status: int = 200,
             problem: str | None = None) -> Response:
        assert self.policy is not None
        token = form_token(self.policy.link_keys, claims.link_id, self.clock.now())
        return self.render(request, lang, "form", status, form_token=token, problem=problem)

    async def claims(self, request: Request) -> LinkClaims | Response:
        """The link's claims, or the page saying why it cannot be used."""
        accept = request.headers.get("accept-language")
        if self.policy is None:
            return self.render(request, choose_language(None, accept), "unavailable", 503)
        try:
            claims = secure_link.verify(self.policy.link_keys, request.path_params["token"], now=self.clock.now())
        except LinkExpired as expired:
            return self.render(request, choose_language(expired.claims.language, accept), "expired", 410)
        except LinkError:
            return self.render(request, choose_language(None, accept), "invalid", 404)
        spent = await self.verifications().spent(claims.link_id)
        if spent is not None:
            page = "used" if spent is LinkUse.VERIFIED else "locked"
            return self.render(request, choose_language(claims.language, accept), page, 410)
        return claims

    async def show(self, request: Request) -> Response:
        claims = await self.claims(request)
        if isinstance(claims, Response):
            return claims
        return self.form(request, claims, choose_language(claims.language, request.headers.get("accept-language")))

    async def submit(self, request: Request) -> Response:
        claims = await self.claims(request)
        if isinstance(claims, Response):
            return claims
        assert self.policy is not None
        lang = choose_language(claims.language, request.headers.get("accept-language"))
        texts = TEXTS[lang]
        # a browser says where a form came from; one posted from another site is refused before it is read
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return self.form(request, claims, lang, 403, texts["stale_form"])
        body = await _limited_body(request)
        if request.headers.get("content-type", "").split(";")[0].strip() != _FORM_TYPE or body is None:
            return self.form(request, claims, lang, 400, texts["bad_form"])
        try:
            submission = parse_submission(body)
        except SubmissionInvalid:
            return self.form(request, claims, lang, 400, texts["bad_form"])
        decision = await submit_verification(claims, submission, verifications=self.verifications(),
                                             publisher=self.publisher, clock=self.clock, policy=self.policy)
        log.info("verification submitted",
                 extra={"fields": {"case_id": str(claims.case_id), "outcome": decision.outcome.value}})
        match decision.outcome:
            case Outcome.VERIFIED:
                return self.render(request, lang, "verified", 200)
            case Outcome.WRONG_IDENTITY:
                return self.form(request, claims, lang, 422,
                                 texts["wrong"].format(attempts_left=decision.attempts_left))
            case Outcome.STALE_FORM:
                return self.form(request, claims, lang, 403, texts["stale_form"])
            case Outcome.ALREADY_USED:
                return self.render(request, lang, "used", 410)
            case Outcome.LOCKED:
                return self.render(request, lang, "locked", 410)

    def app(self) -> Starlette:
        """The page's routes, to mount at /verify; its OpenAPI document at /verify/openapi.json."""
        return Starlette(routes=[Route("/openapi.json", _openapi, methods=["GET"]),
                                 Route("/{token}", self.show, methods=["GET"]),
                                 Route("/{token}", self.submit, methods=["POST"])])


_HTML = {"text/html": {"schema": {"type": "string"}}}
_TOKEN = {"name": "token", "in": "path", "required": True, "schema": {"type": "string"},
          "description": "The signed link's token (HMAC-SHA256, expiring, bound to one case and customer): "
                         "the page's only credential"}
OPENAPI: dict[str, object] = {
    "openapi": "3.1.0",
    "info": {"title": "Heed secure verification page", "version": "1",
             "description": "Served by crm-sync behind TLS. A customer opens the link sent in a private message, "
                            "confirms an order number and the last 4 digits of the phone on record, and may "
                            "leave details for the team (stored encrypted). HTML, no script; each link works once."},
    "paths": {"/verify/{token}": {
        "get": {"summary": "The form, in the link's language (else Accept-Language)", "parameters": [_TOKEN],
                "responses": {"200": {"description": "the form", "content": _HTML},
                              "404": {"description": "not a link Heed issued", "content": _HTML},
                              "410": {"description": "expired, already used or locked", "content": _HTML},
                              "503": {"description": "verification is not configured here", "content": _HTML}}},
        "post": {"summary": "Confirm identity and leave details", "parameters": [_TOKEN],
                 "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
                     "type": "object", "required": ["form_token", "order_number", "last4"],
                     "properties": {
                         "form_token": {"type": "string", "description": "from the form: binds it to the link"},
                         "order_number": {"type": "string", "maxLength": 64},
                         "last4": {"type": "string", "pattern": "^[0-9]{4}$"},
                         "details": {"type": "string", "maxLength": 4000}}}}}},
                 "responses": {"200": {"description": "verified", "content": _HTML},
                               "400": {"description": "a malformed form", "content": _HTML},
                               "403": {"description": "a stale or forged form", "content": _HTML},
                               "410": {"description": "expired, already used or locked", "content": _HTML},
                               "422": {"description": "the identity check failed; attempts left shown",
                                       "content": _HTML}}}}},
}


async def _openapi(request: Request) -> Response:
    return JSONResponse(OPENAPI)


async def _limited_body(request: Request) -> bytes | None:
    """The request body, or None when it is longer than any verification form."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    return bytes(body)
