"""The broker factory and the batch-consumer path every service uses.

A stage registers `consume(topic, Model, handler)`. Each Kafka batch is decoded by us from the
record bytes (never trusting a framework to hand us objects), each message gets its own span
continuing the mention's trace, the handler runs on the typed batch with bounded retries, and
whatever still fails goes to the DLQ with its original bytes, error and topic/partition/offset.
Offsets are committed only after the batch is handled or dead-lettered: at-least-once.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.middlewares import AckPolicy
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ValidationError

from heed.contracts import topics
from heed.contracts.events import DeadLetter, Event, derive_id
from heed.runtime.metrics import StageMetrics
from heed.runtime.settings import HeedSettings

log = logging.getLogger(__name__)
tracer = trace.get_tracer("heed")

E = TypeVar("E", bound=BaseModel)

# Kafka record size cap raised above aiokafka's 1 MiB default: a long post with its thread stays whole.
MAX_REQUEST_SIZE = 4 * 1024 * 1024


def create_broker(settings: HeedSettings, service: str) -> KafkaBroker:
    """One broker per service. Tracing is the Stage's: a consumer span per record with its parent
    from the record's headers, a producer span per topic and parent on publish. faststream's
    telemetry middleware is not installed: it made a second span per batch and parsed every
    record's baggage again, a tenth of a consuming service's CPU for nothing the traces lacked."""
    return KafkaBroker(
        settings.resolved_kafka(),
        client_id=f"heed-{service}",
        enable_idempotence=settings.kafka_enable_idempotence,
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
        max_request_size=MAX_REQUEST_SIZE,
        logger=logging.getLogger(f"heed.{service}.broker"),
    )


async def start_broker(broker: KafkaBroker) -> None:
    """Start the broker with its subscribers joining their groups concurrently.

    faststream starts subscribers one after another; each group join waits out the broker's
    rebalance delay (5 s on Tansu), so a service with three consumers would take 15 s to start.
    """
    await broker.connect()
    await asyncio.gather(*(sub.start() for sub in broker.subscribers))
    for pub in broker.publishers:
        await pub.start()
    broker.running = True


@dataclass
class Incoming(Generic[E]):
    """A decoded event with the record it came from and the span that continues its trace."""

    event: E
    record: ConsumerRecord[bytes, bytes]
    context: otel_context.Context

    @property
    def origin(self) -> str:
        return f"{self.record.topic}/{self.record.partition}@{self.record.offset}"


@dataclass
class Outgoing:
    topic: str
    event: Event
    key: str
    parent: otel_context.Context | None = None


# Failures of the infrastructure, not of the event: the batch is redelivered rather than dead-lettered.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError, TimeoutError, KafkaError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError,
)
# SQLSTATE classes of a server that is unreachable, shutting down, out of resources or broken:
# 08 connection, 53 insufficient resources, 57 operator intervention (admin shutdown, crash
# recovery), 58 system error, XX internal error; and 40, a transaction the server rolled back
# (deadlock, serialization failure), which the same batch succeeds at when tried again.
TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57", "58", "XX")


def is_transient(error: BaseException) -> bool:
    """True when `error` says the database or broker failed, not the event."""
    if isinstance(error, TRANSIENT_ERRORS):
        return True
    if isinstance(error, asyncpg.PostgresError):
        return str(getattr(error, "sqlstate", "") or "")[:2] in TRANSIENT_SQLSTATE_CLASSES
    return False


class InfrastructureUnavailable(Exception):
    """The batch could not be handled because the database or broker failed; it is not committed.

    Raised out of the subscriber so faststream nacks the batch (AckPolicy.NACK_ON_ERROR): the
    consumer seeks back to the batch's first offsets and the broker delivers it again.
    """


class UndeclaredTopic(RuntimeError):
    """A service published to a topic its node in `heed.contracts.topology` does not declare."""


@dataclass(frozen=True)
class Rejected:
    """An event its handler refuses for good; the Stage dead-letters it (the one dead-letter path).

    `original` replaces the record's bytes when the authentic input is wrapped (a raw event's
    body); `details` fills additive DeadLetter fields (e.g. the raw source, for a replay).
    """

    item: Incoming[Any]
    error: Exception
    original: bytes | None = None
    origin: str | None = None
    details: dict[str, str] = field(default_factory=dict)


@dataclass
class Publisher:
    """Publishes events with their conversation key, continuing each one's trace.

    Services publish through their own aiokafka producer: faststream's publish path (middleware,
    two spans and a message object per send) cost more than the rest of a stage's work. Each send
    still gets a PRODUCER span whose context travels in the headers. Without a producer (tools and
    faststream's TestKafkaBroker in unit tests) it publishes through the broker.
    """

    broker: KafkaBroker | None = None
    producer: AIOKafkaProducer | None = None
    published: int = 0
    # the topics this publisher may send to (its service's node in the topology); None: any (tools)
    allowed: frozenset[str] | None = None

    async def publish(self, items: Sequence[Outgoing]) -> None:
        """Publish all, then wait until the broker acknowledged every one.

        Every event is serialised before the first is sent: an event that cannot be written fails
        the call with nothing sent, rather than after the events before it went out.
        """
        if self.allowed is not None:
            undeclared = {item.topic for item in items} - self.allowed
            if undeclared:
                raise UndeclaredTopic(f"publishing to {', '.join(sorted(undeclared))}, which the topology "
                                      "(heed/contracts/topology.py) does not declare for this service")
        encoded = [(item, item.event.model_dump_json().encode(),
                    f"{type(item.event).__name__}/v{item.event.schema_version}") for item in items]
        pending: list[asyncio.Future[Any]] = []
        # one PRODUCER span per topic and parent in a call: messages that continue the same trace
        # (a batch's case events, all children of one consumed batch) share it, so publishing N of
        # them costs one span, not N; a message with a parent of its own still gets its own span
        carriers: dict[tuple[str, int], dict[str, str]] = {}
        for item, value, event_header in encoded:
            if self.producer is None:
                pending.extend(await self._via_broker(item, value, event_header))
                continue
            group = (item.topic, id(item.parent))
            carrier = carriers.get(group)
            if carrier is None:
                span = tracer.start_span(f"{item.topic} publish", context=item.parent, kind=SpanKind.PRODUCER,
                                         attributes={"messaging.system": "kafka",
                                                     "messaging.destination.name": item.topic})
                carrier = carriers[group] = {}
                propagate.inject(carrier, context=trace.set_span_in_context(span))
                span.end()
            headers = [("content-type", b"application/json"), ("heed-event", event_header.encode()),
                       *((k, v.encode()) for k, v in carrier.items())]
            kind = _event_kind(item.event)
            if isinstance(kind, StrEnum):  # lets a consumer pass over kinds it ignores without decoding them
                headers.append((KIND_HEADER, kind.value.encode()))
            pending.append(await self.producer.send(item.topic, value, key=item.key.encode(), headers=headers))
        if pending:
            await asyncio.gather(*pending)
        self.published += len(items)

    async def _via_broker(self, item: Outgoing, value: bytes, event_header: str) -> list[asyncio.Future[Any]]:
        if self.broker is None:
            raise RuntimeError("a publisher needs a started producer or a broker")
        headers = {"content-type": "application/json", "heed-event": event_header}
        span = tracer.start_span(f"{item.topic} publish", context=item.parent, kind=SpanKind.PRODUCER,
                                 attributes={"messaging.system": "kafka", "messaging.destination.name": item.topic})
        propagate.inject(headers, context=trace.set_span_in_context(span))
        span.end()
        kind = _event_kind(item.event)
        if isinstance(kind, StrEnum):
            headers[KIND_HEADER] = kind.value
        sent = await self.broker.publish(value, topic=item.topic, key=item.key.encode(), headers=headers,
                                         no_confirm=True)
        # a real producer hands back a delivery future; the in-memory test broker delivers at once
        return [sent] if inspect.isawaitable(sent) else []


def create_producer(settings: HeedSettings, service: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.resolved_kafka(),
        client_id=f"heed-{service}-producer",
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        linger_ms=5,
        max_batch_size=512 * 1024,
        max_request_size=MAX_REQUEST_SIZE,
    )


@asynccontextmanager
async def open_publisher(bootstrap: str, client: str = "heed-tool") -> AsyncIterator[Publisher]:
    """A publisher with its own producer, for tools (replay, bench) and tests."""
    settings = HeedSettings(kafka_bootstrap=bootstrap)
    producer = create_producer(settings, client)
    await producer.start()
    try:
        yield Publisher(producer=producer)
    finally:
        await producer.stop()


def dead_letter(record: ConsumerRecord[bytes, bytes], service: str, error: BaseException,
                attempts: int, original: bytes | None = None, origin: str | None = None) -> DeadLetter:
    """A DLQ record for `record`; its id is stable, so a redelivered failure is stored once.

    `original` overrides the record's bytes when the authentic input is wrapped (a raw event's body).
    """
    return DeadLetter(
        event_id=derive_id("dlq", record.topic, record.partition, record.offset),
        source_topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key.decode("utf-8", "replace") if record.key else None,
        original=(record.value or b"") if original is None else original,
        error_type=type(error).__name__,
        error=describe_error(error),
        service=service,
        attempts=attempts,
        origin=origin,
    )


def describe_error(error: BaseException) -> str:
    """A message a person can act on; for validation errors, field locations and reasons only.

    A database error is described by class, SQLSTATE and the table, column and constraint it
    names: its message and detail quote parameter values and row contents (personal data).
    """
    from heed.runtime.logs import database_error_summary, is_database_error

    if is_database_error(error):
        return database_error_summary(error)
    if isinstance(error, ValidationError):
        parts = [f"{'.'.join(str(p) for p in e['loc']) or '<body>'}: {e['msg']}" for e in error.errors()[:10]]
        return f"{error.title} failed validation: " + "; ".join(parts)
    return str(error) or type(error).__name__


# Records published in one call share their producer span (a batch's case events), so their trace
# headers repeat: a parsed context is kept per distinct header set (contexts are immutable).
_CONTEXTS: dict[tuple[tuple[str, bytes], ...], otel_context.Context] = {}
_CONTEXTS_MAX = 4096


KIND_HEADER = "heed-kind"
_KINDED: dict[type, bool] = {}


def _event_kind(event: BaseModel) -> object:
    """The event's `kind` field, or None when its type has none: asked of the type, once.
    `getattr(event, "kind", None)` on an event without one goes through pydantic's fallback
    (1.6 µs, every routed mention)."""
    model = type(event)
    known = _KINDED.get(model)
    if known is None:
        known = _KINDED[model] = "kind" in model.model_fields
    return event.__dict__["kind"] if known else None


def _kind_of(record: ConsumerRecord[bytes, bytes]) -> str | None:
    """The record's `heed-kind` header (the event's kind), if its producer set one."""
    for key, value in record.headers or ():
        if key == KIND_HEADER:
            return value.decode("latin-1")
    return None


# the W3C traceparent Heed's producers write: version 00, trace id, parent span id, flags
_TRACEPARENT = re.compile(rb"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


def _extract_context(record: ConsumerRecord[bytes, bytes]) -> otel_context.Context:
    """The trace context a record carries. Heed's own records carry a bare W3C traceparent: it is
    read directly (a tenth of the propagators' cost per record); anything else (tracestate, baggage,
    another version) goes through the configured propagators, cached per distinct header set."""
    headers = record.headers or ()
    parent = None
    for key, value in headers:
        if key == "traceparent":
            parent = value
        elif key in ("tracestate", "baggage"):
            parent = None
            break
    if parent is not None:
        match = _TRACEPARENT.fullmatch(parent)
        if match is not None:
            trace_id, span_id = int(match[1], 16), int(match[2], 16)
            if trace_id and span_id:
                remote = SpanContext(trace_id=trace_id, span_id=span_id, is_remote=True,
                                     trace_flags=TraceFlags(int(match[3], 16)))
                return trace.set_span_in_context(NonRecordingSpan(remote))
    key = tuple(headers)
    found = _CONTEXTS.get(key)
    if found is None:
        found = propagate.extract({k: v.decode("latin-1") for k, v in key})
        if len(_CONTEXTS) >= _CONTEXTS_MAX:
            _CONTEXTS.clear()
        _CONTEXTS[key] = found
    return found


# A batch handler: effects for the events it can handle; the ones it refuses for good come back
# as Rejected (dead-lettered by the Stage). Raising means "not done": retried, then redelivered or
# isolated as described in Stage._run_with_retries.
Handler = Callable[[list[Incoming[E]]], Awaitable[list[Rejected] | None]]


async def _records_undecoded(message: Any) -> None:
    """The stage decodes each record itself; faststream's per-record JSON decode would be wasted."""
    return None


