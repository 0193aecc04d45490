"""`heed dlq`: list, show, replay and purge the dead letters ingest archives.

A dead letter's body is personal data: listings never show it, `show` only with `--body`, and
records past `HEED_DLQ_RETENTION_DAYS` are purged (by `heed dlq purge` and hourly by ingest).
Replay publishes the original bytes back to their source topic with their original key. A raw
event's body (what ingest's normaliser dead-letters: the authentic platform bytes) is wrapped in a
RawMention again, with the source and content type it arrived with.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from heed.contracts import topics
from heed.contracts.events import RawMention, derive_id
from heed.runtime.db import create_pool, migrate
from heed.runtime.messaging import create_producer
from heed.runtime.settings import HeedSettings
from heed_ingest.adapters.dead_letters import ArchivedDeadLetter, PostgresDeadLetterArchive
from heed_ops.progress import progress_bars

log = logging.getLogger(__name__)

ERROR_WIDTH = 60
REPLAY_CHUNK = 100
REPLAY_HEADER = "heed-dlq-replay"




@asynccontextmanager
async def archive(dsn: str) -> AsyncIterator[PostgresDeadLetterArchive]:
    """Ingest's archive, its schema migrated to the version these commands are written against."""
    pool = await create_pool(dsn, "ingest", max_size=2)
    try:
        await migrate(pool, "ingest", "heed_ingest")
        yield PostgresDeadLetterArchive(pool)
    finally:
        await pool.close()


async def list_letters(dsn: str, *, since: datetime | None = None, topic: str | None = None,
                       service: str | None = None, limit: int | None = 50) -> list[ArchivedDeadLetter]:
    """The newest dead letters matching the filters, without bodies."""
    async with archive(dsn) as letters:
        return await letters.select(since=since, topic=topic, service=service, limit=limit, newest_first=True)


async def find_letter(dsn: str, letter_id: uuid.UUID,
                      with_body: bool = False) -> tuple[ArchivedDeadLetter | None, bytes | None]:
    """One dead letter, and its body only when asked for."""
    async with archive(dsn) as letters:
        found = await letters.select(ids=[letter_id])
        if not found:
            return None, None
        bodies = await letters.bodies([letter_id]) if with_body else {}
        return found[0], bodies.get(letter_id)


def parse_ids(values: Sequence[str]) -> list[uuid.UUID]:
    ids = []
    for value in values:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise ValueError(f"{value!r} is not a dead letter id (a UUID, as `heed dlq list` shows)") from None
    return ids


_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)([mhd])$")


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """`30m`, `24h`, `7d` ago, or an ISO date or time (UTC unless it says otherwise)."""
    match = _RELATIVE.match(value.strip())
    if match:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
        return (now or datetime.now(UTC)) - timedelta(**{unit: float(match.group(1))})
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--since {value!r}: give 30m, 24h, 7d or an ISO date such as 2026-11-20") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def summary(letter: ArchivedDeadLetter) -> dict[str, Any]:
    """Everything about a dead letter except its body, JSON-ready."""
    return {
        "id": str(letter.event_id), "failed_at": letter.failed_at.isoformat(),
        "source_topic": letter.source_topic, "partition": letter.partition, "offset": letter.offset,
        "key": letter.key, "service": letter.service, "error_type": letter.error_type, "error": letter.error,
        "origin": letter.origin, "raw_source": letter.raw_source, "raw_content_type": letter.raw_content_type,
        "replayed_at": letter.replayed_at.isoformat() if letter.replayed_at else None, "bytes": letter.size,
    }


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def format_list(letters: Sequence[ArchivedDeadLetter]) -> str:
    """One line per dead letter, no bodies; times in UTC."""
    if not letters:
        return "no dead letters"
    header = ("id", "failed (UTC)", "topic", "service", "error_type", "error", "replayed (UTC)")
    rows = [header] + [(str(d.event_id), _when(d.failed_at), d.source_topic, d.service, d.error_type,
                        _clip(d.error, ERROR_WIDTH), _when(d.replayed_at)) for d in letters]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def format_record(letter: ArchivedDeadLetter, body: bytes | None) -> str:
    """Every field on its own line; the body only when given (it is personal data)."""
    lines = [f"{k:<17} {'-' if v is None else v}" for k, v in summary(letter).items()]
    if body is None:
        lines.append(f"{'body':<17} {letter.size} bytes, not shown: personal data (add --body to print it)")
    else:
        lines.append(f"{'body':<17} {len(body)} bytes:")
        lines.append(body.decode("utf-8", "replace"))
    return "\n".join(lines)


def record_json(letter: ArchivedDeadLetter, body: bytes | None) -> dict[str, Any]:
    entry = summary(letter)
    if body is not None:
        entry["original_base64"] = base64.b64encode(body).decode()
    return entry


@dataclass(frozen=True)
class ReplayRecord:
    """What goes back to the broker for one dead letter."""

    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    wrapped_as: str | None  # the RawMention source when a raw body was wrapped again


class UnknownRawSource(ValueError):
    """A raw body archived before its source was recorded: the operator has to name it."""


