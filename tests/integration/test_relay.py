"""The bare relay on a real broker: every mention published reaches every hop, on topics created
for the run and deleted after it, and the run yields the figures `heed bench` divides by."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from heed_ops.bench import run_relay
from heed_ops.progress import progress_bars
from heed_ops.session import Stack

pytestmark = pytest.mark.integration


async def _relay_topics(bootstrap: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return [name for name in await admin.list_topics() if name.startswith("relay.")]
    finally:
        await admin.close()


def test_the_relay_carries_every_mention_through_every_hop_and_leaves_no_topic_behind(fresh_broker, tmp_path: Path):
    up = Stack(tmp_path, fresh_broker, database_url="unused: the relay has no database")
    with progress_bars(disable=True) as bars:
        figures = run_relay(up, 300, rate=None, bars=bars, timeout=120)
    assert figures["mentions_per_s"] > 0 and figures["elapsed_s"] > 0
    assert 0 < figures["latency_ms"]["p50"] <= figures["latency_ms"]["p99"]
    assert asyncio.run(_relay_topics(fresh_broker)) == []
    assert list((tmp_path / "relay").iterdir()) == []  # the status files went with the run
