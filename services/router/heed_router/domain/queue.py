"""The fair queue: which case a department's agent gets next. Pure; `adapters/queue.py` is the same
rule in SQL, and a test holds them to the same picks.

The rule (docs/QUEUES.md), among the department's cases that wait for an answer and are not
claimed (or whose claim lapsed):
1. the most urgent first (critical, high, normal, low);
2. then the customer whose last turn in this department is oldest — a customer never served
   first — so a customer with ten open cases takes turns with everyone else instead of holding
   the queue;
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
    customer: str
    urgency_rank: int
    queued_at: datetime
    claimed_by: str | None = None
    claim_expires_at: datetime | None = None

    def free(self, now: datetime) -> bool:
        return self.claimed_by is None or (self.claim_expires_at is not None and self.claim_expires_at <= now)


def _turn_key(case: QueuedCase, last_served: Mapping[str, datetime]) -> tuple[int, int, float, datetime, str]:
    served = last_served.get(case.customer)
    return (-case.urgency_rank, 0 if served is None else 1, served.timestamp() if served else 0.0, case.queued_at,
            str(case.case_id))


def pick_next(cases: Iterable[QueuedCase], last_served: Mapping[str, datetime], now: datetime) -> QueuedCase | None:
    """The case the next agent gets, by the fair rule; None when no free case waits."""
    free = [c for c in cases if c.free(now)]
    return min(free, key=lambda c: _turn_key(c, last_served)) if free else None
