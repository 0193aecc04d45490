"""The waits built on tenacity keep their promises and their messages: done as soon as the check
holds, a named error when it never does, and a failing check's own error at once."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from heed.devstack import DevStackError, create_topics, free_port, wait_for_port
from heed_ops.processes import ServiceProcesses
from heed_ops.waiting import poll_until
from tests.harness import wait_for


def test_poll_until_calls_the_check_until_it_holds_and_says_so():
    calls: list[int] = []

    def third_call() -> bool:
        calls.append(1)
        return len(calls) == 3

    assert poll_until(third_call, timeout=30, every=0.001)
    assert len(calls) == 3


def test_poll_until_says_false_when_the_check_never_holds():
    assert poll_until(lambda: False, timeout=0.05, every=0.01) is False


def test_an_error_in_the_check_is_raised_at_once_not_retried():
    calls: list[int] = []

    def broken() -> bool:
        calls.append(1)
        raise LookupError("the thing checked is gone")

    with pytest.raises(LookupError, match="gone"):
        poll_until(broken, timeout=30, every=0.001)
    assert calls == [1]


async def test_wait_for_returns_once_the_condition_holds_and_fails_the_test_when_it_never_does():
    seen: list[int] = []

    async def third_time() -> bool:
        seen.append(1)
        return len(seen) == 3

    await wait_for(third_time, timeout=30, every=0.001)
    assert len(seen) == 3

    async def never() -> bool:
        return False

    with pytest.raises(AssertionError, match="condition not met within 0s"):
        await wait_for(never, timeout=0.05, every=0.01)


def test_wait_for_port_returns_when_something_listens_and_names_the_port_when_nothing_does():
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        wait_for_port("127.0.0.1", listening.getsockname()[1], timeout=5)
    closed = free_port()
    with pytest.raises(DevStackError, match=f"nothing listens on 127.0.0.1:{closed} after 0s"):
        wait_for_port("127.0.0.1", closed, timeout=0.2)


def test_creating_topics_on_no_broker_says_which_broker_could_not_be_reached():
    closed = free_port()
    with pytest.raises(DevStackError, match=f"cannot reach the broker at 127.0.0.1:{closed}"):
        asyncio.run(create_topics(f"127.0.0.1:{closed}", timeout=0.3))


def test_wait_ready_names_a_service_that_exited_during_start(tmp_path: Path):
    processes = ServiceProcesses(env={}, log_dir=tmp_path, base_port=free_port(), names=("router",))
    processes.procs["router"] = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    processes.procs["router"].wait()
    with pytest.raises(RuntimeError, match=r"exited during start: \{'router': 3\}"):
        processes.wait_ready(timeout=30)


def test_wait_ready_names_the_services_not_ready_in_time(tmp_path: Path):
    processes = ServiceProcesses(env={}, log_dir=tmp_path, base_port=free_port(), names=("router",))
    processes.procs["router"] = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with pytest.raises(RuntimeError, match=r"not ready after 0s: \['router'\]"):
            processes.wait_ready(timeout=0.3)
    finally:
        processes.stop_all(timeout=5)
