"""The reply outbox in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class OutboxRow:
    reply_id: uuid.UUID
    mention_id: uuid.UUID
    case_id: uuid.UUID
    channel: str
    visibility: str
    mode: str
    in_reply_to: str
    recipient: str
    text: str | None
    language: str | None
    script: str | None
    template_id: str | None
    status: str
    received_at: datetime
    sla_due_at: datetime
    sent_at: datetime | None = None
    error: str | None = None


_COLUMNS = ("reply_id", "mention_id", "case_id", "channel", "visibility", "mode", "in_reply_to", "recipient",
            "text", "language", "script", "template_id", "status", "received_at", "sla_due_at")
_TYPES = ("uuid", "uuid", "uuid", "text", "text", "text", "text", "text", "text", "text", "text", "text",
          "text", "timestamptz", "timestamptz")


async def enqueue(pool: asyncpg.Pool, rows: Sequence[OutboxRow]) -> None:
    """Write replies to send; a mention already in the outbox keeps its first reply."""
    if not rows:
        return
    params = ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(_TYPES))
    await pool.execute(
        f"INSERT INTO replies ({', '.join(_COLUMNS)}) SELECT * FROM unnest({params})"
        " ON CONFLICT (mention_id) DO NOTHING",
        *[[getattr(r, c) for r in rows] for c in _COLUMNS])


async def for_mentions(pool: asyncpg.Pool, mention_ids: Sequence[uuid.UUID]) -> list[OutboxRow]:
    rows = await pool.fetch(
        f"SELECT {', '.join(_COLUMNS)}, sent_at, error FROM replies WHERE mention_id = ANY($1::uuid[])",
        list(mention_ids))
    return [_from_record(r) for r in rows]


def _from_record(r: asyncpg.Record) -> OutboxRow:
    return OutboxRow(
        reply_id=uuid.UUID(str(r["reply_id"])), mention_id=uuid.UUID(str(r["mention_id"])),
        case_id=uuid.UUID(str(r["case_id"])), channel=r["channel"], visibility=r["visibility"], mode=r["mode"],
        in_reply_to=r["in_reply_to"], recipient=r["recipient"], text=r["text"], language=r["language"],
        script=r["script"], template_id=r["template_id"], status=r["status"], received_at=r["received_at"],
        sla_due_at=r["sla_due_at"], sent_at=r["sent_at"], error=r["error"])


async def mark_sent(pool: asyncpg.Pool, sent: dict[uuid.UUID, datetime]) -> None:
    if sent:
        await pool.execute(
            "UPDATE replies SET status = 'sent', sent_at = s.sent_at, error = NULL"
            " FROM unnest($1::uuid[], $2::timestamptz[]) AS s(reply_id, sent_at)"
            " WHERE replies.reply_id = s.reply_id AND replies.status = 'pending'",
            list(sent), list(sent.values()))


async def mark_failed(pool: asyncpg.Pool, failed: dict[uuid.UUID, str]) -> None:
    if failed:
        await pool.execute(
            "UPDATE replies SET status = 'failed', error = s.error"
            " FROM unnest($1::uuid[], $2::text[]) AS s(reply_id, error)"
            " WHERE replies.reply_id = s.reply_id AND replies.status = 'pending'",
            list(failed), list(failed.values()))
