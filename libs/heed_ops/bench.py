"""`heed bench`: end-to-end throughput and receipt→reply latency on this machine, as measured and
as a share of what a bare relay does on the same broker in the same invocation.

Synthetic mentions (short team-written posts in zh-Hans, zh-Hant, en, th, varied by id) are
published to the raw topic, as a webhook receiver would, at full speed or at a fixed rate.
Throughput is mentions divided by the time from the first publish to the last CRM write;
latency is from receipt (the raw event's time) to the reply recorded as sent.

Before the services start and again after they stop, the same mentions go through the bare relay
(`heed_ops.relay`: the same hops and partitions, handlers that only decode and forward) at the
same rate, measured the same way: to the last record crm-sync's relay consumer takes from the
mentions topic, and from receipt to the responder's relay forwarding it. `efficiency` is Heed's
mentions/s ÷ the mean of the two relay runs'.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from heed import devstack
from heed.contracts import topics
from heed.contracts.events import RawMention
from heed.contracts.topics import Topic
from heed.runtime.messaging import Outgoing, open_publisher
from heed_ops import relay
from heed_ops.processes import stop_processes
from heed_ops.progress import Progress, progress_bars
from heed_ops.report import DUPLICATE_SENDS
from heed_ops.session import Session, Stack, services, stack
from heed_ops.waiting import poll_until

POSTS = [
    ("weibo", "我的订单三天了还没发货，什么时候能到？"),
    ("weibo", "客服态度太差了，打了三次电话都没人解决"),
    ("facebook", "請問你們門市週末幾點開門？"),
    ("instagram", "新買的吸塵器用兩天就壞了，很失望"),
    ("x", "Love the new air fryer, best purchase this year!"),
    ("x", "I was charged twice for my order, please fix this"),
    ("facebook", "How do I reset my robot vacuum to factory settings?"),
    ("facebook", "สั่งของไปหนึ่งอาทิตย์แล้วยังไม่ได้รับเลยค่ะ"),
    ("instagram", "ร้านเปิดกี่โมงคะ"),
    ("wechat", "想咨询一下企业批量采购50台的价格"),
]


def synthetic_line(i: int, now: datetime) -> bytes:
    channel, text = POSTS[i % len(POSTS)]
    return json.dumps({
        "channel": channel, "native_id": f"bench-{i}", "text": f"{text} #{i}",
        "author": {"id": f"bench-user-{i % 5000}", "handle": f"user{i % 5000}", "followers": i % 900},
        "created_at": (now - timedelta(seconds=1)).isoformat(),
    }, ensure_ascii=False).encode()


async def publish(bootstrap: str, n: int, rate: float | None, advance: Callable[[int], None],
                  topic: str = topics.MENTIONS_RAW) -> float:
    """Publish n raw mentions to `topic`; returns the wall time of the first publish."""
    chunk = 500 if rate is None else max(1, int(rate / 20))
    started = time.time()
    async with open_publisher(bootstrap, "heed-bench") as publisher:
        for start in range(0, n, chunk):
            now = datetime.now(UTC)
            batch = [Outgoing(topic,
                              RawMention(event_id=uuid.uuid4(), source="api", body=synthetic_line(i, now),
                                         received_at=now), f"bench:{i}")
                     for i in range(start, min(n, start + chunk))]
            await publisher.publish(batch)
            advance(len(batch))
            if rate is not None:
                target = started + (start + len(batch)) / rate
                await asyncio.sleep(max(0.0, target - time.time()))
    return started


async def progress(dsn: str, since: datetime, n: int) -> tuple[int, int]:
    """How many mentions reached the CRM and how many the responder handled: what the wait polls.
    The poll runs a few times a second on the machine under test, so it is kept to one indexed count
    (the responder's count scans its outbox, so it is read only once the CRM has them all); before,
    the percentiles and the duplicate check ran every time and took CPU from the services measured,
    more the further they were behind."""
    conn = await asyncpg.connect(dsn)
    try:
        reached = await conn.fetchval("SELECT count(*) FROM crm.interactions WHERE recorded_at >= $1", since)
        handled = await conn.fetchval(
            "SELECT count(*) FROM responder.replies WHERE kind = 'auto' AND received_at >= $1",
            since) if reached >= n else 0
    finally:
        await conn.close()
    return int(reached), int(handled)


async def measure(dsn: str, since: datetime, first_publish: float) -> dict[str, Any]:
    """The run's figures, read once at its end."""
    conn = await asyncpg.connect(dsn)
    try:
        crm = await conn.fetchrow(
            "SELECT count(*) AS n, max(recorded_at) AS last FROM crm.interactions WHERE recorded_at >= $1", since)
        rep = await conn.fetchrow(
            "SELECT count(*) AS n,"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - received_at) * 1000) AS p50,"
            " percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - received_at) * 1000) AS p99"
            " FROM responder.replies WHERE status = 'sent' AND kind = 'auto' AND received_at >= $1", since)
        handled = await conn.fetchval(
            "SELECT count(*) FROM responder.replies WHERE kind = 'auto' AND received_at >= $1", since)
        dup = await conn.fetchval(DUPLICATE_SENDS, since)
    finally:
        await conn.close()
    assert crm is not None and rep is not None
    elapsed = (crm["last"].timestamp() - first_publish) if crm["last"] else None
    return {"crm_interactions": crm["n"], "handled": handled, "replies_sent": rep["n"],
            "elapsed_s": round(elapsed, 3) if elapsed else None,
            "mentions_per_s": round(crm["n"] / elapsed, 1) if elapsed else None,
            "latency_ms": {"p50": round(rep["p50"], 1) if rep["p50"] is not None else None,
                           "p99": round(rep["p99"], 1) if rep["p99"] is not None else None},
            "duplicate_sends": dup}


