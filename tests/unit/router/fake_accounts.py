"""In-memory Accounts for the console's tests: the same pure rules (domain/accounts.py) as the
PostgreSQL adapter, passwords compared in plain (the adapter's argon2 is tested against the database)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from heed_router.domain.accounts import (
    SESSION_TTL,
    Agent,
    AgentRole,
    LoginLimits,
    LoginOutcome,
    Session,
    check_new_agent,
    login_blocked,
    new_token,
    throttle_keys,
    token_hash,
)


@dataclass
class FakeAccounts:
    limits: LoginLimits = field(default_factory=LoginLimits)
    agents: dict[str, tuple[Agent, str]] = field(default_factory=dict)
    sessions: dict[bytes, Session] = field(default_factory=dict)
    failures: list[tuple[bytes, datetime]] = field(default_factory=list)
    trail: list[tuple[str | None, str, uuid.UUID | None, str]] = field(default_factory=list)

    def add(self, name: str, password: str, role: str = "agent", departments: tuple[str, ...] = ("billing",),
            language: str = "en", demo: bool = False) -> Agent:
        checked = check_new_agent(name, password, role, list(departments), language)
        agent = Agent(uuid.uuid4(), name, AgentRole(checked), language, departments, demo=demo)
        self.agents[name] = (agent, password)
        return agent

    async def login(self, name: str, password: str, address: str, now: datetime, *, allow_demo: bool = True
                    ) -> tuple[LoginOutcome, Agent | None]:
        keys = throttle_keys(name, address)
        recent = [k for k, at in self.failures if at >= now - self.limits.window]
        if login_blocked(recent.count(keys[0]), recent.count(keys[1]), self.limits):
            return LoginOutcome.THROTTLED, None
        found = self.agents.get(name)
        if found is not None and found[1] == password and not found[0].disabled and (allow_demo or not found[0].demo):
            return LoginOutcome.OK, found[0]
        self.failures += [(keys[0], now), (keys[1], now)]
        return LoginOutcome.REFUSED, found[0] if found else None

    async def open_session(self, agent: Agent, now: datetime) -> tuple[str, Session]:
        token = new_token()
        session = Session(agent, new_token(), now + SESSION_TTL)
        self.sessions[token_hash(token)] = session
        return token, session

    async def session(self, token: str, now: datetime) -> Session | None:
        found = self.sessions.get(token_hash(token))
        if found is None or found.expires_at <= now:
            return None
        agent = self.agents[found.agent.name][0]
        return None if agent.disabled else Session(agent, found.csrf_token, found.expires_at)

    async def close_session(self, token: str) -> None:
        self.sessions.pop(token_hash(token), None)

    async def set_language(self, agent_id: uuid.UUID, language: str) -> None:
        for name, (agent, password) in self.agents.items():
            if agent.agent_id == agent_id:
                self.agents[name] = (Agent(agent.agent_id, agent.name, agent.role, language, agent.departments,
                                           agent.disabled, agent.demo), password)

    async def audit(self, agent: Agent | None, action: str, now: datetime, *, case_id: uuid.UUID | None = None,
                    detail: str = "") -> None:
        self.trail.append((agent.name if agent else None, action, case_id, detail))

    def actions(self) -> list[str]:
        return [action for _, action, _, _ in self.trail]
