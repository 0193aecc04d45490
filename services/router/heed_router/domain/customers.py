"""What the router learns from crm-sync's customer announcements (heed.crm.customers): pure, no I/O.

Each identity (`channel:platform_id`) keeps the newest announcement about it: its tier, owner and
follow-up consent, and the customer it belongs to now — the survivor of a merge — which is the
fair queue's turn key, so a person writing from two channels takes one turn. An alias's own
announcement (`merged_into`) only moves its identities to the survivor. An erasure forgets the
identities: their rows go, and only a keyed hash (HMAC-SHA256 under HEED_ERASURE_KEY, see
`heed.identity_hashes`) with the erasure's version stays, so an older announcement arriving late
cannot bring them back. `version` is one sequence across customers,
so "newest" is well defined even when a merge or an unmerge moves an identity.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from heed.contracts.events import CustomerTier, CustomerUpdate, derive_id
from heed_router.domain.lifecycle import Case, Change, erase

ERASED = "erased:"  # what an erased thread root becomes (a one-way key, see `forgotten_thread`)


def split_identity(identity: str) -> tuple[str, str]:
    """`channel:platform_id` as (channel, platform_id); a channel name never holds a colon."""
    channel, _, platform_id = identity.partition(":")
    return channel, platform_id


def turn_of(identity: str, customer_id: uuid.UUID | None) -> str:
    """The fair queue's turn key of an identity: its customer (the merge's survivor) once the CRM
    named one, else the identity itself."""
    return str(customer_id) if customer_id is not None else identity


class OwnerAgentsError(ValueError):
    """HEED_ROUTER_OWNER_AGENTS cannot be used; the message names the entry."""


@dataclass(frozen=True)
class OwnerAgents:
    """Which agent of the cases API a CRM owner is, to reserve their customers' new cases for.

    The CRM names an owner by its own id (HubSpot's `hubspot_owner_id`, Salesforce's `OwnerId`), which
    is no agent's name: HEED_ROUTER_OWNER_AGENTS maps those ids to agents' names. An owner that is an
    agent's name already is taken as it is. Either way the agent must be one the cases API knows (a
    name in HEED_API_TOKENS with the agent or supervisor role): a case reserved for anyone else would
    be hidden from every agent until the reservation lapses.
    """

    mapped: Mapping[str, str] = field(default_factory=dict)  # CRM owner id → agent name
    agents: frozenset[str] = frozenset()  # the agents' names the cases API knows

    @classmethod
    def parse(cls, value: str | None, agents: Iterable[str]) -> OwnerAgents:
        """`crm-owner-id=agent-name` entries, comma-separated; an agent may be written `agent:name`."""
        mapped: dict[str, str] = {}
        for position, raw in enumerate((value or "").split(","), start=1):
            if not raw.strip():
                continue
            owner, sep, agent = (part.strip() for part in raw.partition("="))
            agent = agent.removeprefix("agent:")
            where = f"HEED_ROUTER_OWNER_AGENTS entry {position}"
            if not sep or not owner or not agent:
                raise OwnerAgentsError(f"{where}: expected crm-owner-id=agent-name")
            if owner in mapped:
                raise OwnerAgentsError(f"{where}: the owner {owner!r} is mapped twice")
            mapped[owner] = agent
        return cls(mapped, frozenset(agents))

    def unknown(self) -> list[str]:
        """The agents the mapping names that the cases API does not know (their owners reserve nothing)."""
        return sorted({a for a in self.mapped.values() if a not in self.agents})

    def actor(self, owner: str | None) -> str | None:
        """The agent (`agent:<name>`) to reserve a case of a customer with this owner for; None for no
        owner, or one that is no agent the cases API knows (the rules can still see the owner)."""
        owner = (owner or "").strip()
        if not owner:
            return None
        name = self.mapped.get(owner, owner.removeprefix("agent:"))
        return f"agent:{name}" if name in self.agents else None


def forgotten_thread(channel: str, thread_root: str) -> str:
    """What an erased case's thread root becomes: the conversation is still found (its next case
    is a new generation, never the erased case's id again), its post's id is no longer held."""
    return ERASED + str(derive_id("erased-thread", channel, thread_root))


@dataclass(frozen=True)
class CustomerRow:
    """One identity as the router holds it (a `customer_tiers` row)."""

    identity: str
    customer_id: uuid.UUID | None
    tier: CustomerTier
    owner: str | None
    follow_up_consent: bool | None
    version: int

    @property
    def turn(self) -> str:
        return turn_of(self.identity, self.customer_id)


@dataclass(frozen=True)
class HeldCustomers:
    """What the store holds about the identities a batch names: their rows (also those of the
    customers a batch merges away or erases) and, for erased ones, the erasure's version."""

    rows: Mapping[str, CustomerRow] = field(default_factory=dict)
    erased: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Erasure:
    """A customer erased on request: its identities, their queue-turn keys, and the announcement's
    time (cases opened after it belong to a person who came back, not to the erased record)."""

    identities: tuple[str, ...]
    turns: tuple[str, ...]
    before: datetime
    cause: uuid.UUID  # the announcement: the case events it causes derive their ids from it


