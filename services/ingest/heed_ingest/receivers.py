"""Webhook receivers: each platform's verification, then the raw body to the broker.

Order for every POST: content type (415), size (413), signature (401); then for WeChat and Weibo,
whose plaintext signatures do not cover the body, the timestamp window and the nonce ledger (401).
A body is published to the raw topic only after all of these pass, and the platform gets its 2xx
only after the broker acknowledged it (503 and Retry-After while the broker or the database is
down, so that the platform retries). Parsing happens downstream: an authentic body that cannot be
parsed is dead-lettered with its bytes, never refused here. Every refusal is counted in
`heed_webhook_refused_total{channel, reason}`; no secret, token or body reaches a log or a label.

WeChat safe mode: the receiver checks `msg_signature` over <Encrypt>, decrypts, and publishes the
decrypted message XML (origin `webhook:wechat:aes:…`). That XML is the platform's original message
byte for byte, the envelope only carried it; so the raw topic and the DLQ hold bytes an operator
can read and replay without the key, and a later change of EncodingAESKey strands nothing.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from heed.contracts.events import Channel, RawMention
from heed.runtime.messaging import is_transient
from heed_ingest.channels import signatures
from heed_ingest.channels.wechat_crypto import WeChatCipher, WeChatCryptoError, encrypted_element
from heed_ingest.domain.nonces import Claim
from heed_ingest.ports import NonceLedger
from heed_ingest.settings import IngestSettings

log = logging.getLogger(__name__)

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


def unavailable() -> JSONResponse:
    response = error(503, "the broker or database did not acknowledge the body; retry later")
    response.headers["retry-after"] = "5"
    return response


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


Clock = Callable[[], float]

REFUSED_METRIC = "heed_webhook_refused_total"
SIGNATURE_WRONG = "signature missing or wrong"
XML_TYPES = ("text/xml", "application/xml")
# a DELETE per request would double the ledger's writes; once a minute keeps it near one window's nonces
PURGE_EVERY_S = 60.0


class TokenBucket:
    """`rate` requests a second on average, `burst` at once; in-process, per replica."""

    def __init__(self, rate: float, burst: int, clock: Clock) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = float(burst)
        self.at = clock()

    def take(self) -> bool:
        now = self.clock()
        # max(): a wall clock stepped backwards must not drain the bucket
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def retry_after(self) -> int:
        return max(1, math.ceil((1 - self.tokens) / self.rate))


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class Receivers:
    """The webhook endpoints; `nonces` remembers signed nonces (PostgreSQL in the service), `clock` is Unix time."""

    def __init__(self, settings: IngestSettings, publish: Publish, nonces: NonceLedger,
                 clock: Clock = time.time) -> None:
        self.settings = settings
        self.publish = publish
        self.nonces = nonces
        self.clock = clock
        self.refused: Counter[tuple[str, str]] = Counter()
        self.crc_bucket = TokenBucket(settings.x_crc_rate_per_s, settings.x_crc_burst, clock)
        # built here so that a malformed key or a missing AppID stops the service at start, not per message
        self.wechat_cipher = (WeChatCipher(settings.wechat_encoding_aes_key, settings.wechat_app_id)
                              if settings.wechat_encoding_aes_key else None)
        self._purged_at = -math.inf

    def metrics(self) -> dict[str, int]:
        """Refusals by channel and reason, as metric keys with their labels."""
        return {f'{REFUSED_METRIC}{{channel="{channel}",reason="{reason}"}}': n
                for (channel, reason), n in sorted(self.refused.items())}

    def _refuse(self, channel: str, reason: str, status: int, message: str,
                headers: dict[str, str] | None = None) -> Response:
        self.refused[(channel, reason)] += 1
        response = error(status, message)
        response.headers.update(headers or {})
        return response

    async def _publish(self, request: Request, source: str, channel: Channel, kind: str, body: bytes,
                       origin: str | None = None) -> None:
        raw = RawMention(event_id=uuid.uuid4(), source=source, channel=channel, body=body, content_type=kind,
                         origin=f"{origin or source}:{request.headers.get('x-request-id', '')}")
        await self.publish([raw], [f"{channel.value}:{raw.event_id}"])

    async def _accepted(self, request: Request, source: str, channel: Channel, kind: str, body: bytes,
                        reply: Response) -> Response:
        """`reply` once the broker has the body; 503 when it (or the database) is down: platforms retry."""
        try:
            await self._publish(request, source, channel, kind, body)
        except Exception as exc:
            if is_transient(exc):
                return unavailable()
            raise
        return reply

    def _signed_at(self, name: str, timestamp: str | None) -> float | Response:
        """The signed timestamp in seconds when it is inside the window, else the 401 to send."""
        window = self.settings.webhook_max_age_s
        signed = signatures.timestamp_seconds(timestamp)
        if signed is None or abs(self.clock() - signed) > window:
            return self._refuse(name, "stale_timestamp", 401,
                                f"timestamp missing or more than {window} s from now (HEED_WEBHOOK_MAX_AGE_S)")
        return signed

    async def _deliver(self, request: Request, name: str, channel: Channel, nonce: str, signed_at: float,
                       body: bytes, kind: str, reply: Response, origin: str | None = None) -> Response:
        """Publish once per (channel, nonce): a retry with the same body is answered, another body refused."""
        now = self.clock()
        if now - self._purged_at >= PURGE_EVERY_S:
            self._purged_at = now
            await self.nonces.purge(_utc(now - self.settings.webhook_max_age_s))
        digest = hashlib.sha256(body).digest()
        try:
            claim = await self.nonces.claim(name, nonce, digest, _utc(signed_at), _utc(now))
        except Exception as exc:
            if is_transient(exc):
                return unavailable()
            raise
        if claim is Claim.REUSED:
            return self._refuse(name, "reused_nonce", 401, "this nonce was already signed for another body")
        if claim is Claim.ALREADY_PUBLISHED:
            return reply
        try:
            await self._publish(request, f"webhook:{name}", channel, kind, body, origin)
        except BaseException as exc:
            # not published: the platform's retry carries the same nonce and must go through. Should
            # the release fail too, the row stays unacknowledged, which a retry with this body passes.
            await self.nonces.release(name, nonce, digest)
            if isinstance(exc, Exception) and is_transient(exc):
                return unavailable()
            raise
        await self.nonces.published(name, nonce)
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
        checked = await checked_body(request, ("application/json",), self.settings.ingest_max_body_bytes)
        if isinstance(checked, Response):
            return checked
        kind, body = checked
        if not signatures.meta_signature_valid(body, request.headers.get("x-hub-signature-256"),
                                               self.settings.meta_app_secret):
            return self._refuse("meta", "bad_signature", 401, SIGNATURE_WRONG)
        return await self._accepted(request, "webhook:meta", Channel.FACEBOOK, kind, body,
                                    PlainTextResponse("EVENT_RECEIVED"))

    # X: Account Activity API and X Activity API webhooks
    async def x_crc(self, request: Request) -> Response:
        if not self.settings.x_consumer_secret:
            return error(400, "HEED_X_CONSUMER_SECRET is unset: no CRC can be answered")
        token = request.query_params.get("crc_token", "")
        if not signatures.x_crc_token_valid(token):
            return self._refuse("x", "malformed_crc_token", 400,
                                "crc_token must be 1-128 characters of A-Z a-z 0-9 _ - + / = .")
        if not self.crc_bucket.take():
            return self._refuse("x", "rate_limited", 429, "too many CRC challenges (HEED_X_CRC_RATE_PER_S)",
                                {"retry-after": str(self.crc_bucket.retry_after())})
        return JSONResponse({"response_token": signatures.x_crc_response(token, self.settings.x_consumer_secret)})

    async def x_event(self, request: Request) -> Response:
        checked = await checked_body(request, ("application/json",), self.settings.ingest_max_body_bytes)
        if isinstance(checked, Response):
            return checked
        kind, body = checked
        if not signatures.is_json_object(body):
            return self._refuse("x", "not_json_object", 401, "X posts JSON objects only; refused unverified")
        if not signatures.x_signature_valid(body, request.headers.get("x-twitter-webhooks-signature"),
                                            self.settings.x_consumer_secret):
            return self._refuse("x", "bad_signature", 401, SIGNATURE_WRONG)
        return await self._accepted(request, "webhook:x", Channel.X, kind, body, Response(status_code=200))

    # WeChat Official Account: plaintext, compatible and safe modes
    async def wechat_verify(self, request: Request) -> Response:
        q = request.query_params
        token, timestamp, nonce, echostr = (self.settings.wechat_token, q.get("timestamp"), q.get("nonce"),
                                            q.get("echostr", ""))
        if "msg_signature" in q:
            # the URL check in safe mode as WeCom and the open platform send it: echostr is encrypted
            if not signatures.wechat_msg_signature_valid(token, timestamp, nonce, echostr, q.get("msg_signature")):
                return self._refuse("wechat", "bad_signature", 401, SIGNATURE_WRONG)
            signed = self._signed_at("wechat", timestamp)
            if isinstance(signed, Response):
                return signed
            if self.wechat_cipher is None:
                return self._refuse("wechat", "undecryptable", 401,
                                    "echostr is encrypted: set HEED_WECHAT_ENCODING_AES_KEY and HEED_WECHAT_APP_ID")
            try:
                return PlainTextResponse(self.wechat_cipher.decrypt(echostr).decode("utf-8", "replace"))
            except WeChatCryptoError as exc:
                log.warning("WeChat echostr not decrypted (%s): check HEED_WECHAT_ENCODING_AES_KEY and "
                            "HEED_WECHAT_APP_ID", exc)
                return self._refuse("wechat", "undecryptable", 401, "echostr could not be decrypted")
        if not signatures.wechat_signature_valid(token, timestamp, nonce, q.get("signature")):
            return self._refuse("wechat", "bad_signature", 401, SIGNATURE_WRONG)
        signed = self._signed_at("wechat", timestamp)
        return signed if isinstance(signed, Response) else PlainTextResponse(echostr)

    async def wechat_event(self, request: Request) -> Response:
        checked = await checked_body(request, XML_TYPES, self.settings.ingest_max_body_bytes)
        if isinstance(checked, Response):
            return checked
        kind, body = checked
        q = request.query_params
        token, timestamp, nonce = self.settings.wechat_token, q.get("timestamp"), q.get("nonce")
        encrypted = q.get("encrypt_type", "").lower() == "aes" or "msg_signature" in q
        if self.wechat_cipher is not None and not encrypted:
            # with a key the account is in safe or compatible mode, where WeChat signs the body:
            # a request signed the plaintext way is a replayed URL or a misconfigured console
            return self._refuse("wechat", "unencrypted", 401,
                                "HEED_WECHAT_ENCODING_AES_KEY is set: only encrypt_type=aes messages are accepted")
        envelope = ""
        if encrypted:
            try:
                envelope = encrypted_element(body)
            except WeChatCryptoError:
                return self._refuse("wechat", "bad_signature", 401, "body has no <Encrypt> for msg_signature")
            if not signatures.wechat_msg_signature_valid(token, timestamp, nonce, envelope, q.get("msg_signature")):
                return self._refuse("wechat", "bad_signature", 401, "msg_signature missing or wrong")
        elif not signatures.wechat_signature_valid(token, timestamp, nonce, q.get("signature")):
            return self._refuse("wechat", "bad_signature", 401, SIGNATURE_WRONG)
        signed = self._signed_at("wechat", timestamp)
        if isinstance(signed, Response):
            return signed
        origin = None
        if encrypted and self.wechat_cipher is not None:
            try:
                body, kind, origin = self.wechat_cipher.decrypt(envelope), "text/xml", "webhook:wechat:aes"
            except WeChatCryptoError as exc:
                log.warning("WeChat message not decrypted (%s): check HEED_WECHAT_ENCODING_AES_KEY and "
                            "HEED_WECHAT_APP_ID", exc)
                return self._refuse("wechat", "undecryptable", 401, "message could not be decrypted")
        # without a key a safe-mode body is published as received and dead-lettered with the reason
        return await self._deliver(request, "wechat", Channel.WECHAT, nonce or "", signed, body, kind,
                                   PlainTextResponse("success"), origin)

    # Weibo fans-service push (private messages, @-mentions, events); the pollers read the timelines
    def _weibo_signed(self, request: Request) -> bool:
        q = request.query_params
        return signatures.weibo_signature_valid(self.settings.weibo_app_secret, q.get("timestamp"), q.get("nonce"),
                                                q.get("signature"))

    async def weibo_verify(self, request: Request) -> Response:
        if not self._weibo_signed(request):
            return self._refuse("weibo", "bad_signature", 401, SIGNATURE_WRONG)
        signed = self._signed_at("weibo", request.query_params.get("timestamp"))
        return signed if isinstance(signed, Response) else PlainTextResponse(request.query_params.get("echostr", ""))

    async def weibo_event(self, request: Request) -> Response:
        # JSON by default; the fans service can also be set to send WeChat-compatible XML
        checked = await checked_body(request, ("application/json", "text/plain", *XML_TYPES),
                                     self.settings.ingest_max_body_bytes)
        if isinstance(checked, Response):
            return checked
        kind, body = checked
        if not self._weibo_signed(request):
            return self._refuse("weibo", "bad_signature", 401, SIGNATURE_WRONG)
        signed = self._signed_at("weibo", request.query_params.get("timestamp"))
        if isinstance(signed, Response):
            return signed
        return await self._deliver(request, "weibo", Channel.WEIBO, request.query_params.get("nonce", ""), signed,
                                   body, kind, PlainTextResponse("success"))

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
