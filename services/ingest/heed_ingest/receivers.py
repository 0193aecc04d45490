"""Webhook receivers: each platform's verification, then the raw body to the broker.

Order for every POST: content type (415), size (413), signature (401); a body is published to
the raw topic only after all three pass, and the platform gets its 2xx only after the broker
acknowledged it. Parsing happens downstream: an authentic body that cannot be parsed is
dead-lettered with its bytes, never refused here.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from heed.contracts.events import Channel, RawMention
from heed_ingest.channels import signatures
from heed_ingest.settings import IngestSettings

Publish = Callable[[list[RawMention], list[str]], Awaitable[None]]


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing to buffer more than `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def error(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def checked_body(request: Request, types: tuple[str, ...], limit: int) -> tuple[str, bytes] | Response:
    """(content type, body) when both are acceptable; else the 415 or 413 answer to send."""
    kind = content_type(request)
    if kind not in types:
        return error(415, f"content type must be {' or '.join(types)}, got {kind or 'none'!r}")
    try:
        return kind, await read_body(request, limit)
    except BodyTooLarge:
        return error(413, f"body larger than {limit} bytes")


class Receivers:
    def __init__(self, settings: IngestSettings, publish: Publish) -> None:
        self.settings = settings
        self.publish = publish

    async def _accept(self, request: Request, source: str, channel: Channel, types: tuple[str, ...],
                      verify: Callable[[bytes], bool], reply: Response) -> Response:
        checked = await checked_body(request, types, self.settings.ingest_max_body_bytes)
        if isinstance(checked, Response):
            return checked
        kind, body = checked
        if not verify(body):
            return error(401, "signature missing or wrong")
        raw = RawMention(event_id=uuid.uuid4(), source=source, channel=channel, body=body, content_type=kind,
                         origin=f"{source}:{request.headers.get('x-request-id', '')}")
        await self.publish([raw], [f"{channel.value}:{raw.event_id}"])
        return reply

    # Meta: Facebook Pages, Messenger, Instagram, WhatsApp Cloud API
    async def meta_verify(self, request: Request) -> Response:
        q = request.query_params
        token = self.settings.meta_verify_token
        if q.get("hub.mode") == "subscribe" and token and signatures.hmac.compare_digest(
                q.get("hub.verify_token", "").encode(), token.encode()):
            return PlainTextResponse(q.get("hub.challenge", ""))
        return error(403, "hub.verify_token does not match HEED_META_VERIFY_TOKEN")

    async def meta_event(self, request: Request) -> Response:
        header = request.headers.get("x-hub-signature-256")
        return await self._accept(
            request, "webhook:meta", Channel.FACEBOOK, ("application/json",),
            lambda body: signatures.meta_signature_valid(body, header, self.settings.meta_app_secret),
            PlainTextResponse("EVENT_RECEIVED"))

    # X: Account Activity API and X Activity API webhooks
    async def x_crc(self, request: Request) -> Response:
        token = request.query_params.get("crc_token")
        if not token or not self.settings.x_consumer_secret:
            return error(400, "crc_token missing or HEED_X_CONSUMER_SECRET unset")
        return JSONResponse({"response_token": signatures.x_crc_response(token, self.settings.x_consumer_secret)})

    async def x_event(self, request: Request) -> Response:
        header = request.headers.get("x-twitter-webhooks-signature")
        return await self._accept(
            request, "webhook:x", Channel.X, ("application/json",),
            lambda body: signatures.x_signature_valid(body, header, self.settings.x_consumer_secret),
            Response(status_code=200))

    # WeChat Official Account (plaintext mode)
    def _wechat_signed(self, request: Request, token: str) -> bool:
        q = request.query_params
        return signatures.sorted_sha1_valid(token, q.get("timestamp"), q.get("nonce"), q.get("signature"))

    async def wechat_verify(self, request: Request) -> Response:
        if not self._wechat_signed(request, self.settings.wechat_token):
            return error(401, "signature missing or wrong")
        return PlainTextResponse(request.query_params.get("echostr", ""))

    async def wechat_event(self, request: Request) -> Response:
        signed = self._wechat_signed(request, self.settings.wechat_token)
        return await self._accept(request, "webhook:wechat", Channel.WECHAT, ("text/xml", "application/xml"),
                                  lambda body: signed, PlainTextResponse("success"))

    # Weibo fans-service push (private messages, @-mentions, events); the pollers read the timelines
    async def weibo_verify(self, request: Request) -> Response:
        if not self._wechat_signed(request, self.settings.weibo_app_secret):
            return error(401, "signature missing or wrong")
        return PlainTextResponse(request.query_params.get("echostr", ""))

    async def weibo_event(self, request: Request) -> Response:
        signed = self._wechat_signed(request, self.settings.weibo_app_secret)
        # JSON by default; the fans service can also be set to send WeChat-compatible XML
        return await self._accept(request, "webhook:weibo", Channel.WEIBO,
                                  ("application/json", "text/plain", "text/xml", "application/xml"),
                                  lambda body: signed, PlainTextResponse("success"))

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/webhooks/meta", self.meta_verify, methods=["GET"]),
            Route("/webhooks/meta", self.meta_event, methods=["POST"]),
            Route("/webhooks/x", self.x_crc, methods=["GET"]),
            Route("/webhooks/x", self.x_event, methods=["POST"]),
            Route("/webhooks/wechat", self.wechat_verify, methods=["GET"]),
            Route("/webhooks/wechat", self.wechat_event, methods=["POST"]),
            Route("/webhooks/weibo", self.weibo_verify, methods=["GET"]),
            Route("/webhooks/weibo", self.weibo_event, methods=["POST"]),
        ]
