"""`heed demo` / `make run`: the whole platform on the embedded stack, the bundled sample
replayed through it, and a summary."""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from heed.runtime.messaging import open_publisher
from heed_ops.console import demo_login
from heed_ops.progress import progress_bars
from heed_ops.report import format_table
from heed_ops.session import Session, running
from heed_ops.team import Team, TeamReport, demo_rules, rating_lines, write_lines

AGENTS = ("li", "maya", "somchai")  # the simulated agents' names


async def simulate(api: str, tokens: dict[str, str], bootstrap: str, state_dir: Path,
                   say: Callable[[str], None]) -> TeamReport:
    """The simulated team answers a share of each queue and resolves what reached the customer; the
    follow-ups go out; simulated customers answer them with a rating, replayed like any mention."""
    team = Team(api, tokens, say=say)
    try:
        answered = await team.work_queues()
        resolved = await team.resolve_when_delivered(answered)
        say(f"heed demo: {len(resolved)} cases resolved; waiting for their follow-ups")
        followed = await team.followed_up([c["case_id"] for c in resolved])
        if followed:
            path = write_lines(state_dir / "demo-ratings.jsonl", rating_lines(followed))
            team.report.ratings_sent = await replay(bootstrap, path)
        return team.report
    finally:
        await team.aclose()

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "samples" / "mentions.jsonl"


async def replay(bootstrap: str, path: Path, advance: Callable[[int], None] | None = None) -> int:
    """Publish each line of `path` as a raw event; returns how many the broker acknowledged.

    `advance` is called with the number of lines in each chunk the broker acknowledged.
    """
    from heed_ingest.replay import replay_file

    async with open_publisher(bootstrap, "heed-replay") as publisher:
        return await replay_file(path, publisher, chunk=100, progress=advance)


def run_demo(state_dir: Path, sample: Path = SAMPLE, as_json: bool = False, keep_running: bool = False
             ) -> dict[str, Any]:
    """Replay the sample, let the simulated team work, print the summary; with `keep_running` (`make
    run`), then leave everything up with the console's URL and a demo login until Ctrl-C."""
    from heed_ingest.replay import count_lines
    from heed_router.adapters.rules_file import shipped_rules_path

    if not sample.exists():
        raise FileNotFoundError(f"sample not found: {sample}")
    total = count_lines(sample)

    def say(msg: str) -> None:
        print(msg, file=sys.stderr)

    state_dir.mkdir(parents=True, exist_ok=True)
    rules = demo_rules(shipped_rules_path(), state_dir / "demo-routing-rules.yaml")
    tokens = {name: secrets.token_urlsafe(24) for name in AGENTS}
    env = {"HEED_ROUTER_RULES": str(rules), "HEED_ROUTER_TIMER_POLL_S": "0.5",
           "HEED_API_TOKENS": ",".join(f"{name}:agent:{token}" for name, token in tokens.items())}
    say(f"heed demo: starting broker, database and five services (state in {state_dir}); "
        "SLAs shortened to seconds for the demo")
    with running(state_dir, database="heed_demo", env=env) as session:
        figures = _demo(session, sample, total, tokens, state_dir, say, as_json, keep_running)
    if not figures["caught_up"]:
        raise RuntimeError("the pipeline did not catch up within 180 s; see the service logs")
    return figures


def _demo(session: Session, sample: Path, total: int, tokens: dict[str, str], state_dir: Path,
          say: Callable[[str], None], as_json: bool, keep_running: bool) -> dict[str, Any]:
    say(f"heed demo: services ready; replaying {total} mentions from {sample.name}")
    with progress_bars() as bars:
        replayed = bars.add_task("replayed", total=total)
        sent = asyncio.run(replay(session.kafka_bootstrap, sample, partial(bars.advance, replayed)))
        processed = bars.add_task("processed", total=sent)

        def poll(lag: int) -> None:
            f = session.figures()
            bars.update(processed, completed=(f["mentions"] or 0) + (f["dlq"] or 0)
                        + (f["duplicates_dropped"] or 0) if lag else sent)

        caught_up = session.wait_caught_up(timeout=180, on_poll=poll)
    api = f"http://127.0.0.1:{session.processes.port('router')}"
    say(f"heed demo: a SIMULATED team ({', '.join(AGENTS)}) works the queues through the cases API")
    team = asyncio.run(simulate(api, tokens, session.kafka_bootstrap, state_dir, say))
    say("heed demo: waiting for the cases the team left to breach their (demo) SLAs")
    session.wait_breaches(timeout=150)
    session.wait_caught_up(timeout=60)
    figures = session.figures(breakdown=True)
    figures["replayed_lines"] = sent
    figures["caught_up"] = caught_up
    figures["simulated_team"] = team.as_dict()
    if as_json:
        print(json.dumps(figures, ensure_ascii=False, default=str))
    else:
        print(format_table(figures))
        t = figures["simulated_team"]
        print(f"simulated team (not real people): {len(t['agents'])} agents took {t['taken']} cases, answered "
              f"{t['answered']}, resolved {t['resolved']}, left {t['left_waiting']} waiting; "
              f"simulated customers sent {t['ratings_sent']} ratings")
        if keep_running and caught_up:
            serve_console(session)
    return figures


def serve_console(session: Session) -> None:
    """Print the console's address and a demo login, and keep everything running until Ctrl-C."""
    from heed_router.settings import RouterSettings

    production = RouterSettings().production
    login = demo_login(session.database_url, session.processes.port("router"), production=production)
    print()
    if login is None:
        print(f"console: http://127.0.0.1:{session.processes.port('router')}/console/ — HEED_ENV=production: "
              "no demo login; make one with `heed agents add NAME --role admin`")
    else:
        print(f"console: {login.url}\n  DEMO LOGIN (a demo credential for this machine, refused when "
              f"HEED_ENV=production): name {login.name}, password {login.password}")
    print("everything keeps running; Ctrl-C stops the services, the broker and the database", flush=True)
    try:
        while not session.processes.exited():
            time.sleep(1.0)
        time.sleep(1.0)  # Ctrl-C reaches the services too: let this process's interrupt arrive first
        failed = {name: code for name, code in session.processes.exited().items() if code != 0}
        print(f"heed demo: {'a service failed: ' + str(failed) + '; ' if failed else ''}stopping everything",
              file=sys.stderr)
    except KeyboardInterrupt:
        print("\nstopping…", file=sys.stderr)
