"""The fair queue: which case a department's agent gets next. Pure; `adapters/queue.py` is the same
rule in SQL, and a test holds them to the same picks.

The rule (docs/QUEUES.md), among the department's cases that wait for an answer, are not claimed
(or whose claim lapsed) and are not reserved for another agent (or whose reservation lapsed):
0. the cases reserved for the asking agent (their customers' cases, the CRM's owner) first;
1. the most urgent first (critical, high, normal, low);
2. then the customer whose last turn in this department is oldest — a customer never served
   first — so a customer with ten open cases takes turns with everyone else instead of holding
   the queue. The customer is the CRM's (`domain/customers.py` `turn_of`): identities merged into
   one customer share its turns;
3. then the case that has waited longest (in the queue since), then its id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

NEVER = datetime.min  # naive on purpose: only compared through `_turn_key`


@dataclass(frozen=True)
class QueuedCase:
    case_id: uuid.UUID
    customer: str  # the turn key: the CRM's customer (merges' survivor), else the identity
    urgency_rank: int
    queued_at: datetime
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None
    reserved_for: str | None = None
    reserved_until: datetime | None = None

    def free(self, now: datetime) -> bool:
        return self.claimed_by is None or (self.claim_expires_at is not None and self.claim_expires_at <= now)

    def reserved(self, now: datetime) -> bool:
        return self.reserved_for is not None and self.reserved_until is not None and self.reserved_until > now

    def open_to(self, actor: str | None, now: datetime) -> bool:
        """Not reserved for another agent (or the reservation lapsed)."""
        return not self.reserved(now) or self.reserved_for == actor


def _turn_key(case: QueuedCase, last_served: Mapping[str, datetime], actor: str | None,
              now: datetime) -> tuple[int, int, int, float, datetime, str]:
    served = last_served.get(case.customer)
    mine = actor is not None and case.reserved(now) and case.reserved_for == actor
    return (0 if mine else 1, -case.urgency_rank, 0 if served is None else 1, served.timestamp() if served else 0.0,
            case.queued_at, str(case.case_id))


def pick_next(cases: Iterable[QueuedCase], last_served: Mapping[str, datetime], now: datetime,
              actor: str | None = None) -> QueuedCase | None:
    """The case `actor` gets next, by the fair rule; None when no free case waits for them."""
    free = [c for c in cases if c.free(now) and c.open_to(actor, now)]
    return min(free, key=lambda c: _turn_key(c, last_served, actor, now)) if free else None
