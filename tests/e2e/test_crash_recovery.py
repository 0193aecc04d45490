"""The five services as processes: kill -9 the classifier and the responder mid-stream,
restart them, and nothing is lost and nothing is sent twice."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from heed_ingest.replay import replay_file
from heed_ops.processes import ServiceProcesses, free_base_port
from tests.harness import client_publisher, count, mention_line, wait_for, write_jsonl

pytestmark = pytest.mark.e2e

N = 500


def _base_port() -> int:
    return free_base_port()


async def _publish_slowly(bootstrap: str, path: Path, chunks: int = 25, pause: float = 0.15) -> None:
    """Replay the file in pieces so the kills land while mentions are still flowing."""
    lines = path.read_bytes().splitlines()
    step = len(lines) // chunks
    async with client_publisher(bootstrap) as publisher:
        for i in range(0, len(lines), step):
            part = path.with_suffix(f".{i}.jsonl")
            part.write_bytes(b"\n".join(lines[i:i + step]) + b"\n")
            await replay_file(part, publisher)
            await asyncio.sleep(pause)


def test_kill_9_classifier_and_responder_mid_stream_loses_nothing_and_sends_nothing_twice(
        database_url, fresh_broker, tmp_path: Path):
    dsn = database_url
    processes = ServiceProcesses(env={"HEED_KAFKA_BOOTSTRAP": fresh_broker, "HEED_DATABASE_URL": dsn,
                                      "HEED_INGEST_API_TOKENS": "t"},
                                 log_dir=tmp_path / "logs", base_port=_base_port())
    path = write_jsonl(tmp_path / "crash.jsonl", [mention_line(i, "crash") for i in range(N)])
    processes.start_all()
    try:
        processes.wait_ready(timeout=120)

        async def scenario() -> None:
            publishing = asyncio.create_task(_publish_slowly(fresh_broker, path))

            async def some_replied() -> bool:
                return await count(dsn, "SELECT count(*) FROM responder.replies") > 0

            await wait_for(some_replied, timeout=60, every=0.05)
            processes.kill("classifier")
            processes.kill("responder")
            replied_at_kill = await count(dsn, "SELECT count(*) FROM responder.sandbox_messages")
            await asyncio.sleep(1.0)
            processes.start("classifier")
            processes.start("responder")
            await publishing
            assert replied_at_kill < N, "the kill must land mid-stream"

            async def all_through() -> bool:
                return (await count(dsn, "SELECT count(*) FROM crm.interaction_replies WHERE status = 'sent'") == N
                        and await count(dsn, "SELECT count(*) FROM crm.interactions") == N)

            await wait_for(all_through, timeout=180)

        asyncio.run(scenario())
        assert asyncio.run(count(dsn, "SELECT count(*) FROM responder.sandbox_messages")) == N
        assert asyncio.run(count(dsn, "SELECT count(DISTINCT mention_id) FROM responder.sandbox_messages")) == N
        assert asyncio.run(count(dsn, "SELECT count(*) FROM responder.replies WHERE status = 'sent'")) == N
        assert asyncio.run(count(dsn, "SELECT count(*) FROM classifier.classifications")) == N
        assert asyncio.run(count(dsn, "SELECT count(*) FROM router.routed")) == N
    finally:
        processes.stop_all()
        time.sleep(0.1)