def replay_record(letter: ArchivedDeadLetter, body: bytes, raw_source: str | None = None) -> ReplayRecord:
    """The record that puts `letter` back on its source topic.

    A raw event's body goes back wrapped in a RawMention with the source it arrived from (recorded
    with the dead letter, or `raw_source` for letters archived before it was). Every other
    original is the event itself and goes back byte for byte.
    """
    key = letter.key.encode() if letter.key is not None else None
    marker = (REPLAY_HEADER, str(letter.event_id).encode())
    source = letter.raw_source
    if source is None and letter.source_topic == topics.MENTIONS_RAW and not _is_raw_envelope(body):
        if raw_source is None:
            raise UnknownRawSource(
                f"dead letter {letter.event_id} holds a raw body whose source was not recorded: "
                "pass --raw-source (webhook:meta, webhook:x, api, replay, …) to say how it arrived")
        source = raw_source
    if source is None:
        return ReplayRecord(letter.source_topic, key, body, [marker], None)
    raw = RawMention(
        event_id=derive_id("dlq-replay", letter.event_id), source=source,
        content_type=letter.raw_content_type or "application/json", body=body,
        # the time Heed first had it: the SLA runs from the customer's message, not the replay
        received_at=letter.failed_at,
        origin=f"dlq-replay:{letter.event_id}" + (f" of {letter.origin}" if letter.origin else ""))
    headers = [("content-type", b"application/json"), ("heed-event", b"RawMention/v1"), marker]
    return ReplayRecord(letter.source_topic, key, raw.model_dump_json().encode(), headers, source)


def _is_raw_envelope(body: bytes) -> bool:
    try:
        RawMention.model_validate_json(body)
    except ValidationError:
        return False
    return True


@dataclass
class ReplayResult:
    replayed: list[uuid.UUID] = field(default_factory=list)
    already_replayed: list[uuid.UUID] = field(default_factory=list)
    not_found: list[uuid.UUID] = field(default_factory=list)
    unknown_source: list[uuid.UUID] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.not_found and not self.unknown_source

    def describe(self) -> str:
        verb = "would replay" if self.dry_run else "replayed"
        lines = [f"{verb} {len(self.replayed)} dead letter(s)"]
        if self.already_replayed:
            lines.append(f"skipped {len(self.already_replayed)} already replayed (add --force to replay again): "
                         + _ids(self.already_replayed))
        if self.not_found:
            lines.append(f"not found: {_ids(self.not_found)}")
        if self.unknown_source:
            lines.append(f"raw source unknown (pass --raw-source): {_ids(self.unknown_source)}")
        return "\n".join(lines)


def _ids(ids: Sequence[uuid.UUID], most: int = 10) -> str:
    shown = ", ".join(str(i) for i in ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")


async def select_for_replay(letters: PostgresDeadLetterArchive, ids: Sequence[uuid.UUID] | None, topic: str | None,
                            force: bool) -> tuple[list[ArchivedDeadLetter], ReplayResult]:
    """The dead letters to replay, oldest first, and the ones refused (missing, already replayed)."""
    result = ReplayResult()
    if ids is None:
        return await letters.select(topic=topic, replayed=None if force else False), result
    found = await letters.select(ids=ids, topic=topic)
    known = {d.event_id for d in found}
    result.not_found = [i for i in dict.fromkeys(ids) if i not in known]
    result.already_replayed = [d.event_id for d in found if d.replayed_at is not None and not force]
    return [d for d in found if force or d.replayed_at is None], result


async def replay(dsn: str, bootstrap: str | None, ids: Sequence[uuid.UUID] | None, *, topic: str | None = None,
                 force: bool = False, dry_run: bool = False, raw_source: str | None = None) -> ReplayResult:
    """Publish dead letters back to their source topics and mark them replayed.

    `ids=None` means every dead letter not yet replayed (every one with `force`). Each chunk is
    marked only after the broker acknowledged it: a crash in between replays it again, which the
    idempotent consumers absorb.
    """
    async with archive(dsn) as archived:
        letters, result = await select_for_replay(archived, ids, topic, force)
        result.dry_run = dry_run
        if dry_run or not letters:
            for chunk in _chunks(letters, REPLAY_CHUNK):
                _plan(chunk, await archived.bodies([d.event_id for d in chunk]), raw_source, result)
            return result
        if bootstrap is None:
            raise RuntimeError("replay needs the broker: set HEED_KAFKA_BOOTSTRAP or start `heed dev up`")
        producer = create_producer(HeedSettings(kafka_bootstrap=bootstrap), "dlq-replay")
        await producer.start()
        # a bar only for replays of more than one chunk
        with progress_bars(disable=len(letters) < REPLAY_CHUNK) as bars:
            replayed = bars.add_task("replayed", total=len(letters))
            try:
                for chunk in _chunks(letters, REPLAY_CHUNK):
                    bodies = await archived.bodies([d.event_id for d in chunk])
                    planned = _plan(chunk, bodies, raw_source, result)
                    acks = [await producer.send(r.topic, r.value, key=r.key, headers=r.headers) for _, r in planned]
                    await asyncio.gather(*acks)
                    await archived.mark_replayed([d.event_id for d, _ in planned])
                    bars.advance(replayed, len(chunk))
            finally:
                await producer.stop()
        return result


def _plan(chunk: Sequence[ArchivedDeadLetter], bodies: dict[uuid.UUID, bytes], raw_source: str | None,
          result: ReplayResult) -> list[tuple[ArchivedDeadLetter, ReplayRecord]]:
    planned = []
    for letter in chunk:
        body = bodies.get(letter.event_id)
        if body is None:  # purged since it was selected
            result.not_found.append(letter.event_id)
            continue
        try:
            planned.append((letter, replay_record(letter, body, raw_source)))
        except UnknownRawSource:
            result.unknown_source.append(letter.event_id)
            continue
        result.replayed.append(letter.event_id)
    return planned


def _chunks(items: Sequence[ArchivedDeadLetter], size: int) -> list[Sequence[ArchivedDeadLetter]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


async def purge(dsn: str, older_than: timedelta) -> int:
    """Delete dead letters that failed more than `older_than` ago; returns how many."""
    async with archive(dsn) as letters:
        return await letters.purge(older_than)
