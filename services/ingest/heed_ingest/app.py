"""Ingest: receives mentions (generic API, file replay; platform webhooks and pollers plug in),
publishes each authentic body to the raw topic before parsing, then normalises and dedupes."""

from __future__ import annotations

import asyncio
import hmac
import logging
import uuid
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from heed.contracts import topics
from heed.contracts.events import DeadLetter, Mention, RawMention
from heed.runtime.messaging import TRANSIENT_ERRORS, Handler, Incoming, Outgoing, Rejected
from heed.runtime.service import Service
from heed_ingest.adapters import store
from heed_ingest.adapters.cursors import CursorStore
from heed_ingest.adapters.graph import InstagramMentions
from heed_ingest.adapters.nonces import PostgresNonces
from heed_ingest.channels.meta import InstagramLookup
from heed_ingest.domain.drafts import MentionDraft, UnparseableBody
from heed_ingest.domain.normalise import build_mention, parse_raw, resolve_thread_root
from heed_ingest.pollers import Poller, configured_sources
from heed_ingest.receivers import Receivers, checked_body, error
from heed_ingest.settings import IngestSettings

log = logging.getLogger(__name__)

JSON_TYPES = ("application/json", "application/x-ndjson")


class IngestService(Service):
    name = "ingest"
    settings: IngestSettings

    def __init__(self, settings: IngestSettings | None = None) -> None:
        super().__init__(settings or IngestSettings())
        self.engagement = 0  # likes, reactions and other non-mention events seen
        self.pollers: list[Poller] = []
        self._poll_tasks: list[asyncio.Task[None]] = []
        self._http: httpx.AsyncClient | None = None

    async def on_started(self) -> None:
        self._stop_polling = asyncio.Event()
        self._http = httpx.AsyncClient(timeout=30.0)
        self.pollers = [Poller(source, self._http, CursorStore(self.pool), self.publish_raw)
                        for source in configured_sources(self.settings)]
        self._poll_tasks = [asyncio.create_task(p.run(self.settings.poll_interval_s, self._stop_polling))
                            for p in self.pollers]
        # dead letters keep personal data: deleted past retention, now and hourly
        self._dlq_purge = asyncio.create_task(store.purge_on_schedule(self.pool, self.settings.retention()))

    async def on_stopping(self) -> None:
        self._dlq_purge.cancel()
        await asyncio.gather(self._dlq_purge, return_exceptions=True)
        if self._poll_tasks:
            self._stop_polling.set()
            await asyncio.gather(*self._poll_tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()

    def metrics(self) -> dict[str, int]:
        refused = self.receivers.metrics() if hasattr(self, "receivers") else {}
        return {**super().metrics(), "heed_engagement_events_total": self.engagement, **refused}

    def handlers(self) -> dict[str, Handler[Any]]:
        return {topics.MENTIONS_RAW: self.normalise, topics.DLQ: self.archive_dead_letters}

    async def publish_raw(self, raws: list[RawMention], keys: list[str]) -> None:
        """Publish authentic bodies and return once the broker acknowledged all of them."""
        await self.stage.publisher.publish(
            [Outgoing(topics.MENTIONS_RAW, raw, key) for raw, key in zip(raws, keys, strict=True)])

    async def normalise(self, batch: list[Incoming[RawMention]]) -> list[Rejected]:
        parsed: list[tuple[Incoming[RawMention], MentionDraft]] = []
        rejected: list[Rejected] = []
        lookups: list[RawMention] = []
        for item in batch:
            try:
                drafts = parse_raw(item.event)
                self.engagement += getattr(drafts, "engagement", 0)
                lookups += await self.resolve_instagram_mentions(getattr(drafts, "lookups", []))
                parsed.extend((item, draft) for draft in drafts)
            except UnparseableBody as exc:
                # the authentic body is what an operator needs; the source is what `heed dlq replay`
                # wraps it in again
                rejected.append(Rejected(item, exc, original=item.event.body, origin=item.event.origin, details={
                    "raw_source": item.event.source, "raw_content_type": item.event.content_type}))
        # the same post twice in one batch (webhook and poll together) is one arrival
        unique: dict[tuple[str, str], tuple[Incoming[RawMention], MentionDraft]] = {}
        for item, draft in parsed:
            unique.setdefault((draft.channel.value, draft.native_id), (item, draft))
        roots = await store.known_thread_roots(
            self.pool, {(d.channel.value, d.in_reply_to) for _, d in unique.values() if d.in_reply_to})
        mentions: list[tuple[Incoming[RawMention], Mention]] = []
        for item, draft in unique.values():
            mention = build_mention(draft, item.event, resolve_thread_root(draft, roots))
            roots[(mention.channel.value, mention.native_id)] = mention.thread_root
            mentions.append((item, mention))
        pending = await store.record_mentions(self.pool, [
            store.LedgerRow(m.channel.value, m.native_id, m.mention_id, m.thread_root, m.raw_event_id,
                            m.received_at) for _, m in mentions])
        out = []
        for item, mention in mentions:
            if mention.mention_id in pending:
                if pending[mention.mention_id] != mention.thread_root:
                    mention = mention.model_copy(update={"thread_root": pending[mention.mention_id]})
                out.append(Outgoing(topics.MENTIONS, mention, mention.conversation_key, item.context))
        out.extend(Outgoing(topics.MENTIONS_RAW, raw, f"instagram:{raw.event_id}") for raw in lookups)
        await self.stage.publisher.publish(out)
        await store.mark_published(self.pool, list(pending))
        return rejected

    async def resolve_instagram_mentions(self, lookups: list[InstagramLookup]) -> list[RawMention]:
        """Fetch the text of Instagram @mentions; without a Graph token the notification is dead-lettered."""
        if not lookups:
            return []
        if not self.settings.meta_access_token or self._http is None:
            raise UnparseableBody("an Instagram @mention needs a Graph API call for its text: set "
                                  "HEED_META_ACCESS_TOKEN, restart ingest, then run `heed dlq replay <id>` "
                                  "(the id from `heed dlq list --topic heed.mentions.raw`)")
        graph = InstagramMentions(self._http, self.settings.meta_graph_base, self.settings.meta_access_token)
        return [await graph.resolve(lookup) for lookup in lookups]

    async def archive_dead_letters(self, batch: list[Incoming[DeadLetter]]) -> None:
        await store.archive_dead_letters(self.pool, [item.event for item in batch])

    def routes(self) -> list[BaseRoute]:
        # one Receivers per service, however many apps are built: its counters and CRC bucket are shared
        if not hasattr(self, "receivers"):
            self.receivers = Receivers(self.settings, self.publish_raw, PostgresNonces(lambda: self.pool))
        return [Route("/v1/mentions", self.post_mentions, methods=["POST"]), *self.receivers.routes()]

    async def post_mentions(self, request: Request) -> Response:
        """Generic authenticated API for internal sources: one mention object or an array."""
        tokens = self.settings.ingest_api_tokens
        auth = request.headers.get("authorization", "")
        scheme, _, presented = auth.partition(" ")
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
            count = len(parse_raw(raw))
        except UnparseableBody as exc:
            return error(422, str(exc))
        try:
            await self.publish_raw([raw], [f"api:{raw.event_id}"])
        except TRANSIENT_ERRORS:
            # not acknowledged by the broker, so not accepted: the caller keeps the body and retries
            unavailable = error(503, "the broker did not acknowledge the body; retry later")
            unavailable.headers["retry-after"] = "5"
            return unavailable
        return JSONResponse({"event_id": str(raw.event_id), "mentions": count}, status_code=202)
