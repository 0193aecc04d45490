"""`heed bench`'s own queries on the services' real schemas: the cheap progress poll and the
figures read once at the end count the same rows."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from heed_ops.bench import measure, progress
from tests.harness import migrated


async def _seed(database_url: str, since: datetime) -> None:
    async with migrated(database_url, "crm", "heed_crm_sync") as crm, \
            migrated(database_url, "responder", "heed_responder"):
        customer = uuid.uuid4()
        await crm.execute("INSERT INTO customers (customer_id) VALUES ($1)", customer)
        for i in range(3):
            await crm.execute(
                "INSERT INTO interactions (mention_id, customer_id, channel, native_id, kind, visibility, text,"
                " occurred_at) VALUES ($1, $2, 'x', $3, 'mention', 'public', 'hello', now())",
                uuid.uuid4(), customer, f"n{i}")
    conn = await asyncpg.connect(database_url)
    try:
        rows = [  # (kind, status, received, sent): two automatic replies sent 1 s and 3 s after receipt
            ("auto", "sent", since + timedelta(seconds=1), since + timedelta(seconds=2)),
            ("auto", "sent", since + timedelta(seconds=1), since + timedelta(seconds=4)),
            ("auto", "pending", since + timedelta(seconds=1), None),
            ("handoff", "sent", since + timedelta(seconds=1), since + timedelta(seconds=2)),  # not counted
            ("auto", "sent", since - timedelta(hours=1), since - timedelta(hours=1)),  # an earlier run's
        ]
        for kind, status, received, sent in rows:
            await conn.execute(
                "INSERT INTO responder.replies (reply_id, mention_id, case_id, channel, visibility, mode,"
                " in_reply_to, recipient, status, received_at, sla_due_at, sent_at, kind)"
                " VALUES ($1, $2, $3, 'x', 'public', 'answer', 'p', 'r', $4, $5, $5, $6, $7)",
                uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), status, received, sent, kind)
    finally:
        await conn.close()


async def test_progress_counts_what_the_figures_count(database_url: str) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    await _seed(database_url, since)

    reached, handled = await progress(database_url, since, 3)
    figures = await measure(database_url, since, time.time() - 10)

    assert (reached, handled) == (3, 3)
    assert await progress(database_url, since, 4) == (3, 0)  # the outbox is counted once the CRM has them all
    assert figures["crm_interactions"] == reached and figures["handled"] == handled
    assert figures["replies_sent"] == 2
    assert figures["latency_ms"] == {"p50": 2000.0, "p99": 2980.0}
    assert figures["duplicate_sends"] == 0
