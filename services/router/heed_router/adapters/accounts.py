"""The console's accounts over the router's schema: agents, departments, sessions, failed logins
and the audit trail (migration 007). Passwords are hashed with argon2id (argon2-cffi's defaults:
64 MiB, 3 passes), sessions kept as the SHA-256 of the cookie's token."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from heed_router.domain.accounts import (
    SESSION_TTL,
    AccountError,
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

_HASHER = PasswordHasher()
# checked against when the name is unknown, so a wrong name takes as long as a wrong password
_DUMMY = _HASHER.hash("not-a-password-anyone-has")

_AGENT = ("SELECT a.agent_id, a.name, a.role, a.language, a.disabled_at, a.demo, a.password_hash,"
          " coalesce(array_agg(d.department ORDER BY d.department) FILTER (WHERE d.department IS NOT NULL), '{}')"
          " AS departments FROM agents a LEFT JOIN agent_departments d USING (agent_id)")


def _agent(r: asyncpg.Record) -> Agent:
    return Agent(agent_id=r["agent_id"], name=r["name"], role=AgentRole(r["role"]), language=r["language"],
                 departments=tuple(r["departments"]), disabled=r["disabled_at"] is not None, demo=r["demo"])


class PostgresAccounts:
    """The Accounts port over the router's schema."""

    def __init__(self, pool: asyncpg.Pool, limits: LoginLimits = LoginLimits()) -> None:
        self.pool, self.limits = pool, limits

    async def add(self, name: str, password: str, role: str, departments: Sequence[str], language: str,
                  now: datetime, *, demo: bool = False) -> Agent:
        checked = check_new_agent(name, password, role, list(departments), language)
        agent_id = uuid.uuid4()
        async with self.pool.acquire() as conn, conn.transaction():
            inserted = await conn.fetchval(
                "INSERT INTO agents (agent_id, name, role, password_hash, language, created_at, demo)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name) DO NOTHING RETURNING agent_id",
                agent_id, name, checked.value, _HASHER.hash(password), language, now, demo)
            if inserted is None:
                raise AccountError(f"an agent named {name!r} exists already")
            await conn.executemany("INSERT INTO agent_departments (agent_id, department) VALUES ($1, $2)",
                                   [(agent_id, d) for d in sorted(set(departments))])
        return Agent(agent_id, name, checked, language, tuple(sorted(set(departments))), demo=demo)

    async def agents(self) -> list[Agent]:
        rows = await self.pool.fetch(_AGENT + " GROUP BY a.agent_id ORDER BY a.name")
        return [_agent(r) for r in rows]

    async def disable(self, name: str, now: datetime) -> bool:
        """Disable the account and end its sessions; False when there is no such agent."""
        async with self.pool.acquire() as conn, conn.transaction():
            agent_id = await conn.fetchval(
                "UPDATE agents SET disabled_at = coalesce(disabled_at, $2) WHERE name = $1 RETURNING agent_id",
                name, now)
            if agent_id is None:
                return False
            await conn.execute("DELETE FROM agent_sessions WHERE agent_id = $1", agent_id)
        return True

    async def disable_demo(self, now: datetime) -> int:
        """Disable every demo account (HEED_ENV=production refuses them); returns how many were live."""
        async with self.pool.acquire() as conn, conn.transaction():
            ids = [r["agent_id"] for r in await conn.fetch(
                "UPDATE agents SET disabled_at = $1 WHERE demo AND disabled_at IS NULL RETURNING agent_id", now)]
            await conn.execute("DELETE FROM agent_sessions WHERE agent_id = ANY($1::uuid[])", ids)
        return len(ids)

    async def set_language(self, agent_id: uuid.UUID, language: str) -> None:
        await self.pool.execute("UPDATE agents SET language = $2 WHERE agent_id = $1", agent_id, language)

    async def login(self, name: str, password: str, address: str, now: datetime, *, allow_demo: bool = True
                    ) -> tuple[LoginOutcome, Agent | None]:
        """Check a login; a failure is counted against the name and the address, and too many of
        either within the window refuse the next attempts before the password is checked."""
        account_key, address_key = throttle_keys(name, address)
        since = now - self.limits.window
        async with self.pool.acquire() as conn, conn.transaction():
            # Attempts on one name, or from one address, take turns through this short transaction:
            # without it, parallel guesses all read the count before any of them wrote its failure,
            # and a burst of a hundred got a hundred tries past a limit of five.
            await conn.execute("SELECT pg_advisory_xact_lock($1), pg_advisory_xact_lock($2)",
                               _lock_id(account_key), _lock_id(address_key))
            await conn.execute("DELETE FROM login_failures WHERE failed_at < $1", since)
            counts = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE key_hash = $1) AS by_account,"
                " count(*) FILTER (WHERE key_hash = $2) AS by_address FROM login_failures"
                " WHERE key_hash = ANY(ARRAY[$1, $2]::bytea[]) AND failed_at >= $3", account_key, address_key, since)
            assert counts is not None  # an aggregate always gives a row
            if login_blocked(counts["by_account"], counts["by_address"], self.limits):
                return LoginOutcome.THROTTLED, None
            # counted as a failure before the password is checked, and taken back if it was right: the
            # check then needs neither the lock nor a connection (the router has few, and its
            # consumers need them)
            await conn.executemany("INSERT INTO login_failures (key_hash, failed_at) VALUES ($1, $2)",
                                   [(account_key, now), (address_key, now)])
            row = await conn.fetchrow(_AGENT + " WHERE a.name = $1 GROUP BY a.agent_id", name.strip().lower())
        # argon2 takes tens of milliseconds of CPU: off the event loop, which also serves the console's
        # streams and the router's consumers
        good = await asyncio.to_thread(_verify, row["password_hash"] if row is not None else _DUMMY, password)
        agent = _agent(row) if row is not None else None
        if not (good and row is not None and agent is not None and not agent.disabled
                and (allow_demo or not agent.demo)):
            return LoginOutcome.REFUSED, agent
        rehashed = await asyncio.to_thread(_HASHER.hash, password) \
            if _HASHER.check_needs_rehash(row["password_hash"]) else None
        async with self.pool.acquire() as conn:
            await conn.execute(  # the failure this attempt was counted as, one row per key
                "DELETE FROM login_failures WHERE ctid IN (SELECT DISTINCT ON (key_hash) ctid FROM login_failures"
                " WHERE key_hash = ANY(ARRAY[$1, $2]::bytea[]) AND failed_at = $3)", account_key, address_key, now)
            if rehashed is not None:
                await conn.execute("UPDATE agents SET password_hash = $2 WHERE agent_id = $1", agent.agent_id,
                                   rehashed)
        return LoginOutcome.OK, agent

    async def open_session(self, agent: Agent, now: datetime) -> tuple[str, Session]:
        """A new session for `agent`: the token for the cookie, and the session with its CSRF token."""
        token, csrf = new_token(), new_token()
        expires = now + SESSION_TTL
        async with self.pool.acquire() as conn:
            await conn.execute("DELETE FROM agent_sessions WHERE expires_at <= $1", now)  # expired ones go
            await conn.execute(
                "INSERT INTO agent_sessions (token_hash, agent_id, csrf_token, created_at, expires_at)"
                " VALUES ($1, $2, $3, $4, $5)", token_hash(token), agent.agent_id, csrf, now, expires)
        return token, Session(agent, csrf, expires)

    async def session(self, token: str, now: datetime) -> Session | None:
        """The live session of this cookie token; None when unknown, expired or its agent disabled."""
        row = await self.pool.fetchrow(
            "SELECT s.csrf_token, s.expires_at, s.agent_id FROM agent_sessions s JOIN agents a USING (agent_id)"
            " WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.disabled_at IS NULL", token_hash(token), now)
        if row is None:
            return None
        agent = await self.pool.fetchrow(_AGENT + " WHERE a.agent_id = $1 GROUP BY a.agent_id", row["agent_id"])
        return None if agent is None else Session(_agent(agent), row["csrf_token"], row["expires_at"])

    async def close_session(self, token: str) -> None:
        await self.pool.execute("DELETE FROM agent_sessions WHERE token_hash = $1", token_hash(token))

    async def audit(self, agent: Agent | None, action: str, now: datetime, *, case_id: uuid.UUID | None = None,
                    detail: str = "") -> None:
        await self.pool.execute("INSERT INTO agent_audit (agent_id, action, case_id, detail, at)"
                                " VALUES ($1, $2, $3, $4, $5)", agent.agent_id if agent else None, action, case_id,
                                detail, now)


def _lock_id(key: bytes) -> int:
    """A transaction-level advisory lock's bigint for a throttle key (its first 8 bytes)."""
    return int.from_bytes(key[:8], "big", signed=True)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
