"""Weibo stand-in: comment reply and create, the account's own comments, fans-service messages."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standins.base import StandIn, Stored


def weibo_error(request: Request, code: int, message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message, "error_code": code, "request": request.url.path.split("/weibo", 1)[-1]
                         .removeprefix("-fans")}, status_code=status)


async def form_fields(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (parsed here: Starlette's parser needs python-multipart)."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    return dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))


class WeiboStandIn(StandIn):
    def routes(self) -> list[Route]:
        return [Route("/2/comments/reply.json", self.comment, methods=["POST"]),
                Route("/2/comments/create.json", self.comment, methods=["POST"]),
                Route("/2/comments/by_me.json", self.by_me, methods=["GET"])]

    def fans_routes(self) -> list[Route]:
        return [Route("/2/messages/reply.json", self.message, methods=["POST"])]

    def _gate(self, request: Request, endpoint: str, token: str) -> JSONResponse | None:
        self.requests[endpoint] += 1
        if token in self.expired:
            return weibo_error(request, 21327, "expired_token", status=401)
        if token not in self.tokens:
            return weibo_error(request, 21332, "invalid_access_token", status=401)
        if self.take_rate_limit() is not None:
            return weibo_error(request, 10023, "User requests out of rate limit!", status=403)
        status = self.take_failure()
        if status is not None:
            return JSONResponse({"error": "service unavailable"}, status_code=status)
        return None

    async def comment(self, request: Request) -> JSONResponse:
        replying = request.url.path.endswith("reply.json")
        endpoint = "POST /2/comments/reply.json" if replying else "POST /2/comments/create.json"
        form = await form_fields(request)
        refused = self._gate(request, endpoint, str(form.get("access_token", "")))
        if refused:
            return refused
        needed = ("cid", "id", "comment") if replying else ("id", "comment")
        if any(not form.get(name) for name in needed):
            return weibo_error(request, 10016, "miss required parameter (cid, id, comment), see doc for more info.")
        text, target = str(form["comment"]), str(form["cid"] if replying else form["id"])
        if len(text) > 140:
            return weibo_error(request, 20012, "Text too long, please input text less than 140 characters!")
        if target in self.blocked:
            return weibo_error(request, 20206, "作者只允许关注用户评论", status=403)
        account = self.tokens[str(form["access_token"])]
        stored = self.store(Stored("weibo", target, text, self.next_id(), account, False,
                                   dict(form)))
        await self.maybe_hang()
        return JSONResponse(self._comment_json(stored))

    def _comment_json(self, stored: Stored) -> dict[str, Any]:
        replying = "cid" in stored.body
        shown = f"回复@customer:{stored.text}" if replying else stored.text
        return {"created_at": "Wed Jun 01 00:50:25 +0800 2011", "id": int(stored.id), "idstr": stored.id,
                "text": shown, "user": {"idstr": stored.author},
                "status": {"idstr": stored.body["id"]},
                **({"reply_comment": {"idstr": stored.body["cid"]}} if replying else {})}

    async def by_me(self, request: Request) -> JSONResponse:
        token = request.query_params.get("access_token", "")
        refused = self._gate(request, "GET /2/comments/by_me.json", token)
        if refused:
            return refused
        mine = [self._comment_json(m) for m in reversed(self.messages)
                if not m.private and m.author == self.tokens[token]]
        return JSONResponse({"comments": mine, "total_number": len(mine), "previous_cursor": 0, "next_cursor": 0})

    async def message(self, request: Request) -> JSONResponse:
        form = await form_fields(request)
        refused = self._gate(request, "POST /2/messages/reply.json", str(form.get("access_token", "")))
        if refused:
            return refused
        if form.get("type") != "text" or not form.get("receiver_id") or not form.get("data"):
            return weibo_error(request, 10016, "miss required parameter (type, data, receiver_id)")
        try:
            data = json.loads(str(form["data"]))
        except ValueError:
            return weibo_error(request, 10008, "param data invalid")
        receiver = str(form["receiver_id"])
        if receiver in self.closed_windows or receiver in self.blocked:
            return weibo_error(request, 20110, "no quota to send messages to this user", status=403)
        account = self.tokens[str(form["access_token"])]
        stored = self.store(Stored("weibo", receiver, str(data.get("text")), self.next_id(), account, True,
                                   dict(form)))
        await self.maybe_hang()
        return JSONResponse({"result": True, "sender_id": account, "receiver_id": receiver, "type": "text",
                             "id": stored.id})
