"""The console's accounts, pure: agents with a role and departments, session tokens, the CSRF
check, the login rate limit and the password rule. Stored by `adapters/accounts.py`; hashing with
argon2 is in that adapter's `PasswordHasher` (a library call, not a decision)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class AgentRole(StrEnum):
    AGENT = "agent"  # works the queues of their departments
    SUPERVISOR = "supervisor"  # and may release anyone's claim, in their departments
    ADMIN = "admin"  # and manages accounts; sees every department


CONSOLE_LANGUAGES = ("en", "zh-Hans", "zh-Hant", "th")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
DEPARTMENT = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
MIN_PASSWORD = 12


class AccountError(ValueError):
    """An account that cannot be made as asked; the message says what to change."""


@dataclass(frozen=True)
class Agent:
    agent_id: uuid.UUID
    name: str
    role: AgentRole
    language: str
    departments: tuple[str, ...]
    disabled: bool = False
    demo: bool = False

    @property
    def actor(self) -> str:
        """Who acts, as case events name an agent (the cases API's `agent:<name>`)."""
        return f"agent:{self.name}"

    @property
    def releases_any(self) -> bool:
        return self.role in (AgentRole.SUPERVISOR, AgentRole.ADMIN)

    def works(self, department: str) -> bool:
        """Whether this agent may work `department`'s queue: an admin every one, others their own."""
        return self.role is AgentRole.ADMIN or department in self.departments


def check_new_agent(name: str, password: str, role: str, departments: list[str], language: str) -> AgentRole:
    """The role, once every field of a new account is acceptable; AccountError naming the first that is not."""
    if not NAME.match(name):
        raise AccountError("the name takes 2-63 of a-z, 0-9, '.', '_', '-', starting with a letter or digit")
    if role not in AgentRole.__members__.values():
        raise AccountError(f"unknown role {role!r}; one of {', '.join(r.value for r in AgentRole)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is shorter than {MIN_PASSWORD} characters")
    if password.strip() != password or not password.strip():
        raise AccountError("the password starts or ends with spaces")
    bad = [d for d in departments if not DEPARTMENT.match(d)]
    if bad:
        raise AccountError("a department is a-z, 0-9, '.', '_', '-' (as the routing rules name it)")
    if language not in CONSOLE_LANGUAGES:
        raise AccountError(f"unknown console language {language!r}; one of {', '.join(CONSOLE_LANGUAGES)}")
    if role != AgentRole.ADMIN and not departments:
        raise AccountError("an agent or supervisor needs at least one department (--department)")
    return AgentRole(role)


# --- sessions and CSRF ------------------------------------------------------------------------

SESSION_TTL = timedelta(hours=12)


def new_token() -> str:
    """A session or CSRF token: 256 random bits."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    """What is stored of a session token: its SHA-256 (a read of the table logs nobody in)."""
    return hashlib.sha256(token.encode()).digest()


def csrf_ok(expected: str | None, presented: str | None) -> bool:
    """Whether the CSRF token presented with a state-changing request is the session's (constant time)."""
    return bool(expected) and bool(presented) and hmac.compare_digest(str(expected), str(presented))


@dataclass(frozen=True)
class Session:
    agent: Agent
    csrf_token: str
    expires_at: datetime


# --- login rate limit -------------------------------------------------------------------------

@dataclass(frozen=True)
class LoginLimits:
    """Failed logins allowed within `window`, per account name and per client address."""

    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)


def throttle_keys(name: str, address: str) -> tuple[bytes, bytes]:
    """The keys failures are counted under: hashes of the name tried and of the client address (the
    rows never hold either; they are kept only for the window)."""
    return (hashlib.sha256(b"account\0" + name.strip().lower().encode()).digest(),
            hashlib.sha256(b"address\0" + address_block(address).encode()).digest())


def address_block(address: str) -> str:
    """What one client's failures count under: an IPv4 address itself, an IPv6 address's /64 (one
    subscriber or host gets a whole /64 and can try each of its 2**64 addresses in turn)."""
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class LoginOutcome(StrEnum):
    OK = "ok"
    REFUSED = "refused"  # a wrong name or password, or a disabled account: one answer for all three
    THROTTLED = "throttled"  # too many failures for the name or the address: tried again later


def login_blocked(failures_for_account: int, failures_for_address: int, limits: LoginLimits) -> bool:
    """Whether another attempt is refused before its password is even checked."""
    return failures_for_account >= limits.per_account or failures_for_address >= limits.per_address


# --- which address a login comes from -----------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(value: str | None) -> tuple[Network, ...]:
    """HEED_CONSOLE_TRUSTED_PROXIES: comma-separated addresses or networks (CIDR) of the proxies in
    front of the router; ValueError naming the entry that is neither."""
    networks = []
    for entry in (value or "").split(","):
        if entry.strip():
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise ValueError(f"HEED_CONSOLE_TRUSTED_PROXIES: {entry.strip()!r} is not an address or a network"
                                 ) from None
    return tuple(networks)


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(peer: str, forwarded_for: str | None, proxies: Sequence[Network]) -> str:
    """The address a login is counted against: the connection's own, unless it comes from a trusted
    proxy — then the nearest X-Forwarded-For entry that is not one (a client writes whatever it likes
    to the left of what its proxies append, so only the entries trusted proxies added are believed)."""
    if not forwarded_for or not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer
