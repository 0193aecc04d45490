"""X API v2 stand-in: create post, send DM, list a user's posts and a DM conversation's events."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standins.base import StandIn, Stored

LIMIT = 300


class XStandIn(StandIn):
    def routes(self) -> list[Route]:
        return [
            Route("/2/tweets", self.create_post, methods=["POST"]),
            Route("/2/dm_conversations/with/{participant_id}/messages", self.send_dm, methods=["POST"]),
            Route("/2/users/{user_id}/tweets", self.user_posts, methods=["GET"]),
            Route("/2/dm_conversations/with/{participant_id}/dm_events", self.dm_events, methods=["GET"]),
        ]

    def _headers(self, remaining: int, reset_in: float = 900) -> dict[str, str]:
        return {"x-rate-limit-limit": str(LIMIT), "x-rate-limit-remaining": str(remaining),
                "x-rate-limit-reset": str(int(time.time() + reset_in))}

    def _problem(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse({"title": title, "detail": detail, "type": "about:blank", "status": status},
                            status_code=status, headers=headers or self._headers(LIMIT - 1))

    def _gate(self, request: Request, endpoint: str) -> tuple[str | None, JSONResponse | None]:
        """Count, authenticate and apply the script; the account on success, or the answer to give."""
        self.requests[endpoint] += 1
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
        if token not in self.tokens or token in self.expired:
            return None, self._problem(401, "Unauthorized", "Unauthorized")
        reset_in = self.take_rate_limit()
        if reset_in is not None:
            return None, self._problem(429, "Too Many Requests", "Too Many Requests",
                                       headers=self._headers(0, reset_in))
        status = self.take_failure()
        if status is not None:
            return None, self._problem(status, "Service Unavailable", "Service Unavailable")
        return self.tokens[token], None

    async def _text(self, request: Request) -> tuple[dict[str, Any], JSONResponse | None]:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"]:
            return {}, JSONResponse({"errors": [{"message": "text is required"}], "title": "Invalid Request",
                                     "detail": "One or more parameters to your request was invalid.",
                                     "type": "https://api.x.com/2/problems/invalid-request"}, status_code=400)
        return body, None

    async def create_post(self, request: Request) -> JSONResponse:
        account, refused = self._gate(request, "POST /2/tweets")
        if refused:
            return refused
        body, invalid = await self._text(request)
        if invalid:
            return invalid
        replying = body.get("reply")
        target = replying.get("in_reply_to_tweet_id") if isinstance(replying, dict) else None
        if replying is not None and not isinstance(target, str):
            return self._problem(400, "Invalid Request", "reply.in_reply_to_tweet_id must be a string")
        if target in self.blocked:
            return self._problem(403, "Forbidden", "You are not allowed to reply to this post.")
        stored = self.store(Stored("x", target or "", body["text"], self.next_id(), str(account), False, body))
        await self.maybe_hang()
        return JSONResponse({"data": {"id": stored.id, "text": stored.text}}, status_code=201,
                            headers=self._headers(LIMIT - 1))

    async def send_dm(self, request: Request) -> JSONResponse:
        account, refused = self._gate(request, "POST /2/dm_conversations/with/:participant_id/messages")
        if refused:
            return refused
        body, invalid = await self._text(request)
        if invalid:
            return invalid
        participant = request.path_params["participant_id"]
        if participant in self.blocked:
            return self._problem(403, "Forbidden", "You cannot send messages to this user.")
        stored = self.store(Stored("x", participant, body["text"], self.next_id(), str(account), True, body))
        await self.maybe_hang()
        return JSONResponse({"data": {"dm_conversation_id": f"{account}-{participant}", "dm_event_id": stored.id}},
                            status_code=201, headers=self._headers(LIMIT - 1))

    async def user_posts(self, request: Request) -> JSONResponse:
        _, refused = self._gate(request, "GET /2/users/:id/tweets")
        if refused:
            return refused
        user = request.path_params["user_id"]
        limit = int(request.query_params.get("max_results", "10"))
        posts = [m for m in reversed(self.messages) if m.author == user and not m.private][:limit]
        data = [{"id": m.id, "text": m.text,
                 **({"referenced_tweets": [{"type": "replied_to", "id": m.target}]} if m.target else {})}
                for m in posts]
        return JSONResponse({"data": data, "meta": {"result_count": len(data)}} if data else
                            {"meta": {"result_count": 0}}, headers=self._headers(LIMIT - 1))

    async def dm_events(self, request: Request) -> JSONResponse:
        account, refused = self._gate(request, "GET /2/dm_conversations/with/:participant_id/dm_events")
        if refused:
            return refused
        participant = request.path_params["participant_id"]
        events = [{"id": m.id, "text": m.text, "event_type": "MessageCreate", "sender_id": m.author}
                  for m in reversed(self.messages) if m.private and m.target == participant and m.author == account]
        return JSONResponse({"data": events, "meta": {"result_count": len(events)}}, headers=self._headers(LIMIT - 1))
