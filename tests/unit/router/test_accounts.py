"""The console's account rules, pure: what a new account needs, sessions and CSRF tokens, the
login rate limit, who works which queue."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from heed_router.domain.accounts import (
    AccountError,
    Agent,
    AgentRole,
    LoginLimits,
    check_new_agent,
    client_address,
    csrf_ok,
    login_blocked,
    new_token,
    parse_proxies,
    throttle_keys,
    token_hash,
)


def test_a_new_account_is_checked_field_by_field_with_a_message_saying_what_to_change():
    assert check_new_agent("li", "correct horse battery", "agent", ["billing"], "zh-Hant") is AgentRole.AGENT
    assert check_new_agent("root", "correct horse battery", "admin", [], "en") is AgentRole.ADMIN
    cases = [
        (("Li Wei", "correct horse battery", "agent", ["billing"], "en"), "the name takes"),
        (("li", "short", "agent", ["billing"], "en"), "shorter than 12"),
        (("li", " correct horse battery", "agent", ["billing"], "en"), "spaces"),
        (("li", "correct horse battery", "owner", ["billing"], "en"), "unknown role 'owner'"),
        (("li", "correct horse battery", "agent", [], "en"), "at least one department"),
        (("li", "correct horse battery", "agent", ["Billing Team"], "en"), "a department is"),
        (("li", "correct horse battery", "agent", ["billing"], "fr"), "unknown console language 'fr'"),
    ]
    for args, message in cases:
        with pytest.raises(AccountError, match=message):
            check_new_agent(*args)


def test_session_tokens_are_random_and_only_their_hash_is_kept():
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(len(t) >= 43 for t in tokens)
    token = next(iter(tokens))
    assert token_hash(token) == token_hash(token) and len(token_hash(token)) == 32
    assert token.encode() not in token_hash(token)


def test_csrf_needs_the_sessions_own_token():
    assert csrf_ok("abc123", "abc123")
    assert not csrf_ok("abc123", "abc124")
    assert not csrf_ok("abc123", None) and not csrf_ok("abc123", "")
    assert not csrf_ok(None, None) and not csrf_ok("", "")


def test_the_login_limit_counts_per_account_and_per_address():
    limits = LoginLimits(per_account=5, per_address=20, window=timedelta(minutes=15))
    assert not login_blocked(4, 19, limits)
    assert login_blocked(5, 0, limits)
    assert login_blocked(0, 20, limits)
    name_key, address_key = throttle_keys(" Li ", "10.0.0.7")
    assert name_key == throttle_keys("li", "10.0.0.8")[0]  # the name as typed, case and spaces aside
    assert address_key != throttle_keys("li", "10.0.0.8")[1]
    assert b"10.0.0.7" not in address_key and b"li" not in name_key


def test_an_agent_works_their_departments_and_an_admin_every_one():
    agent = Agent(uuid.uuid4(), "li", AgentRole.AGENT, "en", ("billing",))
    admin = Agent(uuid.uuid4(), "root", AgentRole.ADMIN, "en", ())
    supervisor = Agent(uuid.uuid4(), "mei", AgentRole.SUPERVISOR, "en", ("billing", "service"))
    assert agent.works("billing") and not agent.works("service")
    assert admin.works("service") and supervisor.works("service")
    assert agent.actor == "agent:li"
    assert not agent.releases_any and supervisor.releases_any and admin.releases_any


def test_the_login_address_believes_x_forwarded_for_only_from_a_trusted_proxy():
    proxies = parse_proxies("10.0.0.0/8, 192.0.2.7")
    # no proxy configured, or a connection from elsewhere: whatever the header says, the peer counts
    assert client_address("203.0.113.5", "198.51.100.1", ()) == "203.0.113.5"
    assert client_address("203.0.113.5", "198.51.100.1", proxies) == "203.0.113.5"
    assert client_address("127.0.0.1", "198.51.100.1", proxies) == "127.0.0.1"
    # through trusted proxies: the nearest hop they did not add, not what the client wrote on the left
    assert client_address("10.1.2.3", "198.51.100.1", proxies) == "198.51.100.1"
    assert client_address("10.1.2.3", "1.1.1.1, 198.51.100.1, 192.0.2.7", proxies) == "198.51.100.1"
    assert client_address("10.1.2.3", None, proxies) == "10.1.2.3"
    with pytest.raises(ValueError, match="'not-a-network'"):
        parse_proxies("10.0.0.0/8,not-a-network")


def test_failures_from_one_ipv6_64_count_as_one_address():
    def key(address: str) -> bytes:
        return throttle_keys("li", address)[1]

    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff:ffff:ffff:fffe")  # the same /64: one client
    assert key("2001:db8:1:2::1") != key("2001:db8:1:3::1")
    assert key("::ffff:192.0.2.9") == key("192.0.2.9") != key("192.0.2.10")
