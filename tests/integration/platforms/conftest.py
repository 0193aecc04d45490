"""The platform stand-ins, served once for the session and reset before each test, and the
settings that point every adapter at them (short timeouts so "accept then hang" is quick)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from heed_responder.adapters.platforms.settings import PlatformSettings
from heed_responder.domain.outbox import OutboxRow, OutboxStatus
from tests.standins import StandIns, serve_standins

TIMEOUT_S = 0.5


@pytest.fixture(scope="session")
async def served() -> AsyncIterator[StandIns]:
    async with serve_standins() as stand_ins:
        yield stand_ins


@pytest.fixture
def stand_ins(served: StandIns) -> StandIns:
    served.reset()
    return served


def platform_settings(stand_ins: StandIns, **values: Any) -> PlatformSettings:
    base = stand_ins.url
    defaults: dict[str, Any] = dict(
        platform_timeout_s=TIMEOUT_S, platform_max_wait_s=3.0, platform_attempts=3, platform_backoff_s=0.05,
        x_base_url=f"{base}/x", graph_base_url=f"{base}/graph", weibo_base_url=f"{base}/weibo",
        weibo_fans_base_url=f"{base}/weibo-fans", wechat_base_url=f"{base}/wechat",
        linkedin_base_url=f"{base}/linkedin",
    )
    defaults.update(values)
    return PlatformSettings(**defaults)


def reply_row(channel: str, *, visibility: str = "public", in_reply_to: str = "m-1", recipient: str = "u-1",
              text: str = "Thank you, we are on it.", account: str | None = None, thread_root: str | None = None,
              received_ago: timedelta = timedelta(minutes=5), kind: str = "auto") -> OutboxRow:
    """A pending reply as the outbox hands it to an adapter."""
    row = OutboxRow(
        reply_id=uuid.uuid4(), mention_id=uuid.uuid4(), case_id=uuid.uuid4(), channel=channel,
        visibility=visibility, mode="answer", in_reply_to=in_reply_to, recipient=recipient, text=text,
        language="en", script=None, template_id="t", status=OutboxStatus.PENDING,
        received_at=datetime.now(UTC) - received_ago, sla_due_at=None, account=account, thread_root=thread_root)
    return replace(row, kind=kind)
