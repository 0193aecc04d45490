"""The fair queue in SQL (the rule is `domain/queue.py`'s, and docs/QUEUES.md's): the next case,
locked for the claiming transaction; the customers' turns; an agent's claimed cases."""

from __future__ import annotations

import uuid
from datetime import datetime

from heed_router.adapters.postgres import Conn

# A case's turn key is its customer's in the CRM (the merge's survivor), else its identity
# (`domain/customers.py` turn_of), read when the queue is asked: cases opened before a merge take
# the survivor's turn too. Waiting cases are ordered by the rule; a case another transaction has
# locked (being claimed right now) is skipped, never waited for. FOR UPDATE cannot sit on a query
# with a join to an aggregate, so the turns are a plain LEFT JOIN on their own table.
_NEXT = """
SELECT c.case_id FROM cases c
LEFT JOIN customer_tiers k ON k.identity = c.customer
LEFT JOIN queue_turns t ON t.department = c.department AND t.customer = coalesce(k.customer_id::text, c.customer)
WHERE c.department = $1 AND c.status IN ('new', 'acknowledged', 'pending_department')
  AND (c.claimed_by IS NULL OR c.claim_expires_at <= $2)
  AND (c.reserved_for IS NULL OR c.reserved_until IS NULL OR c.reserved_until <= $2 OR c.reserved_for = $3)
ORDER BY (c.reserved_for = $3 AND c.reserved_until > $2) IS TRUE DESC, c.urgency_rank DESC,
  t.last_served_at ASC NULLS FIRST, coalesce(c.queued_at, c.opened_at), c.case_id::text
LIMIT 1
FOR UPDATE OF c SKIP LOCKED
"""


async def lock_next_case(conn: Conn, department: str, now: datetime, actor: str | None = None) -> uuid.UUID | None:
    """The department's next case for `actor` by the fair rule, locked until the caller's transaction ends."""
    found = await conn.fetchval(_NEXT, department, now, actor)
    return uuid.UUID(str(found)) if found is not None else None


async def record_turn(conn: Conn, department: str, customer: str, at: datetime) -> None:
    """The customer of identity `customer` just got a turn in the department (their case was claimed)."""
    await conn.execute(
        "INSERT INTO queue_turns (department, customer, last_served_at) VALUES ($1,"
        " coalesce((SELECT customer_id::text FROM customer_tiers WHERE identity = $2), $2), $3)"
        " ON CONFLICT (department, customer) DO UPDATE"
        " SET last_served_at = greatest(queue_turns.last_served_at, excluded.last_served_at)",
        department, customer, at)


async def claimed_count(conn: Conn, actor: str, now: datetime) -> int:
    """How many cases `actor` holds claimed at `now` (what capacity counts)."""
    return int(await conn.fetchval(
        "SELECT count(*) FROM cases WHERE claimed_by = $1 AND claim_expires_at > $2"
        " AND status IN ('new', 'acknowledged', 'pending_department')", actor, now))
