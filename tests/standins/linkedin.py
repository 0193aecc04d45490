"""LinkedIn stand-in: the versioned REST socialActions comments (create and list)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standins.base import StandIn, Stored


def linkedin_error(status: int, code: str, message: str, service_code: int = 100,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"status": status, "serviceErrorCode": service_code, "code": code, "message": message},
                        status_code=status, headers=headers)


class LinkedInStandIn(StandIn):
    def routes(self) -> list[Route]:
        return [Route("/rest/socialActions/{urn}/comments", self.create, methods=["POST"]),
                Route("/rest/socialActions/{urn}/comments", self.listing, methods=["GET"])]

    def _gate(self, request: Request, endpoint: str) -> tuple[str | None, JSONResponse | None]:
        self.requests[endpoint] += 1
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ")
        if token in self.expired:
            return None, linkedin_error(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired",
                                        65601)
        if not auth.startswith("Bearer ") or token not in self.tokens:
            return None, linkedin_error(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
        if not request.headers.get("linkedin-version", "").isdigit() or \
                request.headers.get("x-restli-protocol-version") != "2.0.0":
            return None, linkedin_error(426, "NONEXISTENT_VERSION", "Requested version is not active")
        reset_in = self.take_rate_limit()
        if reset_in is not None:
            return None, linkedin_error(429, "TOO_MANY_REQUESTS", "Resource level throttle limit reached",
                                        headers={"Retry-After": str(int(reset_in))})
        status = self.take_failure()
        if status is not None:
            return None, linkedin_error(status, "SERVICE_UNAVAILABLE", "Service unavailable")
        return self.tokens[token], None

    async def create(self, request: Request) -> JSONResponse:
        account, refused = self._gate(request, "POST /rest/socialActions/{urn}/comments")
        if refused:
            return refused
        try:
            body = await request.json()
        except ValueError:
            body = None
        urn = request.path_params["urn"]
        if not isinstance(body, dict) or not str(body.get("actor", "")).startswith("urn:li:") \
                or not body.get("object") or not isinstance((body.get("message") or {}).get("text"), str):
            return linkedin_error(400, "INVALID_REQUEST", "actor, object and message.text are required")
        if body["actor"] != account:
            return linkedin_error(403, "ACCESS_DENIED", "Not enough permissions to comment as this actor")
        if urn.startswith("urn:li:comment:") and body.get("parentComment") != urn:
            return linkedin_error(400, "INVALID_REQUEST", "parentComment must be the comment commented on")
        if urn in self.blocked:
            return linkedin_error(403, "ACCESS_DENIED", "Comments are disabled on this post")
        comment_id = self.next_id()
        urn_id = f"urn:li:comment:({body['object']},{comment_id})"
        stored = self.store(Stored("linkedin", urn, body["message"]["text"], urn_id, str(account), False, body))
        await self.maybe_hang()
        return JSONResponse(self._json(stored, comment_id), status_code=201, headers={"x-restli-id": urn_id})

    def _json(self, stored: Stored, comment_id: str) -> dict[str, Any]:
        return {"id": comment_id, "commentUrn": stored.id, "actor": stored.author, "object": stored.body["object"],
                "message": {"text": stored.text}, "created": {"actor": stored.author, "time": 1700000000000}}

    async def listing(self, request: Request) -> JSONResponse:
        _, refused = self._gate(request, "GET /rest/socialActions/{urn}/comments")
        if refused:
            return refused
        urn = request.path_params["urn"]
        elements = [self._json(m, m.id.rsplit(",", 1)[-1].rstrip(")")) for m in self.messages if m.target == urn]
        return JSONResponse({"elements": elements, "paging": {"start": 0, "count": 10, "total": len(elements)}})
