"""What the shared HTTP does when the platform cannot be reached, and what it logs."""

from __future__ import annotations

import logging
import socket

import pytest

from heed_responder.adapters.platforms.x import XClient
from heed_responder.domain.sending import Outcome
from tests.integration.platforms.conftest import platform_settings, reply_row
from tests.standins import StandIns


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


async def test_connection_refused_is_retried_then_returns_retry(stand_ins: StandIns) -> None:
    settings = platform_settings(stand_ins, x_base_url=f"http://127.0.0.1:{closed_port()}",
                                 x_accounts={"9001": {"bearer_token": "t"}})
    client = XClient(settings)
    try:
        result = await client.send(reply_row("x", in_reply_to="1", account="9001"))
    finally:
        await client.aclose()

    assert result.outcome is Outcome.RETRY and "ConnectError" in (result.reason or "")


async def test_logs_name_the_reply_but_never_the_customer_or_the_text(
        stand_ins: StandIns, caplog: pytest.LogCaptureFixture) -> None:
    stand_ins.x.grant("tok-secret", "9001")
    client = XClient(platform_settings(stand_ins, x_accounts={"9001": {"bearer_token": "tok-secret"}}))
    reply = reply_row("x", visibility="private", recipient="customer-4242", text="private words", account="9001")
    try:
        with caplog.at_level(logging.DEBUG):
            result = await client.send(reply)
    finally:
        await client.aclose()

    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert result.outcome is Outcome.SENT and str(reply.reply_id) in logged
    assert "customer-4242" not in logged and "private words" not in logged and "tok-secret" not in logged