def run_bench(state_dir: Path, n: int, rate: float | None, timeout: float = 600.0) -> dict[str, Any]:
    """Heed's figures, the bare relay's on the same broker, and Heed's share of the relay's.

    The relay runs just before the services start and again just after they stop, so that a
    machine that gets busier or quieter during Heed's run moves the relay's mean with it.
    """
    with stack(state_dir, database="heed_bench") as up, progress_bars() as bars:
        runs = [run_relay(up, n, rate, bars, timeout, label="relay 1")]
        with services(up) as session:
            result = _run_heed(session, n, rate, bars, timeout)
        runs.append(run_relay(up, n, rate, bars, timeout, label="relay 2"))
    bare_rate = round(statistics.fmean(r["mentions_per_s"] for r in runs), 1)
    bare_latency = {p: round(statistics.fmean(r["latency_ms"][p] for r in runs), 1) for p in ("p50", "p99")}
    result.update({"mentions": n, "rate": rate, "lost": n - result["crm_interactions"], "cores": os.cpu_count(),
                   "relay_mentions_per_s": bare_rate, "relay_latency_ms": bare_latency, "relay_runs": runs,
                   "efficiency": _ratio(result["mentions_per_s"], bare_rate, 3),
                   "latency_ratio": {p: _ratio(result["latency_ms"][p], bare_latency[p], 2) for p in ("p50", "p99")}})
    return result


def _ratio(heed: float | None, bare: float | None, digits: int) -> float | None:
    return round(heed / bare, digits) if heed is not None and bare else None


def _run_heed(session: Session, n: int, rate: float | None, bars: Progress, timeout: float) -> dict[str, Any]:
    since = datetime.now(UTC) - timedelta(seconds=1)
    published = bars.add_task("published", total=n)
    first = asyncio.run(publish(session.kafka_bootstrap, n, rate, partial(bars.advance, published)))
    reached = bars.add_task("reached the CRM", total=n)

    def all_reached() -> bool:
        crm, handled = asyncio.run(progress(session.database_url, since, n))
        bars.update(reached, completed=crm)
        return crm >= n and handled >= n

    poll_until(all_reached, timeout=timeout, every=0.25)  # what did not arrive in time is counted as lost
    return asyncio.run(measure(session.database_url, since, first))


