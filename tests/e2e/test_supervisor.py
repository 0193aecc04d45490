"""`heed run all`: five service processes under one supervisor that restarts any that dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from heed.runtime.service import INTERNAL_PORT_OFFSET
from tests.e2e.test_crash_recovery import _base_port

pytestmark = pytest.mark.e2e


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def _wait(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout:.0f}s")


def test_run_all_serves_five_services_and_restarts_one_that_is_killed(database_url, fresh_broker, tmp_path: Path):
    base = _base_port()
    env = {**os.environ, "HEED_KAFKA_BOOTSTRAP": fresh_broker, "HEED_DATABASE_URL": database_url,
           "HEED_STATE_DIR": str(tmp_path)}
    supervisor = subprocess.Popen([sys.executable, "-m", "heed_ops.cli", "run", "all", "--base-port", str(base)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # readiness is on each service's internal port; the public port serves /healthz and not /readyz
        ports = [base + INTERNAL_PORT_OFFSET + i for i in range(5)]
        _wait(lambda: all(_ready(p) for p in ports), timeout=90)
        public = [httpx.get(f"http://127.0.0.1:{base + i}{path}", timeout=1.0).status_code
                  for i in range(5) for path in ("/healthz", "/readyz", "/metrics")]
        assert public == [200, 404, 404] * 5
        children = psutil.Process(supervisor.pid).children()
        assert len(children) == 5
        router = next(c for c in children if "router" in c.cmdline())
        router.kill()
        _wait(lambda: not _ready(ports[2]), timeout=10)
        _wait(lambda: _ready(ports[2]), timeout=60)
        assert router.pid not in {c.pid for c in psutil.Process(supervisor.pid).children()}
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=30)
        assert supervisor.returncode == 0
        assert not any(_ready(p) for p in ports)
        assert b"router exited" in (supervisor.stderr.read() if supervisor.stderr else b"")
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
