"""Replies through every platform's send API, with the responder killed (-9) at random moments
while the stand-ins take their time to answer: each reply reaches its platform at most once, and
every reply recorded sent reached it exactly once. Counted at the stand-ins, not in Heed."""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path

import pytest

from heed_ingest.replay import replay_file
from heed_ops.processes import ServiceProcesses, free_base_port
from tests.harness import client_publisher, count, wait_for, write_jsonl
from tests.standins import StandIns, standins_in_thread

pytestmark = pytest.mark.e2e

PER_CHANNEL = 6
X, PAGE, IG, PHONE, WEIBO, WECHAT, ORG = ("brand-x", "1010", "1787", "5511", "7001", "gh_brand",
                                          "urn:li:organization:42")
# platforms with no way to read a message back: a reply caught mid-send there is `unknown`
NO_READ_BACK = {"whatsapp", "wechat"}

TEXTS = ["I was charged twice for my order, please fix this", "How do I reset my robot vacuum?",
         "我的订单三天了还没发货，什么时候能到？", "客服态度太差了，电话打了三次都没人解决",
         "請問你們門市週末幾點開門？", "สั่งของไปหนึ่งอาทิตย์แล้วยังไม่ได้รับเลยค่ะ"]


def _line(channel: str, i: int, account: str, *, private: bool = False, thread_root: str | None = None,
          native_id: str | None = None) -> dict[str, object]:
    user = f"{channel}-user-{i}"
    line: dict[str, object] = {
        "channel": channel, "native_id": native_id or f"{channel}-post-{i}", "text": f"{TEXTS[i % len(TEXTS)]} [{i}]",
        "author": {"id": user, "handle": f"{channel}{i}", "name": f"{channel.title()} {i}", "followers": 10},
        "created_at": "2026-11-23T08:00:00+00:00", "account": account}
    if private:
        line.update(visibility="private", kind="direct_message", thread_root=f"dm:{user}")
    elif thread_root:
        line["thread_root"] = thread_root
    return line


def _mentions(first: int = 0, per_channel: int = PER_CHANNEL) -> list[dict[str, object]]:
    lines = []
    for i in range(first, first + per_channel):
        lines += [
            _line("x", i, X), _line("x", 100 + i, X, private=True),
            _line("facebook", i, PAGE), _line("messenger", i, PAGE, private=True),
            _line("instagram", i, IG), _line("whatsapp", i, PHONE, private=True),
            _line("weibo", i, WEIBO), _line("wechat", i, WECHAT, private=True),
            _line("linkedin", i, ORG, native_id=f"urn:li:share:{7000 + i}", thread_root=f"urn:li:share:{7000 + i}"),
        ]
    return lines


def _grant(stand_ins: StandIns) -> dict[str, str]:
    stand_ins.x.grant("x-token", X)
    stand_ins.graph.grant_page("page-token", PAGE)
    stand_ins.graph.grant_instagram("ig-token", IG)
    stand_ins.graph.grant_whatsapp("wa-token", PHONE)
    stand_ins.weibo.grant("weibo-token", WEIBO)
    stand_ins.wechat.register("wx-app", "wx-secret", WECHAT)
    stand_ins.linkedin.grant("li-token", ORG)
    for stand_in in (stand_ins.x, stand_ins.graph, stand_ins.weibo, stand_ins.wechat, stand_ins.linkedin):
        stand_in.delay_s = 0.25  # accepted, then a quarter second before the answer: where a kill hurts
    base = stand_ins.url
    return {
        "HEED_RESPONDER_CHANNEL_ADAPTER": "platforms", "HEED_RESPONDER_TICK_S": "0.5",
        "HEED_RESPONDER_STUCK_AFTER_S": "3", "HEED_PLATFORM_TIMEOUT_S": "5",
        "HEED_X_BASE_URL": f"{base}/x", "HEED_GRAPH_BASE_URL": f"{base}/graph",
        "HEED_WEIBO_BASE_URL": f"{base}/weibo", "HEED_WEIBO_FANS_BASE_URL": f"{base}/weibo-fans",
        "HEED_WECHAT_BASE_URL": f"{base}/wechat", "HEED_LINKEDIN_BASE_URL": f"{base}/linkedin",
        "HEED_X_ACCOUNTS": json.dumps({X: {"bearer_token": "x-token"}}),
        "HEED_FACEBOOK_PAGES": json.dumps({PAGE: {"access_token": "page-token"}}),
        "HEED_INSTAGRAM_ACCOUNTS": json.dumps({IG: {"access_token": "ig-token"}}),
        "HEED_WHATSAPP_NUMBERS": json.dumps({PHONE: {"access_token": "wa-token"}}),
        "HEED_WEIBO_ACCOUNTS": json.dumps({WEIBO: {"access_token": "weibo-token"}}),
        "HEED_WECHAT_ACCOUNTS": json.dumps({WECHAT: {"appid": "wx-app", "secret": "wx-secret"}}),
        "HEED_LINKEDIN_ACCOUNTS": json.dumps({ORG: {"access_token": "li-token"}}),
    }