def run_relay(up: Stack, n: int, rate: float | None, bars: Progress, timeout: float,
              label: str = "relay") -> dict[str, Any]:
    """n mentions through the bare relay on `up`'s broker, on topics of its own created for the run."""
    run_id = uuid.uuid4().hex[:8]
    prefix = f"relay.{run_id}."
    status_dir = up.state_dir / "relay" / run_id
    status_dir.mkdir(parents=True)
    created = relay.relay_topics(prefix)
    asyncio.run(devstack.create_topics(up.kafka_bootstrap, topics=created))
    log_dir = up.state_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    env = {**os.environ, "HEED_KAFKA_BOOTSTRAP": up.kafka_bootstrap}
    for name in relay.services_relayed():
        with (log_dir / f"relay-{name}.log").open("ab") as log:
            procs[name] = subprocess.Popen(
                [sys.executable, "-m", "heed_ops.relay", name, "--prefix", prefix, "--status-dir", str(status_dir)],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def statuses() -> dict[str, dict[str, Any]]:
        dead = {name: p.returncode for name, p in procs.items() if p.poll() is not None}
        if dead:
            raise RuntimeError(f"relay process(es) exited: {dead}; logs in {log_dir}")
        return {name: relay.Status.read(status_dir / f"{name}.json") or {} for name in procs}

    try:
        if not poll_until(lambda: all(s.get("ready") for s in statuses().values()), timeout=90, every=0.2):
            raise RuntimeError(f"the relay's consumers had no partitions after 90s; logs in {log_dir}")
        published = bars.add_task(f"{label}: published", total=n)
        first = asyncio.run(publish(up.kafka_bootstrap, n, rate, partial(bars.advance, published),
                                    topic=prefix + topics.MENTIONS_RAW))
        through = bars.add_task(f"{label}: every hop", total=n)
        done: dict[relay.Hop, int] = {}

        def all_through() -> bool:
            now = statuses()
            done.update({h: now[h.service].get("records", {}).get(h.topic, 0) for h in relay.hops()})
            bars.update(through, completed=min(done.values()))
            return min(done.values()) >= n

        if not poll_until(all_through, timeout=timeout, every=0.25):
            raise RuntimeError(f"the relay carried {min(done.values())} of {n} mentions in {timeout:.0f}s; "
                               f"logs in {log_dir}")
        end = next(h for h in relay.hops() if h.topic == relay.THROUGHPUT_END and h.forward is None)
        elapsed = statuses()[end.service]["last_at"][end.topic] - first
        latencies = asyncio.run(_relay_latencies(up.kafka_bootstrap, created[-1]))
    finally:
        stop_processes(list(procs.values()))
        asyncio.run(devstack.delete_topics(up.kafka_bootstrap, [t.name for t in created]))
        shutil.rmtree(status_dir, ignore_errors=True)
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")  # percentile_cont's interpolation
    return {"elapsed_s": round(elapsed, 3), "mentions_per_s": round(n / elapsed, 1),
            "latency_ms": {"p50": round(cuts[49], 1), "p99": round(cuts[98], 1)}}


async def _relay_latencies(bootstrap: str, last: Topic) -> list[float]:
    """Receipt → forward, in ms, of every record on the relay's last topic: its timestamp (set when
    the responder's relay sent it) minus the raw event's received_at."""
    partitions = [TopicPartition(last.name, p) for p in range(last.partitions)]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        latencies: list[float] = []
        for tp in partitions:
            while await consumer.position(tp) < ends[tp]:
                for record in (await consumer.getmany(tp, timeout_ms=1000)).get(tp, []):
                    received = RawMention.model_validate_json(record.value or b"").received_at
                    latencies.append(record.timestamp - received.timestamp() * 1000)
        return latencies
    finally:
        await consumer.stop()


def run_classifier_bench(posts: int = 20000) -> dict[str, Any]:
    """Posts/s of the shipped classifier in one batch on one core, over the bundled sample's texts."""
    import os

    from heed.contracts.events import Author, Channel, Mention
    from heed_classifier.domain import Classifier
    from heed_ops.demo import SAMPLE

    model = Classifier.load()
    texts = [json.loads(line)["text"] for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line]
    now = datetime.now(UTC)
    mentions = [Mention(event_id=uuid.uuid4(), mention_id=uuid.uuid4(), raw_event_id=uuid.uuid4(),
                        channel=Channel.WEIBO, native_id=str(i), author=Author(platform_id="u"),
                        text=texts[i % len(texts)], thread_root=str(i), created_at=now, received_at=now)
                for i in range(posts)]
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    started = time.process_time()
    model.classify_batch(mentions)
    elapsed = time.process_time() - started
    return {"posts": posts, "model_version": model.version, "posts_per_s": round(posts / elapsed, 1)}


WRK_SCRIPT = """wrk.method = "POST"
wrk.body = io.open("{body}", "rb"):read("*a")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Hub-Signature-256"] = "{signature}"
"""


def run_webhook_bench(state_dir: Path, seconds: int = 10, connections: int = 16) -> dict[str, Any]:
    """Signed Meta webhooks at the ingest service alone, from wrk on loopback, bounded in time."""
    import hashlib
    import hmac
    import re
    import shutil
    import subprocess
    import tempfile

    from heed import devstack
    from heed.runtime.settings import HeedSettings
    from heed_ops.processes import ServiceProcesses, free_base_port

    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("the webhook benchmark needs wrk on PATH (Debian: apt-get install wrk)")
    settings = HeedSettings()
    state_dir = state_dir.resolve()
    was_running = devstack.StackState.read(state_dir) is not None
    stack = devstack.up(state_dir, settings.kafka_bootstrap, None, database="heed")
    dsn = asyncio.run(devstack.create_database(stack.database_url, "heed_webhook_bench"))
    secret = uuid.uuid4().hex
    processes = ServiceProcesses(
        env={"HEED_KAFKA_BOOTSTRAP": stack.kafka_bootstrap, "HEED_DATABASE_URL": dsn, "HEED_META_APP_SECRET": secret},
        log_dir=state_dir / "logs", base_port=free_base_port(), names=("ingest",))
    body = json.dumps({"object": "page", "entry": [{"id": "1", "time": 1763600000, "changes": [{
        "field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "1_2", "post_id": "1_1",
                                   "from": {"id": "9", "name": "Load Test"}, "message": "Where is my parcel?",
                                   "created_time": 1763600000}}]}]}).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    processes.start_all()
    try:
        processes.wait_ready(timeout=60)
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "body.json").write_bytes(body)
            script = Path(tmp) / "meta.lua"
            script.write_text(WRK_SCRIPT.format(body=Path(tmp) / "body.json", signature=signature))
            url = f"http://127.0.0.1:{processes.port('ingest')}/webhooks/meta"
            done = subprocess.run([wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
                                   url], capture_output=True, text=True, timeout=seconds + 30, check=True)
    finally:
        processes.stop_all()
        if not was_running:
            devstack.down(state_dir)
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    lat = {p: re.search(rf"\s{p}%\s+([\d.]+\w+)", out) for p in ("50", "99")}
    return {"requests_per_s": rps, "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "latency": {f"p{p}": m.group(1) if m else None for p, m in lat.items()},
            "connections": connections, "seconds": seconds}
