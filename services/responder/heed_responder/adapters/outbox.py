"""The reply outbox in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from heed_responder.domain.customers import Erasure
from heed_responder.domain.outbox import ERASED, OutboxRow, OutboxStatus
from heed_responder.ports import Delivery

_COLUMNS = ("reply_id", "mention_id", "case_id", "channel", "visibility", "mode", "in_reply_to", "recipient",
            "text", "language", "script", "template_id", "status", "received_at", "sla_due_at", "kind", "author",
            "answer_id", "substantive", "error", "account", "thread_root", "erased")
# error too: an answer refused before sending (too long for the channel) is written failed with its reason
_TYPES = ("uuid", "uuid", "uuid", "text", "text", "text", "text", "text", "text", "text", "text", "text",
          "text", "timestamptz", "timestamptz", "text", "text", "uuid", "boolean", "text", "text", "text", "boolean")
_READ = ", ".join(_COLUMNS) + ", sent_at, platform_message_id, attempts, next_attempt_at"


class PostgresOutbox:
    """The Outbox over the responder's `replies` table; the updates hold `domain.outbox.TRANSITIONS`."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def enqueue(self, replies: Sequence[OutboxRow]) -> None:
        params = ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(_TYPES))
        automatic = [r for r in replies if r.kind == "auto"]
        handoffs = [r for r in replies if r.kind == "handoff"]
        answers = [r for r in replies if r.kind not in ("auto", "handoff")]
        # the first reply written for a mention (automatic, handoff) or an answer wins; a redelivery adds nothing
        for rows, conflict in ((automatic, "(mention_id) WHERE kind = 'auto'"),
                               (handoffs, "(mention_id) WHERE kind = 'handoff'"), (answers, "(answer_id)")):
            if rows:
                await self.pool.execute(
                    f"INSERT INTO replies ({', '.join(_COLUMNS)}) SELECT * FROM unnest({params})"
                    f" ON CONFLICT {conflict} DO NOTHING",
                    *[[_column(r, c) for r in rows] for c in _COLUMNS])

    async def for_mentions(self, mention_ids: Sequence[uuid.UUID]) -> list[OutboxRow]:
        rows = await self.pool.fetch(
            f"SELECT {_READ} FROM replies WHERE mention_id = ANY($1::uuid[]) AND kind IN ('auto', 'handoff')",
            list(mention_ids))
        return [_from_record(r) for r in rows]

    async def for_answers(self, answer_ids: Sequence[uuid.UUID]) -> list[OutboxRow]:
        rows = await self.pool.fetch(
            f"SELECT {_READ} FROM replies WHERE answer_id = ANY($1::uuid[])", list(answer_ids))
        return [_from_record(r) for r in rows]

    async def claim(self, reply_ids: Sequence[uuid.UUID], now: datetime) -> set[uuid.UUID]:
        rows = await self.pool.fetch(
            "UPDATE replies SET status = 'sending', sending_at = $2, attempts = attempts + 1"
            " WHERE reply_id = ANY($1::uuid[]) AND status = 'pending' RETURNING reply_id", list(reply_ids), now)
        return {r["reply_id"] for r in rows}

    async def record(self, delivery: Delivery, now: datetime, *, reported: bool = True) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            if delivery.sent:
                ids = list(delivery.sent)
                await conn.execute(
                    # a reply in flight when its customer was erased: sent, but its platform id is not kept
                    "UPDATE replies SET status = 'sent', sent_at = s.sent_at,"
                    " platform_message_id = CASE WHEN replies.erased THEN NULL ELSE s.pid END,"
                    " error = NULL, reported = $4"
                    " FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) AS s(reply_id, sent_at, pid)"
                    " WHERE replies.reply_id = s.reply_id AND replies.status IN ('pending', 'sending', 'unknown')",
                    ids, [delivery.sent[i] for i in ids], [delivery.platform_ids.get(i) for i in ids], reported)
            for status, reasons, sources in (
                    ("failed", delivery.failed, "('pending', 'sending', 'unknown')"),
                    ("unknown", delivery.unknown, "('sending')")):
                if reasons:
                    await conn.execute(
                        f"UPDATE replies SET status = '{status}', error = s.error, reported = $3"
                        " FROM unnest($1::uuid[], $2::text[]) AS s(reply_id, error)"
                        f" WHERE replies.reply_id = s.reply_id AND replies.status IN {sources}",
                        list(reasons), list(reasons.values()), reported)
            if delivery.retry:
                ids = list(delivery.retry)
                await conn.execute(
                    "UPDATE replies SET status = 'pending', error = s.error, next_attempt_at = s.at"
                    " FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS s(reply_id, error, at)"
                    " WHERE replies.reply_id = s.reply_id AND replies.status IN ('pending', 'sending')",
                    ids, [delivery.retry[i][0] for i in ids], [delivery.retry[i][1] for i in ids])

    async def stuck(self, sending_before: datetime, limit: int) -> list[OutboxRow]:
        rows = await self.pool.fetch(
            f"SELECT {_READ} FROM replies WHERE status = 'sending' AND sending_at < $1"
            " ORDER BY sending_at LIMIT $2", sending_before, limit)
        return [_from_record(r) for r in rows]

    async def due(self, now: datetime, limit: int) -> list[OutboxRow]:
        rows = await self.pool.fetch(
            f"SELECT {_READ} FROM replies WHERE status = 'pending' AND next_attempt_at <= $1"
            " ORDER BY next_attempt_at LIMIT $2", now, limit)
        return [_from_record(r) for r in rows]

    async def unreported(self, limit: int) -> list[OutboxRow]:
        rows = await self.pool.fetch(f"SELECT {_READ} FROM replies WHERE NOT reported LIMIT $1", limit)
        return [_from_record(r) for r in rows]

    async def mark_reported(self, reply_ids: Sequence[uuid.UUID]) -> None:
        await self.pool.execute("UPDATE replies SET reported = true WHERE reply_id = ANY($1::uuid[])",
                                list(reply_ids))

    async def forget(self, erasures: Sequence[Erasure]) -> None:
        if not erasures:
            return
        # as domain.outbox.forget; the right-hand sides read the row as it was
        await self.pool.execute(
            "UPDATE replies SET status = CASE replies.status WHEN 'pending' THEN 'failed'"
            " WHEN 'sending' THEN 'unknown' ELSE replies.status END,"
            " error = CASE WHEN replies.status IN ('pending', 'sending') THEN $4 ELSE replies.error END,"
            " text = NULL, recipient = '', in_reply_to = '', thread_root = NULL, platform_message_id = NULL,"
            " next_attempt_at = NULL, erased = true, reported = true"
            " FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS e(channel, recipient, before)"
            " WHERE replies.channel = e.channel AND replies.recipient = e.recipient"
            " AND replies.received_at <= e.before",
            [e.channel for e in erasures], [e.platform_id for e in erasures], [e.before for e in erasures], ERASED)


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
        kind=r["kind"], author=r["author"], answer_id=r["answer_id"], substantive=r["substantive"],
        account=r["account"], thread_root=r["thread_root"], platform_message_id=r["platform_message_id"],
        attempts=r["attempts"], next_attempt_at=r["next_attempt_at"], erased=r["erased"])