def _received(stand_ins: StandIns, channel: str, text: str) -> int:
    return sum(1 for s in (stand_ins.x, stand_ins.graph, stand_ins.weibo, stand_ins.wechat, stand_ins.linkedin)
               for m in s.messages if m.channel == channel and m.text == text)


def test_every_channel_gets_each_reply_once_through_its_api_under_kill_9(database_url, fresh_broker, tmp_path: Path):
    dsn = database_url
    lines = _mentions()
    calm = _mentions(first=50, per_channel=1)  # after the kills: each channel shows a plain send too
    rng = random.Random(20261123)
    with standins_in_thread() as stand_ins:
        env = {"HEED_KAFKA_BOOTSTRAP": fresh_broker, "HEED_DATABASE_URL": dsn, "HEED_INGEST_API_TOKENS": "t",
               **_grant(stand_ins)}
        processes = ServiceProcesses(env=env, log_dir=tmp_path / "logs", base_port=free_base_port())
        processes.start_all()
        caught_sending = 0
        try:
            processes.wait_ready(timeout=120)

            async def publish(batch: list[dict[str, object]], name: str) -> None:
                async with client_publisher(fresh_broker) as publisher:
                    await replay_file(write_jsonl(tmp_path / name, batch), publisher)

            async def some_sent() -> bool:
                return await count(dsn, "SELECT count(*) FROM responder.replies WHERE status <> 'ignored'") > 0

            asyncio.run(publish(lines, "mentions.jsonl"))
            asyncio.run(wait_for(some_sent, timeout=90, every=0.05))
            for _ in range(4):
                time.sleep(rng.uniform(0.1, 1.2))
                processes.kill("responder")
                caught_sending += asyncio.run(count(dsn, "SELECT count(*) FROM responder.replies"
                                                         " WHERE status = 'sending'"))
                time.sleep(0.3)
                processes.start("responder")
            asyncio.run(publish(calm, "calm.jsonl"))

            async def settled() -> bool:
                return (await count(dsn, "SELECT count(*) FROM responder.replies"
                                         " WHERE kind = 'auto'") == len(lines) + len(calm)
                        and await count(dsn, "SELECT count(*) FROM responder.replies"
                                             " WHERE status IN ('pending', 'sending')") == 0)

            asyncio.run(wait_for(settled, timeout=180, every=0.2))
            rows = asyncio.run(_replies(dsn))
        finally:
            processes.stop_all()
        assert caught_sending > 0, "no kill landed while a reply was with a platform: the test proved nothing"
        by_status: dict[str, int] = {}
        for channel, text, status, error in rows:
            by_status[status] = by_status.get(status, 0) + 1
            received = _received(stand_ins, channel, text)
            assert received <= 1, f"a {channel} reply reached the platform {received} times"
            if status == "sent":
                assert received == 1, f"a {channel} reply recorded sent never reached the platform"
            elif status == "unknown":
                assert channel in NO_READ_BACK and error, f"{channel}: unknown although it can be read back"
            elif status == "failed":
                assert received == 0 and error, f"a failed {channel} reply reached the platform or has no reason"
        # every channel delivered, and nothing reached a platform that Heed does not know of
        # a kill mid-batch may leave all of a channel's first replies `unknown`; the calm wave is sent
        delivered = {c for c, _, s, _ in rows if s == "sent"}
        assert delivered == {"x", "facebook", "messenger", "instagram", "whatsapp", "weibo", "wechat", "linkedin"}, \
            {c: sorted({(s, e) for c2, _, s, e in rows if c2 == c}) for c in {c for c, *_ in rows} - delivered}
        total = sum(len(s.messages) for s in (stand_ins.x, stand_ins.graph, stand_ins.weibo, stand_ins.wechat,
                                              stand_ins.linkedin))
        assert total == by_status.get("sent", 0) + sum(
            _received(stand_ins, c, t) for c, t, s, _ in rows if s == "unknown")


async def _replies(dsn: str) -> list[tuple[str, str, str, str | None]]:
    import asyncpg
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT channel, text, status, error FROM responder.replies WHERE status <> 'ignored'")
    finally:
        await conn.close()
    return [(r["channel"], r["text"], r["status"], r["error"]) for r in rows]
