"""Graph API stand-in: Facebook Page comments, the Send API (Messenger, Instagram, private replies),
Instagram comment replies, WhatsApp Cloud API messages, and the read-back listings."""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standins.base import StandIn, Stored


def graph_error(message: str, code: int, status: int = 400, subcode: int | None = None,
                headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                             "fbtrace_id": "AbCdEfGhIjK", **extra}
    if subcode is not None:
        error["error_subcode"] = subcode
    return JSONResponse({"error": error}, status_code=status, headers=headers)


class GraphStandIn(StandIn):
    def reset(self) -> None:
        super().reset()
        self.kinds: dict[str, str] = {}  # account id → page, instagram or whatsapp

    def grant_page(self, token: str, page_id: str) -> None:
        self.grant(token, page_id)
        self.kinds[page_id] = "page"

    def grant_instagram(self, token: str, ig_user_id: str) -> None:
        self.grant(token, ig_user_id)
        self.kinds[ig_user_id] = "instagram"

    def grant_whatsapp(self, token: str, phone_number_id: str) -> None:
        self.grant(token, phone_number_id)
        self.kinds[phone_number_id] = "whatsapp"

    def routes(self) -> list[Route]:
        return [
            Route("/{sender_id}/messages", self.messages_edge, methods=["POST"]),
            Route("/{sender_id}/conversations", self.conversations, methods=["GET"]),
            Route("/{object_id}/comments", self.comment, methods=["POST"]),
            Route("/{object_id}/replies", self.comment, methods=["POST"]),
            Route("/{object_id}/comments", self.comment_list, methods=["GET"]),
            Route("/{object_id}/replies", self.comment_list, methods=["GET"]),
        ]

    def _gate(self, request: Request, endpoint: str) -> tuple[str | None, JSONResponse | None]:
        self.requests[endpoint] += 1
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else request.query_params.get(
            "access_token", "")
        if token in self.expired:
            return None, graph_error("Error validating access token: Session has expired.", 190, subcode=463)
        if token not in self.tokens:
            return None, graph_error("Invalid OAuth access token - Cannot parse access token", 190)
        reset_in = self.take_rate_limit()
        if reset_in is not None:
            usage = {"business-1": [{"type": "pages", "call_count": 100, "total_cputime": 40, "total_time": 60,
                                     "estimated_time_to_regain_access": math.ceil(reset_in / 60)}]}
            return None, graph_error("(#32) Page request limit reached", 32, status=400,
                                     headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
        status = self.take_failure()
        if status is not None:
            return None, graph_error("(#2) Service temporarily unavailable", 2, status=status, is_transient=True)
        return self.tokens[token], None

    async def _json(self, request: Request) -> dict[str, Any] | None:
        try:
            body = await request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def comment(self, request: Request) -> JSONResponse:
        edge = request.url.path.rsplit("/", 1)[-1]
        account, refused = self._gate(request, f"POST /{{id}}/{edge}")
        if refused:
            return refused
        body = await self._json(request)
        if body is None or not isinstance(body.get("message"), str) or not body["message"]:
            return graph_error("(#100) The parameter message is required", 100)
        target = request.path_params["object_id"]
        if target in self.blocked:
            return graph_error("(#200) Permissions error", 200)
        channel = "instagram" if self.kinds.get(str(account)) == "instagram" else "facebook"
        stored = self.store(Stored(channel, target, body["message"], f"{target}_{self.next_id()}", str(account),
                                   False, body))
        await self.maybe_hang()
        return JSONResponse({"id": stored.id})

    async def comment_list(self, request: Request) -> JSONResponse:
        edge = request.url.path.rsplit("/", 1)[-1]
        account, refused = self._gate(request, f"GET /{{id}}/{edge}")
        if refused:
            return refused
        field = "text" if self.kinds.get(str(account)) == "instagram" else "message"
        target = request.path_params["object_id"]
        data = [{"id": m.id, field: m.text, "from": {"id": m.author}}
                for m in self.messages if m.target == target and not m.private]
        return JSONResponse({"data": data, "paging": {"cursors": {"before": "b", "after": "a"}}})

    async def conversations(self, request: Request) -> JSONResponse:
        account, refused = self._gate(request, "GET /{id}/conversations")
        if refused:
            return refused
        user = request.query_params.get("user_id")
        if not user or request.query_params.get("platform") not in ("messenger", "instagram"):
            return graph_error("(#100) platform and user_id are required", 100)
        messages = [{"id": m.id, "message": m.text, "from": {"id": m.author}}
                    for m in reversed(self.messages) if m.private and m.target == user and m.author == account]
        return JSONResponse({"data": [{"id": f"t_{account}_{user}", "messages": {"data": messages}}]})

    async def messages_edge(self, request: Request) -> JSONResponse:
        account, refused = self._gate(request, "POST /{id}/messages")
        if refused:
            return refused
        sender = request.path_params["sender_id"]
        if sender != account:
            return graph_error("(#230) Requires pages_messaging permission to manage the object", 230)
        body = await self._json(request)
        if body is None:
            return graph_error("(#100) The request body must be JSON", 100)
        if self.kinds.get(sender) == "whatsapp":
            return await self._whatsapp(sender, body)
        return await self._send_api(sender, body)

    async def _send_api(self, sender: str, body: dict[str, Any]) -> JSONResponse:
        recipient, message = body.get("recipient"), body.get("message")
        if not isinstance(recipient, dict) or len(recipient) != 1 or not isinstance(message, dict) \
                or not isinstance(message.get("text"), str):
            return graph_error("(#100) recipient (one of id, comment_id, post_id) and message.text are required", 100)
        kind, target = next(iter(recipient.items()))
        if kind not in ("id", "comment_id", "post_id"):
            return graph_error(f"(#100) Unknown recipient field {kind}", 100)
        messaging_type, tag = body.get("messaging_type"), body.get("tag")
        if kind == "id":
            if messaging_type not in ("RESPONSE", "UPDATE", "MESSAGE_TAG") or (
                    messaging_type == "MESSAGE_TAG") != (tag is not None):
                return graph_error("(#100) messaging_type is invalid or a MESSAGE_TAG lacks its tag", 100)
            if target in self.closed_windows and tag != "HUMAN_AGENT":
                return graph_error("(#10) This message is sent outside of allowed window.", 10, subcode=2018278)
        if target in self.blocked:
            return graph_error("(#551) This person isn't available right now.", 551, subcode=1545041)
        instagram = self.kinds.get(sender) == "instagram"
        channel = "instagram" if instagram else ("messenger" if kind == "id" else "facebook")
        stored = self.store(Stored(channel, str(target), message["text"], f"m_{self.next_id()}", sender, True, body))
        await self.maybe_hang()
        return JSONResponse({"recipient_id": f"psid-{self.next_id()}" if kind != "id" else target,
                             "message_id": stored.id})

    async def _whatsapp(self, sender: str, body: dict[str, Any]) -> JSONResponse:
        to, kind = body.get("to"), body.get("type")
        if body.get("messaging_product") != "whatsapp" or not isinstance(to, str) or kind not in ("text", "template"):
            return graph_error("(#100) messaging_product, to and type are required", 100)
        if kind == "text":
            text = (body.get("text") or {}).get("body")
            if not isinstance(text, str) or not text:
                return graph_error("(#100) The parameter text['body'] is required.", 100)
            if to in self.closed_windows:
                return graph_error("(#131047) Re-engagement message", 131047, error_data={
                    "messaging_product": "whatsapp",
                    "details": "Message failed to send because more than 24 hours have passed since the customer "
                               "last replied to this number."})
        else:
            template = body.get("template") or {}
            if not template.get("name") or not (template.get("language") or {}).get("code"):
                return graph_error("(#100) template name and language.code are required", 100)
            parameters = [p.get("text") for c in template.get("components") or [] for p in c.get("parameters") or []]
            text = parameters[0] if parameters else f"template:{template['name']}"
        if to in self.blocked:
            return graph_error("(#131026) Message undeliverable", 131026)
        stored = self.store(Stored("whatsapp", to, str(text), f"wamid.{self.next_id()}", sender, True, body))
        await self.maybe_hang()
        return JSONResponse({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                             "messages": [{"id": stored.id}]})
