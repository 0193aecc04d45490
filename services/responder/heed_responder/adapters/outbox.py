"""The reply outbox in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

import asyncpg

from heed_responder.domain.outbox import OutboxRow, OutboxStatus

_COLUMNS = ("reply_id", "mention_id", "case_id", "channel", "visibility", "mode", "in_reply_to", "recipient",
            "text", "language", "script", "template_id", "status", "received_at", "sla_due_at", "kind", "author",
            "answer_id", "substantive", "error")
# error too: an answer refused before sending (too long for the channel) is written failed with its reason
_TYPES = ("uuid", "uuid", "uuid", "text", "text", "text", "text", "text", "text", "text", "text", "text",
          "text", "timestamptz", "timestamptz", "text", "text", "uuid", "boolean", "text")


class PostgresOutbox:
    """The Outbox over the responder's `replies` table; the updates hold `domain.outbox.TRANSITIONS`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def enqueue(self, replies: Sequence[OutboxRow]) -> None:
        params = ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(_TYPES))
        automatic = [r for r in replies if r.kind == "auto"]
        answers = [r for r in replies if r.kind != "auto"]
        # the first reply written for a mention (automatic) or an answer wins; a redelivery adds nothing
        for rows, conflict in ((automatic, "(mention_id) WHERE kind = 'auto'"), (answers, "(answer_id)")):
            if rows:
                await self.pool.execute(
                    f"INSERT INTO replies ({', '.join(_COLUMNS)}) SELECT * FROM unnest({params})"
                    f" ON CONFLICT {conflict} DO NOTHING",
                    *[[_column(r, c) for r in rows] for c in _COLUMNS])

    async def for_mentions(self, mention_ids: Sequence[uuid.UUID]) -> list[OutboxRow]:
        rows = await self.pool.fetch(
            f"SELECT {', '.join(_COLUMNS)}, sent_at FROM replies"
            " WHERE mention_id = ANY($1::uuid[]) AND kind = 'auto'", list(mention_ids))
        return [_from_record(r) for r in rows]

    async def for_answers(self, answer_ids: Sequence[uuid.UUID]) -> list[OutboxRow]:
        rows = await self.pool.fetch(
            f"SELECT {', '.join(_COLUMNS)}, sent_at FROM replies WHERE answer_id = ANY($1::uuid[])",
            list(answer_ids))
        return [_from_record(r) for r in rows]

    async def mark_sent(self, sent: Mapping[uuid.UUID, datetime]) -> None:
        if sent:
            await self.pool.execute(
                "UPDATE replies SET status = 'sent', sent_at = s.sent_at, error = NULL"
                " FROM unnest($1::uuid[], $2::timestamptz[]) AS s(reply_id, sent_at)"
                " WHERE replies.reply_id = s.reply_id AND replies.status = 'pending'",
                list(sent), list(sent.values()))

    async def mark_failed(self, failed: Mapping[uuid.UUID, str]) -> None:
        if failed:
            await self.pool.execute(
                "UPDATE replies SET status = 'failed', error = s.error"
                " FROM unnest($1::uuid[], $2::text[]) AS s(reply_id, error)"
                " WHERE replies.reply_id = s.reply_id AND replies.status = 'pending'",
                list(failed), list(failed.values()))


def _column(row: OutboxRow, column: str) -> object:
    value = getattr(row, column)
    return value.value if isinstance(value, OutboxStatus) else value


def _from_record(r: asyncpg.Record) -> OutboxRow:
    return OutboxRow(
        reply_id=uuid.UUID(str(r["reply_id"])), mention_id=uuid.UUID(str(r["mention_id"])),
        case_id=uuid.UUID(str(r["case_id"])), channel=r["channel"], visibility=r["visibility"], mode=r["mode"],
        in_reply_to=r["in_reply_to"], recipient=r["recipient"], text=r["text"], language=r["language"],
        script=r["script"], template_id=r["template_id"], status=OutboxStatus(r["status"]),
        received_at=r["received_at"], sla_due_at=r["sla_due_at"], sent_at=r["sent_at"], error=r["error"],
        kind=r["kind"], author=r["author"], answer_id=r["answer_id"], substantive=r["substantive"])
