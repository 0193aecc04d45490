"""A running Heed: the dev stack (or the configured broker and database), a database for this
session, and the five services as processes. The demo, the benchmark and e2e tests use it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from heed import devstack
from heed.runtime.settings import HeedSettings
from heed_ops import report
from heed_ops.console import console_env
from heed_ops.lag import total_lag
from heed_ops.processes import ServiceProcesses, free_base_port
from heed_ops.services import CONSUMER_GROUPS
from heed_ops.waiting import poll_until


@dataclass(frozen=True)
class Stack:
    """The broker and this session's database, and the state directory that records them."""

    state_dir: Path
    kafka_bootstrap: str
    database_url: str


@dataclass
class Session:
    kafka_bootstrap: str
    database_url: str
    processes: ServiceProcesses
    started_at: datetime

    def figures(self, breakdown: bool = False) -> dict[str, Any]:
        return asyncio.run(report.collect(self.database_url, self.started_at, breakdown=breakdown))

    def lag(self) -> int:
        return asyncio.run(total_lag(self.kafka_bootstrap, list(CONSUMER_GROUPS)))

    def wait_breaches(self, timeout: float = 150.0) -> bool:
        """Wait until every case still owed an answer has breached its SLA (the demo's team leaves
        some unanswered, and the router's timers must fire for each)."""
        async def unbreached() -> int:
            conn = await asyncpg.connect(self.database_url)
            try:
                return int(await conn.fetchval(
                    "SELECT count(*) FROM router.cases WHERE status IN ('new', 'acknowledged', 'pending_department')"
                    " AND sla_due_at IS NOT NULL AND sla_breached_at IS NULL"))
            finally:
                await conn.close()

        return poll_until(lambda: asyncio.run(unbreached()) == 0, timeout=timeout, every=1.0)

    def wait_caught_up(self, timeout: float = 180.0, on_poll: Callable[[int], Any] | None = None) -> bool:
        """Wait until no consumer group has anything left to process, twice in a row."""
        zeros_in_a_row = 0

        def caught_up() -> bool:
            nonlocal zeros_in_a_row
            lag = self.lag()
            if on_poll:
                on_poll(lag)
            zeros_in_a_row = zeros_in_a_row + 1 if lag == 0 else 0
            return zeros_in_a_row >= 2

        return poll_until(caught_up, timeout=timeout, every=0.3)


@contextmanager
def stack(state_dir: Path, database: str, fresh: bool = True, keep_stack: bool = False) -> Iterator[Stack]:
    """The broker and a database named `database` (dropped first when `fresh`); stops what was started here."""
    settings = HeedSettings()
    state_dir = state_dir.resolve()
    was_running = devstack.StackState.read(state_dir) is not None
    try:
        if settings.database_url:
            database_url = settings.database_url
            state = devstack.up(state_dir, settings.kafka_bootstrap, database_url)
        else:
            state = devstack.up(state_dir, settings.kafka_bootstrap, None, database="heed")
            admin_dsn = state.database_url
            if fresh:
                asyncio.run(devstack.drop_database(admin_dsn, database))
            database_url = asyncio.run(devstack.create_database(admin_dsn, database))
        yield Stack(state_dir, state.kafka_bootstrap, database_url)
    finally:
        if not was_running and not keep_stack:
            devstack.down(state_dir)


@contextmanager
def services(up: Stack, base_port: int | None = None, env: dict[str, str] | None = None) -> Iterator[Session]:
    """The five services as processes on `up`, ready; stopped on exit. `env` adds settings (HEED_…)."""
    env = {**(env or {}), "HEED_KAFKA_BOOTSTRAP": up.kafka_bootstrap, "HEED_DATABASE_URL": up.database_url,
           "HEED_STATE_DIR": str(up.state_dir)}
    port = base_port or free_base_port(preferred=8080)
    processes = ServiceProcesses(env=env, log_dir=up.state_dir / "logs", base_port=port)
    processes.env.update(console_env(processes))  # the console's calls to crm-sync and the responder
    started_at = datetime.now(UTC)
    processes.start_all()
    try:
        processes.wait_ready(timeout=90)
        yield Session(up.kafka_bootstrap, up.database_url, processes, started_at)
    finally:
        processes.stop_all()


@contextmanager
def running(state_dir: Path, database: str, fresh: bool = True, base_port: int | None = None,
            keep_stack: bool = False, env: dict[str, str] | None = None) -> Iterator[Session]:
    """Start what is needed, yield a Session, and stop what was started here."""
    with stack(state_dir, database, fresh, keep_stack) as up, services(up, base_port, env) as session:
        yield session
