"""WeChat Official Account stand-in: access token issue and customer-service text messages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.standins.base import StandIn, Stored


class WeChatStandIn(StandIn):
    def reset(self) -> None:
        super().reset()
        self.apps: dict[str, tuple[str, str]] = {}  # appid → (secret, account)
        self.issued = 0

    def register(self, appid: str, secret: str, account: str) -> None:
        self.apps[appid] = (secret, account)

    def expire_all_tokens(self) -> None:
        self.expired.update(self.tokens)

    def routes(self) -> list[Route]:
        return [Route("/cgi-bin/token", self.token, methods=["GET"]),
                Route("/cgi-bin/message/custom/send", self.custom_send, methods=["POST"])]

    async def token(self, request: Request) -> JSONResponse:
        self.requests["GET /cgi-bin/token"] += 1
        params = request.query_params
        if params.get("grant_type") != "client_credential":
            return JSONResponse({"errcode": 40002, "errmsg": "invalid grant_type"})
        app = self.apps.get(params.get("appid", ""))
        if app is None:
            return JSONResponse({"errcode": 40013, "errmsg": "invalid appid"})
        if params.get("secret") != app[0]:
            return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret"})
        self.issued += 1
        token = f"wx-token-{self.issued}"
        self.grant(token, app[1])
        return JSONResponse({"access_token": token, "expires_in": 7200})

    async def custom_send(self, request: Request) -> JSONResponse:
        self.requests["POST /cgi-bin/message/custom/send"] += 1
        token = request.query_params.get("access_token", "")
        if token in self.expired:
            return JSONResponse({"errcode": 42001, "errmsg": "access_token expired"})
        if token not in self.tokens:
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
        if self.take_rate_limit() is not None:
            return JSONResponse({"errcode": 45009, "errmsg": "reach max api daily quota limit"})
        status = self.take_failure()
        if status is not None:
            return JSONResponse({"errcode": -1, "errmsg": "system error"}, status_code=200)
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("touser"), str) or body.get("msgtype") != "text" \
                or not isinstance((body.get("text") or {}).get("content"), str):
            return JSONResponse({"errcode": 44002, "errmsg": "empty post data or invalid message"})
        touser = body["touser"]
        if touser in self.closed_windows:
            return JSONResponse({"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"})
        if touser in self.blocked:
            return JSONResponse({"errcode": 43004, "errmsg": "require subscribe"})
        self.store(Stored("wechat", touser, body["text"]["content"], self.next_id(), self.tokens[token], True, body))
        await self.maybe_hang()
        return JSONResponse({"errcode": 0, "errmsg": "ok"})
