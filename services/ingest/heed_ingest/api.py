"""POST /v1/mentions: the generic authenticated API for internal sources (one mention object, an
array of them, or NDJSON), published to the raw topic once the broker acknowledges it."""

from __future__ import annotations

import hmac
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from heed.contracts.events import RawMention
from heed.runtime.messaging import TRANSIENT_ERRORS
from heed_ingest.domain.drafts import UnparseableBody
from heed_ingest.parsing import parse_raw
from heed_ingest.receivers import Publish, checked_body, error
from heed_ingest.settings import IngestSettings

JSON_TYPES = ("application/json", "application/x-ndjson")


class MentionsApi:
    def __init__(self, settings: IngestSettings, publish: Publish) -> None:
        self.settings = settings
        self.publish = publish

    def routes(self) -> list[BaseRoute]:
        return [Route("/v1/mentions", self.post_mentions, methods=["POST"])]

    async def post_mentions(self, request: Request) -> Response:
        """202 with the event id and the count of mentions once the broker has the body; 401, 413,
        415 or 422 (nothing published) when it is refused, 503 while the broker does not answer."""
        tokens = self.settings.ingest_api_tokens
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if not tokens:
            return error(401, "no API tokens are configured: set HEED_INGEST_API_TOKENS")
        if scheme.lower() != "bearer" or not any(
                hmac.compare_digest(presented.encode(), t.encode()) for t in tokens):
            return error(401, "missing or wrong bearer token")
        checked = await checked_body(request, JSON_TYPES, self.settings.ingest_max_body_bytes)
        if isinstance(checked, Response):
            return checked
        kind, body = checked
        raw = RawMention(event_id=uuid.uuid4(), source="api", body=body, content_type=kind,
                         origin=f"api:{request.headers.get('x-request-id', '')}")
        try:
            # the same parser the normaliser runs: what is accepted here is carried through to the end
            count = len(parse_raw(raw).drafts)
        except UnparseableBody as exc:
            return error(422, str(exc))
        try:
            await self.publish([raw], [f"api:{raw.event_id}"])
        except TRANSIENT_ERRORS:
            # not acknowledged by the broker, so not accepted: the caller keeps the body and retries
            unavailable = error(503, "the broker did not acknowledge the body; retry later")
            unavailable.headers["retry-after"] = "5"
            return unavailable
        return JSONResponse({"event_id": str(raw.event_id), "mentions": count}, status_code=202)
