"""The console's accounts on real PostgreSQL: `heed agents` makes, lists and disables them; passwords
are argon2id hashes; sessions are kept as hashes and end with the account; failed logins are counted
per name and per address without keeping either; the audit trail gets a row per action."""

from __future__ import annotations

import io
import sys
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from heed_router.adapters.accounts import PostgresAccounts
from heed_router.domain.accounts import AccountError, LoginLimits, LoginOutcome, token_hash

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


async def test_heed_agents_add_list_disable(heed, database_url, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    code, out = await heed("agents", "add", "root", "--role", "admin", "--password-stdin")
    assert code == 0 and out.strip() == "root added as admin"
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    code, _ = await heed("agents", "add", "li", "--department", "billing", "--password-stdin")
    assert code == 2  # refused: the message goes to stderr
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    code, _ = await heed("agents", "add", "li", "--department", "billing", "--language", "zh-Hant", "--password-stdin")
    assert code == 0
    code, out = await heed("agents", "list", "--json")
    assert code == 0 and out.strip() == (
        '[{"name": "li", "role": "agent", "departments": ["billing"], "language": "zh-Hant", "disabled": false, '
        '"demo": false}, {"name": "root", "role": "admin", "departments": [], "language": "en", "disabled": false, '
        '"demo": false}]')
    conn = await asyncpg.connect(database_url)
    try:
        stored = await conn.fetchval("SELECT password_hash FROM router.agents WHERE name = 'li'")
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
    finally:
        await conn.close()
    assert (await heed("agents", "disable", "li"))[0] == 0
    assert (await heed("agents", "disable", "nobody"))[0] == 1
    code, out = await heed("agents", "list")
    assert "li" in out and "disabled" in out.splitlines()[0]


async def test_logins_sessions_throttle_and_audit(pool: asyncpg.Pool):
    book = PostgresAccounts(pool, LoginLimits(per_account=3, per_address=5, window=timedelta(minutes=15)))
    li = await book.add("li", PASSWORD, "agent", ["billing", "service"], "zh-Hant", NOW)
    with pytest.raises(AccountError, match="exists already"):
        await book.add("li", PASSWORD, "agent", ["billing"], "en", NOW)

    outcome, agent = await book.login("li", PASSWORD, "10.0.0.7", NOW)
    assert outcome is LoginOutcome.OK and agent is not None and agent.departments == ("billing", "service")
    token, session = await book.open_session(agent, NOW)
    assert (await book.session(token, NOW + timedelta(hours=1))) == session
    assert await book.session(token, NOW + timedelta(hours=13)) is None  # expired
    assert await book.session("not-a-token", NOW) is None
    assert await pool.fetchval("SELECT count(*) FROM agent_sessions WHERE token_hash = $1", token_hash(token)) == 1

    for _ in range(3):
        assert (await book.login("li", "wrong password!", "10.0.0.7", NOW))[0] is LoginOutcome.REFUSED
    assert (await book.login("li", PASSWORD, "10.0.0.9", NOW))[0] is LoginOutcome.THROTTLED  # per account
    assert (await book.login("li", PASSWORD, "10.0.0.9", NOW + timedelta(minutes=16)))[0] is LoginOutcome.OK
    for name in ("a1", "a2"):
        await book.login(name, "wrong password!", "10.0.0.66", NOW + timedelta(minutes=16))
    # the 10.0.0.7 failures are out of the window now: the address has 2 of 5
    assert (await book.login("li", PASSWORD, "10.0.0.66", NOW + timedelta(minutes=16)))[0] is LoginOutcome.OK
    kept = await pool.fetch("SELECT key_hash FROM login_failures")
    assert kept and all(b"10.0.0" not in r["key_hash"] and b"li" != r["key_hash"] for r in kept)

    case_id = uuid.uuid4()
    await book.audit(li, "answer", NOW, case_id=case_id, detail="public")
    await book.audit(None, "login_refused", NOW)
    rows = await pool.fetch("SELECT agent_id, action, case_id, detail FROM agent_audit ORDER BY seq")
    assert [(r["agent_id"], r["action"], r["case_id"], r["detail"]) for r in rows] == [
        (li.agent_id, "answer", case_id, "public"), (None, "login_refused", None, "")]

    token, _ = await book.open_session(li, NOW)
    assert await book.disable("li", NOW)
    assert await book.session(token, NOW) is None
    assert (await book.login("li", PASSWORD, "10.0.0.8", NOW + timedelta(hours=1)))[0] is LoginOutcome.REFUSED


async def test_demo_accounts_are_refused_where_demo_logins_are_not_allowed(pool: asyncpg.Pool):
    book = PostgresAccounts(pool)
    await book.add("demo", "demo-console-password", "admin", [], "en", NOW, demo=True)
    assert (await book.login("demo", "demo-console-password", "1.2.3.4", NOW))[0] is LoginOutcome.OK
    assert (await book.login("demo", "demo-console-password", "1.2.3.4", NOW, allow_demo=False))[0] \
        is LoginOutcome.REFUSED
    assert await book.disable_demo(NOW) == 1


async def test_a_burst_of_parallel_guesses_gets_no_more_tries_than_the_limit(pool: asyncpg.Pool):
    import asyncio

    book = PostgresAccounts(pool, LoginLimits(per_account=3, per_address=100, window=timedelta(minutes=15)))
    await book.add("li", PASSWORD, "agent", ["billing"], "en", NOW)
    outcomes = await asyncio.gather(*[book.login("li", f"guess number {i}", f"10.9.0.{i}", NOW) for i in range(12)])
    refused = [o for o, _ in outcomes if o is LoginOutcome.REFUSED]
    throttled = [o for o, _ in outcomes if o is LoginOutcome.THROTTLED]
    assert (len(refused), len(throttled)) == (3, 9)  # three passwords checked, however many arrive at once
    assert await pool.fetchval("SELECT count(*) FROM login_failures") == 6  # 3 by the name, 3 by the addresses


async def test_the_password_is_checked_without_holding_a_database_connection(pool: asyncpg.Pool,
                                                                             monkeypatch: pytest.MonkeyPatch):
    """The router's pool is small (HEED_DB_POOL_MAX, 4) and its consumers share it: a flood of logins,
    each tens of milliseconds of argon2, must not keep them waiting for a connection."""
    from heed_router.adapters import accounts as adapter

    book = PostgresAccounts(pool, LoginLimits(per_account=3, per_address=100, window=timedelta(minutes=15)))
    await book.add("li", PASSWORD, "agent", ["billing"], "en", NOW)
    held: list[int] = []
    checked = adapter._verify

    def verify(hashed: str, password: str) -> bool:
        held.append(pool.get_size() - pool.get_idle_size())
        return checked(hashed, password)

    monkeypatch.setattr(adapter, "_verify", verify)
    assert (await book.login("li", "wrong password!", "10.0.0.7", NOW))[0] is LoginOutcome.REFUSED
    assert (await book.login("li", PASSWORD, "10.0.0.7", NOW))[0] is LoginOutcome.OK
    assert held == [0, 0]
    # the right password took back the failure it was counted as before the check; the wrong one stays
    assert await pool.fetchval("SELECT count(*) FROM login_failures") == 2
