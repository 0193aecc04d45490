"""What the console needs when Heed runs as local processes (`make run`, the e2e tests): the router
calling crm-sync's customers API and the responder's answering API with tokens made for this run,
and a demo login (a demo credential, refused when HEED_ENV=production)."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from heed_ops import agents
from heed_ops.processes import ServiceProcesses

DEMO_NAME = "demo"


def console_env(processes: ServiceProcesses) -> dict[str, str]:
    """Settings wiring the console on these processes' ports: a read token for crm-sync and a token
    for the responder, added to the tokens the environment already gives those services."""
    crm_token, responder_token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)

    def joined(name: str, entry: str) -> str:
        return ",".join(part for part in (processes.env.get(name, ""), entry) if part)

    return {
        "HEED_CRM_API_TOKENS": joined("HEED_CRM_API_TOKENS", f"console:read:{crm_token}"),
        "HEED_CONSOLE_CRM_URL": f"http://127.0.0.1:{processes.port('crm-sync')}",
        "HEED_CONSOLE_CRM_TOKEN": crm_token,
        "HEED_RESPONDER_API_TOKENS": joined("HEED_RESPONDER_API_TOKENS", f"console:console:{responder_token}"),
        "HEED_CONSOLE_RESPONDER_URL": f"http://127.0.0.1:{processes.port('responder')}",
        "HEED_CONSOLE_RESPONDER_TOKEN": responder_token,
    }


@dataclass(frozen=True)
class DemoLogin:
    url: str
    name: str
    password: str


def demo_login(database_url: str, router_port: int, *, production: bool) -> DemoLogin | None:
    """An admin account named `demo` with a fresh random password, marked as a demo account; none in
    production (the router refuses demo accounts there too)."""
    if production:
        return None
    password = secrets.token_urlsafe(12)
    asyncio.run(agents.add(database_url, DEMO_NAME, password, "admin", [], "en", demo=True))
    return DemoLogin(f"http://127.0.0.1:{router_port}/console/", DEMO_NAME, password)
