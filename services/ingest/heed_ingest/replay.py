"""The file replay source: each JSONL line becomes one raw event, acknowledged by the broker."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from heed.contracts import topics
from heed.contracts.events import RawMention
from heed.runtime.messaging import Outgoing, Publisher


@dataclass(frozen=True)
class ReplayLine:
    raw: RawMention
    key: str


def read_lines(path: Path) -> Iterator[ReplayLine]:
    """Raw events for each non-empty line, keyed by conversation so a thread keeps its order.

    Lines are not validated here: a malformed line still travels as an authentic raw event and
    the normaliser dead-letters it with its bytes and line number.
    """
    roots: dict[tuple[str, str], str] = {}
    with path.open("rb") as handle:
        for lineno, line in enumerate(handle, start=1):
            body = line.rstrip(b"\r\n")
            if not body.strip():
                continue
            key = f"replay:{path.name}:{lineno}"
            try:
                item = json.loads(body)
                channel, native = str(item["channel"]), str(item["native_id"])
                parent = item.get("in_reply_to")
                root = str(item.get("thread_root") or (parent and roots.get((channel, str(parent)), str(parent)))
                           or native)
                roots[(channel, native)] = root
                key = f"{channel}:{root}"
            except (ValueError, KeyError, TypeError, AttributeError):
                pass
            yield ReplayLine(RawMention(event_id=uuid.uuid4(), source="replay", body=body,
                                        origin=f"{path.name}:{lineno}"), key)


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


async def replay_file(path: Path, publisher: Publisher, chunk: int = 500,
                      progress: Callable[[int], None] | None = None) -> int:
    """Publish every line of `path` to the raw topic; returns how many were acknowledged."""
    sent = 0
    batch: list[Outgoing] = []
    for line in read_lines(path):
        batch.append(Outgoing(topics.MENTIONS_RAW, line.raw, line.key))
        if len(batch) >= chunk:
            await publisher.publish(batch)
            sent += len(batch)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        await publisher.publish(batch)
        sent += len(batch)
        if progress:
            progress(len(batch))
    return sent
