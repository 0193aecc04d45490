"""In-memory fakes of the router's ports, for handler tests without a broker or a database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from heed.contracts.events import Alert, CustomerTier, CustomerUpdate, Event
from heed_router.domain.cases import Assignment, KnownCustomer
from tests.unit.fakes import FakePublisher, FixedClock  # noqa: F401 - shared by this service's tests

E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class CustomerVersion:
    tier: CustomerTier
    owner: str | None
    version: int


class FakeCases:
    """The CaseStore in dictionaries: a case's first mention is the first one recorded for it."""

    def __init__(self) -> None:
        self.first_mention: dict[uuid.UUID, uuid.UUID] = {}  # case_id → the mention that opened it
        self.routed: dict[uuid.UUID, Assignment] = {}  # mention_id → its first routing
        self.known: dict[str, CustomerVersion] = {}  # identity → newest tier and owner

    async def customers(self, identities: Sequence[str]) -> dict[str, KnownCustomer]:
        return {i: KnownCustomer(self.known[i].tier, self.known[i].owner) for i in identities if i in self.known}

    async def record_routing(self, assignments: Sequence[Assignment]) -> dict[uuid.UUID, uuid.UUID]:
        for a in assignments:
            self.first_mention.setdefault(a.case_id, a.mention.mention_id)
            self.routed.setdefault(a.mention.mention_id, a)
        return {a.case_id: self.first_mention[a.case_id] for a in assignments}

    async def apply_customer_updates(self, updates: Sequence[CustomerUpdate]) -> None:
        for u in updates:
            for identity in u.identities:
                known = self.known.get(identity)
                if known is None or known.version <= u.version:
                    self.known[identity] = CustomerVersion(u.tier, u.owner, u.version)


class FakeNotifier:
    """The AlertNotifier as a list of the alerts it was handed."""

    def __init__(self) -> None:
        self.notified: list[Alert] = []
        self.closed = False

    def notify(self, alert: Alert) -> None:
        self.notified.append(alert)

    async def aclose(self) -> None:
        self.closed = True
