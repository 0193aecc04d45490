"""Outbound channel adapters. The sandbox records every sent message in PostgreSQL.

An adapter sends each reply at most once per reply id: the sandbox enforces it with its primary
key, as a platform would with an idempotency key.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from heed_responder.domain.customers import Erasure
from heed_responder.domain.outbox import OutboxRow
from heed_responder.ports import Delivery


class SandboxChannel:
    """The default Channel: what would have been posted goes to `sandbox_messages`, keyed by reply."""

    idempotent = True  # a reply given twice is one row (its primary key), so no `sending` stage

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def send(self, replies: Sequence[OutboxRow]) -> Delivery:
        if not replies:
            return Delivery()
        await self.pool.execute(
            "INSERT INTO sandbox_messages (reply_id, mention_id, channel, visibility, recipient, in_reply_to, text)"
            " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],"
            " $7::text[]) ON CONFLICT (reply_id) DO NOTHING",
            [r.reply_id for r in replies], [r.mention_id for r in replies], [r.channel for r in replies],
            [r.visibility for r in replies],
            [r.recipient for r in replies], [r.in_reply_to for r in replies], [r.text or "" for r in replies])
        rows = await self.pool.fetch(
            "SELECT reply_id, sent_at FROM sandbox_messages WHERE reply_id = ANY($1::uuid[])",
            [r.reply_id for r in replies])
        return Delivery(sent={uuid.UUID(str(r["reply_id"])): r["sent_at"] for r in rows})

    async def recover(self, replies: Sequence[OutboxRow]) -> Delivery:
        return await self.send(replies)

    async def forget(self, erasures: Sequence[Erasure]) -> None:
        if erasures:
            await self.pool.execute(
                "DELETE FROM sandbox_messages m USING unnest($1::text[], $2::text[], $3::timestamptz[])"
                " AS e(channel, recipient, before)"
                " WHERE m.channel = e.channel AND m.recipient = e.recipient AND m.sent_at <= e.before",
                [e.channel for e in erasures], [e.platform_id for e in erasures], [e.before for e in erasures])
