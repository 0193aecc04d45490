"""The bare relay `heed bench` measures Heed against: the same broker, hops and partitions, with
handlers that only decode and forward.

Heed's figures move ±40 % from run to run on a shared machine; a relay run in the same invocation,
on the same broker and cores, moves with them, so later changes compare Heed's share of it
(`efficiency`), not absolute figures.

The hops come from the topology: each service's subscription to a topic on the mention's path
(raw → mentions → classified → routed → replies) becomes a consumer of that topic's relay copy
(`relay.<run>.<topic>`, as many partitions), in one process per service (`python -m heed_ops.relay
SERVICE`), as the services run. A consumer forwards each record to the path's next topic when its
service publishes that topic (ingest, classifier, router, responder) and only decodes it otherwise
(crm-sync's three subscriptions). Each has the Stage's consumer settings (batch size, batch
timeout, fetch wait, a commit after each batch) and each process one producer with the services'
settings. What the relay leaves out is Heed's own work: parsing, classification, routing, replies,
PostgreSQL, spans.

Each process writes what it has done to `<status dir>/<service>.json`: whether its consumers have
their partitions, and per topic the records done and the wall time of the last batch.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from heed.contracts import topics
from heed.contracts.topics import BY_NAME, Topic
from heed.contracts.topology import SERVICES, ServiceNode
from heed.runtime.messaging import create_producer
from heed.runtime.settings import HeedSettings

# the topics a mention travels through, from its raw body to the reply
MENTION_PATH: tuple[str, ...] = (topics.MENTIONS_RAW, topics.MENTIONS, topics.MENTIONS_CLASSIFIED,
                                 topics.CASES_ROUTED, topics.REPLIES)
# what is relayed: the raw event the benchmark publishes, decoded and re-encoded at every hop
RELAYED = BY_NAME[topics.MENTIONS_RAW].model
# Heed's throughput ends at the last CRM write, which crm-sync makes from heed.mentions: the relay's
# ends at the last record of that topic a consumer that forwards nothing (crm-sync's) has done
THROUGHPUT_END = topics.MENTIONS
STATUS_EVERY_S = 0.2


class RelayPathBroken(ValueError):
    """No service in the topology carries the mention from one topic of the path to the next."""


@dataclass(frozen=True)
class Hop:
    """One subscription: `service` consumes `topic` and forwards each record to `forward` (None: decodes only)."""

    service: str
    topic: str
    forward: str | None


def hops(nodes: Sequence[ServiceNode] = SERVICES, path: Sequence[str] = MENTION_PATH) -> tuple[Hop, ...]:
    """Every subscription of `nodes` to a topic of `path`, in the topology's order."""
    following = dict(itertools.pairwise(path))
    found = tuple(Hop(n.name, topic, following[topic] if following.get(topic) in n.publishes else None)
                  for n in nodes for topic in n.consumes if topic in path)
    for topic, after in following.items():
        if not any(h.topic == topic and h.forward == after for h in found):
            raise RelayPathBroken(f"no service consumes {topic} and publishes {after}: "
                                  "MENTION_PATH and heed/contracts/topology.py disagree")
    return found


def relay_topics(prefix: str) -> list[Topic]:
    """The relay's copies of the path's topics, with the same partitions."""
    return [dataclasses.replace(BY_NAME[t], name=prefix + t) for t in MENTION_PATH]


def services_relayed() -> list[str]:
    """The services with a hop, one relay process each."""
    return list(dict.fromkeys(h.service for h in hops()))


@dataclass
class Status:
    """What one relay process has done, written to its status file now and then and when idle."""

    path: Path
    ready: bool = False
    records: dict[str, int] = dataclasses.field(default_factory=dict)
    last_at: dict[str, float] = dataclasses.field(default_factory=dict)
    _written: float = 0.0
    _dirty: bool = False

    def done(self, topic: str, n: int) -> None:
        self.records[topic] = self.records.get(topic, 0) + n
        self.last_at[topic] = time.time()
        self._dirty = True
        if time.monotonic() - self._written >= STATUS_EVERY_S:
            self.write()

    def idle(self) -> None:
        if self._dirty:
            self.write()

    def write(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"ready": self.ready, "records": self.records, "last_at": self.last_at}))
        os.replace(tmp, self.path)  # a reader sees the old file or the new one, never half of one
        self._written, self._dirty = time.monotonic(), False

    @staticmethod
    def read(path: Path) -> dict[str, object] | None:
        try:
            return dict(json.loads(path.read_text()))
        except FileNotFoundError:
            return None


async def relay_hop(hop: Hop, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, prefix: str,
                    settings: HeedSettings, status: Status) -> None:
    """Decode each batch and forward it, then commit; the loop faststream's batch subscriber runs."""
    while True:
        fetched = await consumer.getmany(timeout_ms=settings.batch_timeout_ms, max_records=settings.batch_max_records)
        records = [r for batch in fetched.values() for r in batch]
        if not records:
            status.idle()
            await asyncio.sleep(settings.batch_timeout_ms / 1000)  # as faststream's subscriber does
            continue
        events = [RELAYED.model_validate_json(r.value or b"") for r in records]
        if hop.forward is not None:
            acks = [await producer.send(prefix + hop.forward, event.model_dump_json().encode(), key=record.key)
                    for event, record in zip(events, records, strict=True)]
            await asyncio.gather(*acks)
        await consumer.commit()
        status.done(hop.topic, len(records))


async def run(service: str, prefix: str, status_dir: Path, settings: HeedSettings) -> None:
    """Relay `service`'s hops until SIGTERM or SIGINT."""
    mine = [h for h in hops() if h.service == service]
    if not mine:
        raise ValueError(f"{service!r} has no hop on the mention's path; one of: {', '.join(services_relayed())}")
    bootstrap = settings.resolved_kafka()
    status = Status(status_dir / f"{service}.json")
    producer = create_producer(settings, f"relay-{service}")
    consumers = [AIOKafkaConsumer(
        prefix + h.topic, bootstrap_servers=bootstrap, group_id=f"{prefix}{service}.{h.topic}",
        client_id=f"relay-{service}", enable_auto_commit=False, auto_offset_reset="earliest",
        fetch_max_wait_ms=settings.fetch_max_wait_ms) for h in mine]
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await producer.start()
    # a consumer subscribed at construction returns from start() with its partitions assigned;
    # concurrently, as the services start theirs (each join waits out the broker's rebalance delay)
    await asyncio.gather(*(c.start() for c in consumers))
    status.ready = True
    status.write()
    tasks = [asyncio.create_task(relay_hop(h, c, producer, prefix, settings, status))
             for h, c in zip(mine, consumers, strict=True)]
    stopped = asyncio.create_task(stopping.wait())
    try:
        await asyncio.wait([stopped, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for hop_task in tasks:
            if hop_task.done():
                hop_task.result()  # a hop that failed (an undecodable record, the broker gone) fails the process
    finally:
        stopped.cancel()
        for hop_task in tasks:
            hop_task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(c.stop() for c in consumers))
        await producer.stop()
        status.write()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m heed_ops.relay",
                                     description="one service's hops of the bare relay `heed bench` runs")
    parser.add_argument("service", choices=services_relayed())
    parser.add_argument("--prefix", required=True, help="the relay topics' prefix, e.g. relay.1a2b3c4d.")
    parser.add_argument("--status-dir", required=True, type=Path)
    args = parser.parse_args(argv)
    asyncio.run(run(args.service, args.prefix, args.status_dir, HeedSettings()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