@dataclass
class CustomerLearning:
    """What a batch of announcements changes: rows to write, identities to forget (row deleted, a
    tombstone at the erasure's version), queue turns to carry from an old key to a new one, and
    the erasures whose cases are to be forgotten."""

    rows: dict[str, CustomerRow] = field(default_factory=dict)
    forgotten: dict[str, int] = field(default_factory=dict)
    regrouped: list[tuple[str, str]] = field(default_factory=list)
    erasures: list[Erasure] = field(default_factory=list)


def learn(updates: Sequence[CustomerUpdate], held: HeldCustomers) -> CustomerLearning:
    """Apply a batch of announcements, oldest version first, to what the store holds.

    An announcement about an identity older than what is held, or no newer than the identity's
    erasure, changes nothing. An alias's (`merged_into`) and an erasure's announcement also apply
    to the identities held under that customer id, since crm-sync lists them only on the survivor.
    """
    rows = dict(held.rows)
    erased = dict(held.erased)
    out = CustomerLearning()
    for u in sorted(updates, key=lambda u: (u.version, str(u.event_id))):
        members = list(dict.fromkeys([*u.identities, *_held_under(rows.values(), u)]))
        if u.erased:
            turns = []
            for identity in members:
                row = rows.get(identity)
                turns += [identity, row.turn] if row is not None else [identity]
                if u.version > erased.get(identity, 0):
                    erased[identity] = out.forgotten[identity] = u.version
                if row is not None and row.version <= u.version:
                    del rows[identity]
                    out.rows.pop(identity, None)
            out.erasures.append(Erasure(tuple(members), tuple(dict.fromkeys(turns)), u.occurred_at, u.event_id))
            continue
        survivor = u.merged_into or u.customer_id
        for identity in members:
            row = rows.get(identity)
            if u.version <= erased.get(identity, 0) or (row is not None and row.version > u.version):
                continue  # older news about an erased identity, or older than what is held
            if u.merged_into is not None and row is not None:  # the alias: follow the survivor, nothing else
                new = replace(row, customer_id=survivor, version=u.version)
            else:
                new = CustomerRow(identity, survivor, u.tier, u.owner, u.consent.get("follow_up"), u.version)
            before = row.turn if row is not None else identity
            if before != new.turn:
                out.regrouped.append((before, new.turn))
            rows[identity] = out.rows[identity] = new
    return out


def _held_under(rows: Iterable[CustomerRow], update: CustomerUpdate) -> list[str]:
    if not (update.erased or update.merged_into is not None):
        return []
    return sorted(r.identity for r in rows if r.customer_id == update.customer_id)


def asked(updates: Sequence[CustomerUpdate]) -> tuple[list[str], list[uuid.UUID]]:
    """What `learn` needs loaded: the identities named, and the customers merged away or erased."""
    identities = sorted({i for u in updates for i in u.identities})
    customers = sorted({u.customer_id for u in updates if u.erased or u.merged_into is not None}, key=str)
    return identities, customers


@dataclass(frozen=True)
class Forgetting:
    """What an erasure scrubs from the router's records besides the cases' own rows (`lifecycle.erase`).

    `identities`: each erased identity's mentions and the answers addressed to it, on any case,
    received or written before the erasure, lose their ids and text. `cases`: each erased case's
    mentions, answers, notes and event details lose theirs, and its conversation is found only by
    its forgotten root. `turns`: the queue-turn keys of the erased customers."""

    identities: Mapping[str, datetime] = field(default_factory=dict)
    cases: Mapping[uuid.UUID, str] = field(default_factory=dict)  # case id → its forgotten thread root
    turns: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.identities or self.cases or self.turns)


def forget_cases(erasures: Sequence[Erasure], cases: Mapping[uuid.UUID, Case],
                 now: datetime) -> tuple[Forgetting, list[Change]]:
    """The erased customers' cases opened before their erasure, each closed and stripped of its
    customer and thread root, and everything else to scrub."""
    identities: dict[str, datetime] = {}
    changes: dict[uuid.UUID, Change] = {}
    roots: dict[uuid.UUID, str] = {}
    for erasure in erasures:
        for identity in erasure.identities:
            identities[identity] = max(identities.get(identity, erasure.before), erasure.before)
        for case in sorted(cases.values(), key=lambda c: str(c.case_id)):
            if case.case_id in changes or case.customer not in erasure.identities or case.opened_at > erasure.before:
                continue
            roots[case.case_id] = forgotten_thread(case.channel, case.thread_root)
            changes[case.case_id] = erase(case, forgotten_root=roots[case.case_id], cause=erasure.cause, now=now)
    turns = tuple(dict.fromkeys(t for e in erasures for t in e.turns))
    return Forgetting(identities, roots, turns), list(changes.values())
