"""Crisis alerts on the real broker and PostgreSQL: 60 negative mentions on one topic in two minutes
on a quiet baseline give one incident on heed.alerts, recorded once and POSTed once (signed) to a
loopback webhook receiver; the same volume of ordinary questions gives none."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from heed.contracts import topics
from heed.contracts.events import Author, Category, ClassifiedMention, IssueType
from heed.runtime.messaging import Outgoing
from tests.harness import client_publisher, count, pipeline, wait_for
from tests.unit.factories import classification, mention

pytestmark = pytest.mark.integration

SECRET = "alert-secret-0123456789"


class Receiver:
    """A webhook receiver on loopback that counts and keeps what it is sent."""

    def __init__(self) -> None:
        self.bodies: list[tuple[dict[str, str], bytes]] = []
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]

    async def receive(self, request: Request) -> Response:
        self.bodies.append((dict(request.headers), await request.body()))
        return Response(status_code=204)

    def alerts(self) -> list[tuple[dict[str, str], bytes]]:
        """The crisis alerts received (late cases' SLA breaches are POSTed here too)."""
        return [(h, b) for h, b in self.bodies if h.get("x-heed-event") == "Alert"]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/alerts"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/alerts", r.receive, methods=["POST"])]),
                                           host="127.0.0.1", port=r.port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())

    async def listening() -> bool:
        return bool(server.started)

    await wait_for(listening, timeout=10, every=0.05)
    yield r
    server.should_exit = True
    await task


def classified(i: int, at: datetime, *, negative: bool) -> ClassifiedMention:
    m = mention("The vacuum's battery swelled" if negative else "What are your opening hours?",
                native_id=f"al-{i}-{uuid.uuid4().hex[:6]}", thread_root=f"al-{i}", created_at=at, received_at=at,
                author=Author(platform_id=f"al-user-{i}"))
    c = (classification(Category.COMPLAINT, issue_type=IssueType.PRODUCT_QUALITY, sentiment=-0.7) if negative
         else classification(Category.QUESTION, sentiment=0.1))
    return ClassifiedMention(event_id=uuid.uuid4(), mention_id=m.mention_id, mention=m, classification=c)


async def test_a_spike_opens_one_incident_and_ordinary_traffic_none(
        fresh_broker, database_url, receiver, monkeypatch):
    monkeypatch.setenv("HEED_ALERT_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("HEED_ALERT_WEBHOOK_SECRET", SECRET)
    start = datetime.now(UTC) - timedelta(minutes=30)
    quiet = [classified(i, start + timedelta(seconds=20 * i), negative=False) for i in range(60)]
    spike = [classified(100 + i, start + timedelta(minutes=25, seconds=2 * i), negative=True) for i in range(60)]
    async with pipeline(fresh_broker, database_url) as services, client_publisher(fresh_broker) as publisher:
        await publisher.publish([Outgoing(topics.MENTIONS_CLASSIFIED, c, c.mention.conversation_key)
                                 for c in quiet])

        async def routed(n: int) -> bool:
            return await count(database_url, "SELECT count(*) FROM router.routed") == n

        await wait_for(lambda: routed(60), timeout=60)
        assert await count(database_url, "SELECT count(*) FROM router.alerts") == 0

        await publisher.publish([Outgoing(topics.MENTIONS_CLASSIFIED, c, c.mention.conversation_key)
                                 for c in spike])
        await wait_for(lambda: routed(120), timeout=60)

        async def notified() -> bool:
            return len(receiver.alerts()) >= 1

        await wait_for(notified, timeout=30)
        await asyncio.sleep(1)  # anything more would have arrived by now
        assert services["router"].started
    assert await count(database_url, "SELECT count(DISTINCT alert_id) FROM router.alerts") == 1
    assert await count(database_url, "SELECT count(*) FROM router.alerts WHERE version = 1 AND topic = "
                                     "'product_quality'") == 1
    versions = await count(database_url, "SELECT count(*) FROM router.alerts")
    assert len(receiver.alerts()) == versions  # one POST per version, none twice
    headers, body = receiver.alerts()[0]
    signed = hmac.new(SECRET.encode(), headers["x-heed-timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["x-heed-signature"] == f"sha256={signed.hexdigest()}"
    alert = json.loads(body)
    assert alert["state"] == "opened" and alert["topic"] == "product_quality" and alert["window_count"] >= 10
    assert "battery" not in body.decode()  # ids and counts only
