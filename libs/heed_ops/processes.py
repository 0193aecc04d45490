"""Services as real processes: start, readiness, kill, restart. Used by `heed run all`, the demo,
the benchmark and the end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from heed.contracts.topology import INTERNAL_PORT_OFFSET, node
from heed.contracts.topology import SERVICES as NODES
from heed.devstack import DevStackError, free_port, free_port_block
from heed_ops.services import SERVICES
from heed_ops.waiting import poll_until


def free_base_port(preferred: int | None = None) -> int:
    """A base port for `ServiceProcesses`: base..base+4 and the internal ports above them are free."""
    count = len(SERVICES)
    for _ in range(50):
        base = free_port_block(count, preferred)
        internal = base + INTERNAL_PORT_OFFSET
        if all(free_port(internal + i) == internal + i for i in range(count)):
            return base
        preferred = None
    raise DevStackError(f"no {count} consecutive free ports with the {count} ports "
                        f"{INTERNAL_PORT_OFFSET} above them free")


@dataclass
class ServiceProcesses:
    env: dict[str, str]
    log_dir: Path
    base_port: int = 8080
    names: tuple[str, ...] = tuple(SERVICES)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def port(self, name: str) -> int:
        """The public port of `name`: webhooks, the API, /healthz."""
        # each node's own port, moved by as much as the base is moved from the first node's
        return self.base_port + node(name).port - NODES[0].port

    def internal_port(self, name: str) -> int:
        """The internal port of `name`: /healthz, /readyz, /metrics; its public port + 100, as a service alone."""
        return self.port(name) + INTERNAL_PORT_OFFSET

    def start(self, name: str) -> subprocess.Popen[bytes]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # both ports set here, so a HEED_INTERNAL_PORT in the environment cannot give five services one port
        env = {**os.environ, **self.env, "HEED_HTTP_PORT": str(self.port(name)),
               "HEED_INTERNAL_PORT": str(self.internal_port(name))}
        with (self.log_dir / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "heed_ops.cli", "run", name], env=env,
                                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs[name] = proc
        return proc

    def start_all(self) -> None:
        for name in self.names:
            self.start(name)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs[name]
        proc.send_signal(sig)
        proc.wait(timeout=30)

    def stop_all(self, timeout: float = 20.0) -> None:
        stop_processes(list(self.procs.values()), timeout)

    def exited(self) -> dict[str, int]:
        return {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}

    def wait_ready(self, names: tuple[str, ...] | None = None, timeout: float = 60.0) -> None:
        """Block until every service answers /readyz with 200; raise naming the ones that did not."""
        waiting = set(names or self.names)
        with httpx.Client(timeout=2.0) as client:

            def all_ready() -> bool:
                dead = {n: c for n, c in self.exited().items() if n in waiting}
                if dead:
                    raise RuntimeError(f"service(s) exited during start: {dead}; logs in {self.log_dir}")
                for name in sorted(waiting):
                    try:
                        if client.get(f"http://127.0.0.1:{self.internal_port(name)}/readyz").status_code == 200:
                            waiting.discard(name)
                    except httpx.HTTPError:  # not listening yet: asked again at the next poll
                        pass
                return not waiting

            if not poll_until(all_ready, timeout=timeout, every=0.2):
                raise RuntimeError(f"not ready after {timeout:.0f}s: {sorted(waiting)}; logs in {self.log_dir}")


def stop_processes(procs: list[subprocess.Popen[bytes]], timeout: float = 20.0) -> None:
    """SIGTERM each process still running, then wait for all; the ones still running at `timeout` are killed."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def supervise(processes: ServiceProcesses) -> int:
    """`heed run all`: run the five services, restart any that dies, stop all on SIGINT/SIGTERM."""
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    processes.start_all()
    restarts: dict[str, float] = {}
    while not stopping:
        time.sleep(0.5)
        for name, code in processes.exited().items():
            if stopping:
                break
            delay = min(30.0, restarts.get(name, 0.5) * 2)
            restarts[name] = delay
            print(f"heed: {name} exited with {code}; restarting in {delay:.0f}s", file=sys.stderr)
            time.sleep(delay)
            processes.start(name)
    processes.stop_all()
    return 0
