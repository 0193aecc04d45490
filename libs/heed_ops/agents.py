"""`heed agents add | list | disable`: the console's accounts, straight in the router's schema
(the router owns them; its migrations are applied first, so the first admin can be made before
the router has ever run)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from heed.runtime.db import create_pool, migrate
from heed_router.adapters.accounts import PostgresAccounts
from heed_router.domain.accounts import Agent

SCHEMA, PACKAGE = "router", "heed_router"


@asynccontextmanager
async def accounts(dsn: str) -> AsyncIterator[PostgresAccounts]:
    pool = await create_pool(dsn, SCHEMA, max_size=2)
    try:
        await migrate(pool, SCHEMA, PACKAGE)
        yield PostgresAccounts(pool)
    finally:
        await pool.close()


async def add(dsn: str, name: str, password: str, role: str, departments: Sequence[str], language: str,
              *, demo: bool = False) -> Agent:
    async with accounts(dsn) as book:
        agent = await book.add(name, password, role, departments, language, datetime.now(UTC), demo=demo)
        await book.audit(None, "agent_added", datetime.now(UTC), detail=f"{agent.name} ({agent.role.value}) by cli")
        return agent


async def listing(dsn: str) -> list[Agent]:
    async with accounts(dsn) as book:
        return await book.agents()


async def disable(dsn: str, name: str) -> bool:
    async with accounts(dsn) as book:
        done = await book.disable(name, datetime.now(UTC))
        if done:
            await book.audit(None, "agent_disabled", datetime.now(UTC), detail=f"{name} by cli")
        return done


def as_dict(agent: Agent) -> dict[str, Any]:
    return {"name": agent.name, "role": agent.role.value, "departments": list(agent.departments),
            "language": agent.language, "disabled": agent.disabled, "demo": agent.demo}


def format_list(agents: Sequence[Agent]) -> str:
    if not agents:
        return "no agents yet: heed agents add NAME --role admin"
    lines = []
    for a in agents:
        where = ", ".join(a.departments) or ("(every department)" if a.role.value == "admin" else "(none)")
        state = "disabled" if a.disabled else "active"
        demo = "  [demo]" if a.demo else ""
        lines.append(f"{a.name:<20} {a.role.value:<10} {state:<8} {a.language:<7} {where}{demo}")
    return "\n".join(lines)
