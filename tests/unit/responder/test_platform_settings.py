"""Platform settings from the environment, and the clients built from them."""

from __future__ import annotations

import json

import pytest

from heed_responder.adapters.platforms.clients import build_clients, close_clients
from heed_responder.adapters.platforms.settings import PlatformSettings


async def test_accounts_come_from_heed_environment_json_and_tokens_stay_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEED_X_ACCOUNTS", json.dumps({"9001": {"bearer_token": "x-secret"}}))
    monkeypatch.setenv("HEED_FACEBOOK_PAGES", json.dumps({"1010": {"access_token": "page-secret"}}))
    monkeypatch.setenv("HEED_WHATSAPP_TEMPLATE_NAME", "care_follow_up")
    monkeypatch.setenv("HEED_PLATFORM_MAX_WAIT_S", "2.5")

    settings = PlatformSettings()
    clients = build_clients(settings)
    try:
        assert settings.x_accounts["9001"].bearer_token.get_secret_value() == "x-secret"
        assert "x-secret" not in repr(settings) and "page-secret" not in str(settings)
        assert settings.whatsapp_template_name == "care_follow_up"
        assert settings.http_policy().max_wait_s == 2.5
        assert sorted(clients) == ["facebook", "messenger", "x"]
        assert all(client.channel == channel for channel, client in clients.items())
    finally:
        await close_clients(clients)


def test_no_accounts_means_no_clients() -> None:
    assert build_clients(PlatformSettings(_env_file=None)) == {}  # type: ignore[call-arg]