@dataclass
class Stage:
    """One service's consumers and publisher over one broker."""

    broker: KafkaBroker
    service: str
    settings: HeedSettings
    publisher: Publisher = field(init=False)
    handled: int = 0
    dead_lettered: int = 0

    publishes: tuple[str, ...] | None = None
    # the service's registry: batch latency, events handled and dead-lettered, lag, per topic
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    instruments: StageMetrics = field(init=False)

    # how long a deferred consumer's batch waits at most for the others to catch up
    defer_max_s: float = 2.0

    def __post_init__(self) -> None:
        self.publisher = Publisher(self.broker, allowed=None if self.publishes is None else frozenset(self.publishes))
        self.instruments = StageMetrics(self.registry)
        # the undeferred consumers' batches in hand, and the records each topic had still to fetch
        self._pressing = 0
        self._behind: dict[str, int] = {}
        self._caught_up = asyncio.Event()
        self._caught_up.set()

    def consume(self, topic: str, model: type[E], handler: Handler[E], *, group: str | None = None,
                kinds: frozenset[str] | None = None, deferred: bool = False, background: bool = False) -> None:
        """Register a batch consumer of `topic` decoding `model`, handled by `handler`.

        With `kinds`, a record whose `heed-kind` header names another kind is passed over (counted
        handled, committed) without being decoded or traced: the handler would have ignored it.
        A `deferred` consumer's batch waits (at most `defer_max_s`) while the service's other
        consumers have a batch in hand or records still to fetch: bookkeeping no customer waits on
        yields the process to the work a customer does wait on. A `background` subscription (one
        no customer's reply waits on) polls with the longer background waits: on Tansu an empty fetch
        of several partitions is held for its whole wait even when a record arrives, so only the
        hops a reply waits on poll every few milliseconds.
        """
        group_id = group or f"heed-{self.service}.{topic}"
        waits = self.waits(background)

        @self.broker.subscriber(
            topic,
            group_id=group_id,
            batch=True,
            max_records=self.settings.batch_max_records,
            # the broker may hold a fetch until its wait passes: it bounds each hop's latency
            batch_timeout_ms=waits["batch_timeout_ms"],
            fetch_max_wait_ms=waits["fetch_max_wait_ms"],
            auto_offset_reset="earliest",
            # an exception out of the handler means "not done": seek back, never commit past it
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=_records_undecoded,
            title=f"{self.service}:{topic}",
        )
        async def _consume(message: KafkaMessage) -> None:
            raw = message.raw_message
            records = list(raw) if isinstance(raw, (list, tuple)) else [raw]
            behind = await self._measure_lag(message.consumer, records)
            if deferred:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._caught_up.wait(), self.defer_max_s)
            else:
                self._behind[topic] = behind
                self._pressing += 1
                self._caught_up.clear()
            started = time.perf_counter()
            try:
                if kinds is not None:
                    wanted = [r for r in records if _kind_of(r) in kinds or _kind_of(r) is None]
                    if len(wanted) < len(records):
                        self.handled += len(records) - len(wanted)
                        self.instruments.handled.labels(self.service, topic).inc(len(records) - len(wanted))
                    records = wanted
                await self._handle_records(records, model, handler)
            finally:
                self.instruments.batch_seconds.labels(self.service, topic).observe(time.perf_counter() - started)
                if not deferred:
                    self._pressing -= 1
                    if self._pressing == 0 and not any(self._behind.values()):
                        self._caught_up.set()

    def waits(self, background: bool) -> dict[str, int]:
        """A subscription's batch and fetch waits: short on the hops a reply waits on, longer elsewhere."""
        if background:
            return {"batch_timeout_ms": self.settings.background_batch_timeout_ms,
                    "fetch_max_wait_ms": self.settings.background_fetch_max_wait_ms}
        return {"batch_timeout_ms": self.settings.batch_timeout_ms,
                "fetch_max_wait_ms": self.settings.fetch_max_wait_ms}

    async def _measure_lag(self, consumer: object, records: list[ConsumerRecord[bytes, bytes]]) -> int:
        """heed_consumer_lag of the batch's partitions: the consumer's highwater minus its position.
        Returns their sum: the records of these partitions still to fetch."""
        total = 0
        if not isinstance(consumer, AIOKafkaConsumer):
            return total  # faststream's in-memory test broker has no Kafka consumer
        for tp in {TopicPartition(r.topic, r.partition) for r in records}:
            # revoked by a rebalance since the fetch: its lag is now another consumer's to tell
            if tp not in consumer.assignment():
                continue
            highwater = consumer.highwater(tp)
            if highwater is not None:  # a partition this consumer fetched from: its position is known
                behind = highwater - await consumer.position(tp)
                self.instruments.lag.labels(self.service, tp.topic, str(tp.partition)).set(max(0, behind))
                total += max(0, behind)
        return total

    async def _handle_records(self, records: list[ConsumerRecord[bytes, bytes]], model: type[E],
                              handler: Handler[E]) -> None:
        batch: list[Incoming[E]] = []
        spans = []
        failures: list[DeadLetter] = []
        for record in records:
            parent = _extract_context(record)
            span = tracer.start_span(f"{record.topic} process", context=parent, kind=SpanKind.CONSUMER,
                                     attributes={"messaging.system": "kafka",
                                                 "messaging.destination.name": record.topic,
                                                 "messaging.kafka.partition": record.partition,
                                                 "messaging.kafka.offset": record.offset,
                                                 "heed.service": self.service})
            spans.append(span)
            try:
                event = model.model_validate_json(record.value or b"")
            except ValidationError as exc:
                span.set_status(Status(StatusCode.ERROR, "undecodable event"))
                failures.append(dead_letter(record, self.service, exc, attempts=1))
                continue
            batch.append(Incoming(event, record, trace.set_span_in_context(span, parent)))
        try:
            if batch:
                failures.extend(await self._run_with_retries(batch, handler))
            if failures:
                try:
                    await self.publisher.publish(
                        [Outgoing(topics.DLQ, f, f.source_topic) for f in failures])
                except TRANSIENT_ERRORS as exc:
                    raise InfrastructureUnavailable("the DLQ refused the batch's dead letters") from exc
                self.dead_lettered += len(failures)
                for topic, n in Counter(f.source_topic for f in failures).items():
                    self.instruments.dead_lettered.labels(self.service, topic).inc(n)
                for f in failures:
                    log.warning("dead-lettered", extra={"fields": {
                        "topic": f.source_topic, "partition": f.partition, "offset": f.offset,
                        "error_type": f.error_type, "error": f.error}})
            self.handled += len(records)
            for topic, n in Counter(r.topic for r in records).items():
                self.instruments.handled.labels(self.service, topic).inc(n)
        finally:
            for span in spans:
                span.end()

    async def _run_with_retries(self, batch: list[Incoming[E]], handler: Handler[E]) -> list[DeadLetter]:
        """Run the batch; on repeated failure run each event alone and dead-letter the ones that fail.

        A failure of the database or broker is never the event's fault: after the retries it raises
        InfrastructureUnavailable, the batch is not committed and the broker delivers it again.
        """
        retries = max(1, self.settings.handler_retries)
        for attempt in range(1, retries + 1):
            try:
                return self._rejections(await handler(batch))
            except UndeclaredTopic:
                raise  # a wiring error, not the events': never dead-letter them for it
            except Exception as exc:  # classified here: infrastructure is retried, the rest isolated
                if is_transient(exc):
                    log.warning("batch failed on infrastructure", extra={"fields": {
                        "attempt": attempt, "error_type": type(exc).__name__}})
                    # back off longer each time, so an outage costs a few polls, not a busy loop
                    await asyncio.sleep(min(0.2 * 2 ** attempt, 5.0))
                    if attempt == retries:
                        raise InfrastructureUnavailable(type(exc).__name__) from exc
                    continue
                log.exception("batch failed", extra={"fields": {"attempt": attempt, "size": len(batch)}})
                if attempt < retries:
                    await asyncio.sleep(min(0.05 * 2 ** attempt, 1.0))
        failures = []
        for item in batch:
            error: BaseException | None = None
            for _ in range(retries if len(batch) > 1 else 1):
                try:
                    failures.extend(self._rejections(await handler([item])))
                    error = None
                    break
                except UndeclaredTopic:
                    raise
                except Exception as exc:  # each failure is recorded below, never swallowed
                    if is_transient(exc):
                        raise InfrastructureUnavailable(type(exc).__name__) from exc
                    error = exc
            if error is not None:
                trace.get_current_span(item.context).set_status(Status(StatusCode.ERROR, type(error).__name__))
                failures.append(dead_letter(item.record, self.service, error, attempts=retries))
        return failures

    def _rejections(self, rejected: list[Rejected] | None) -> list[DeadLetter]:
        """Dead letters for what a handler refused: refused for good, so one attempt each."""
        letters = []
        for r in rejected or []:
            letter = dead_letter(r.item.record, self.service, r.error, attempts=1, original=r.original,
                                 origin=r.origin)
            letters.append(letter.model_copy(update=r.details) if r.details else letter)
        return letters
