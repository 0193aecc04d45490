"""`heed demo` / `make run`: the whole platform on the embedded stack, the bundled sample
replayed through it, and a summary."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from heed.runtime.messaging import open_publisher
from heed_ops.progress import progress_bars
from heed_ops.report import format_table
from heed_ops.session import running

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "samples" / "mentions.jsonl"


async def replay(bootstrap: str, path: Path, advance: Callable[[int], None] | None = None) -> int:
    """Publish each line of `path` as a raw event; returns how many the broker acknowledged.

    `advance` is called with the number of lines in each chunk the broker acknowledged.
    """
    from heed_ingest.replay import replay_file

    async with open_publisher(bootstrap, "heed-replay") as publisher:
        return await replay_file(path, publisher, chunk=100, progress=advance)


def run_demo(state_dir: Path, sample: Path = SAMPLE, as_json: bool = False) -> dict[str, Any]:
    from heed_ingest.replay import count_lines

    if not sample.exists():
        raise FileNotFoundError(f"sample not found: {sample}")
    total = count_lines(sample)

    def say(msg: str) -> None:
        print(msg, file=sys.stderr)

    say(f"heed demo: starting broker, database and five services (state in {state_dir})")
    with running(state_dir, database="heed_demo") as session:
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
        figures = session.figures(breakdown=True)
        figures["replayed_lines"] = sent
        figures["caught_up"] = caught_up
    if as_json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        print(format_table(figures))
    if not caught_up:
        raise RuntimeError("the pipeline did not catch up within 180 s; see the service logs")
    return figures
