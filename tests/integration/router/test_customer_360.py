"""The router's customer 360 on the real PostgreSQL: an erased customer leaves nothing of themselves
in any column of any router table (their cases stay, anonymous, for the reports) and no older
announcement brings them back; identities merged into one customer take one queue turn; a case
reserved for the customer's owner waits for them until the reservation lapses."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import pytest

from heed.contracts import topics
from heed.contracts.events import (
    CaseAnswer,
    CaseEventKind,
    CaseStatus,
    CustomerTier,
    CustomerUpdate,
    ReplyKind,
    ReplyStatus,
    RoutedCase,
    Visibility,
)
from heed.identity_hashes import IdentityHashes
from heed_router.adapters.postgres import unkeyed_identity_key
from heed_router.domain.desk import CaseFilter
from heed_router.handlers import learn_customers
from tests.integration.router.test_case_store import T0, Router, complaint, sent
from tests.unit.factories import batch
from tests.unit.router.fakes import HASHES
from tests.unit.router.test_customer_handlers import announced

pytestmark = pytest.mark.integration

A, B, C = uuid.UUID(int=0xA), uuid.UUID(int=0xB), uuid.UUID(int=0xC)


async def learn(router: Router, *updates: CustomerUpdate) -> None:
    await learn_customers(batch(*updates, topic=topics.CRM_CUSTOMERS), store=router.store, publisher=router.publisher,
                          clock=router.clock)


async def every_value(pool: asyncpg.Pool) -> list[tuple[str, str, str]]:
    """(table, column, value as text) of every non-null value in the router's tables."""
    columns = await pool.fetch(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name <> 'schema_migrations' ORDER BY table_name, ordinal_position")
    values = []
    for c in columns:
        rows = await pool.fetch(f'SELECT "{c["column_name"]}"::text AS v FROM "{c["table_name"]}"'
                                f' WHERE "{c["column_name"]}" IS NOT NULL')
        values += [(c["table_name"], c["column_name"], r["v"]) for r in rows]
    return values


async def test_an_erased_customer_leaves_nothing_of_themselves_in_any_column(pool):
    router = Router(pool)
    await learn(router, announced(A, 3, "x:wb-erase-me", owner="kam"), announced(B, 4, "x:u-stays"))
    await router.route(complaint("post-erase-1", "post-erase-1", "Amy Lee here, order 44718203", author="wb-erase-me"),
                       complaint("post-erase-2", "post-erase-1", "call 5550100", minutes=1, author="wb-erase-me"),
                       complaint("q1", "q1", "late too", minutes=2, author="u-stays"),
                       complaint("comment-erase-3", "q1", "same for me", minutes=3, author="wb-erase-me"))
    routed = router.publisher.events(topics.CASES_ROUTED, RoutedCase)
    mine, theirs = routed[0].case_id, routed[2].case_id
    await router.at(T0 + timedelta(minutes=4)).replies(sent(mine, routed[0].mention_id, T0 + timedelta(minutes=4)))
    desk = router.desk
    await desk.claim(mine, "agent:kam")
    await desk.add_note(mine, "agent:kam", "Amy Lee's phone is 5550100")
    await desk.answer(mine, "agent:kam", "Dear Amy Lee, the refund is on its way", Visibility.PRIVATE)
    [answer] = router.publisher.events(topics.CASE_ANSWERS, CaseAnswer)
    await router.replies(sent(mine, routed[1].mention_id, T0 + timedelta(minutes=6), kind=ReplyKind.AGENT,
                              answer_id=answer.answer_id, author="agent:kam").model_copy(update={
                                  "status": ReplyStatus.FAILED, "sent_at": None,
                                  "error": "recipient wb-erase-me (Amy Lee) blocks messages"}))
    await desk.transfer(mine, "agent:kam", "billing", "Amy Lee asked for a refund of order 44718203")
    await desk.answer(theirs, "agent:li", "Dear Amy, yours ships today too", None)  # to her comment on q1
    await desk.claim(mine, "agent:li")
    events_before = await pool.fetchval("SELECT count(*) FROM case_events WHERE case_id = $1", mine)
    case_before = await pool.fetchrow("SELECT * FROM cases WHERE case_id = $1", mine)
    # numbers long enough that no random id in the tables spells them (a 4-digit one did, now and then)
    secrets = ["wb-erase-me", "post-erase", "comment-erase", "Amy", "5550100", "44718203", str(A)]
    assert {s for s in secrets for *_, v in await every_value(pool) if s in v} == set(secrets)  # all held now

    router.at(T0 + timedelta(hours=1))
    await learn(router, announced(A, 10, "x:wb-erase-me", erased=True, at=T0 + timedelta(hours=1)))

    left = [(table, column, s) for table, column, v in await every_value(pool) for s in secrets if s in v]
    assert left == []
    # the case stays for the reports, closed and anonymous
    case = await pool.fetchrow("SELECT * FROM cases WHERE case_id = $1", mine)
    assert (case["status"], case["customer"], case["claimed_by"]) == ("closed", "", None)
    assert case["thread_root"].startswith("erased:")
    for column in ("case_id", "channel", "department", "opened_at", "first_due_at", "priority", "urgency",
                   "first_mention_id", "sla_policy", "answered_by", "reserved_for", "generation", "language"):
        assert case[column] == case_before[column], column
    assert await pool.fetchval("SELECT count(*) FROM case_events WHERE case_id = $1", mine) == events_before + 1
    assert await pool.fetchval("SELECT count(*) FROM routed WHERE case_id = $1", mine) == 2
    assert await pool.fetchval("SELECT count(*) FROM case_notes WHERE case_id = $1", mine) == 1
    assert await pool.fetchval("SELECT count(*) FROM case_timers WHERE case_id = $1", mine) == 0
    assert await pool.fetchval("SELECT count(*) FROM case_answers WHERE published_at IS NULL") == 0
    assert router.kinds()[-1] is CaseEventKind.CLOSED
    # the other customer keeps everything of theirs
    assert await pool.fetchval("SELECT count(*) FROM routed WHERE author_id = 'u-stays' AND native_id = 'q1'") == 1
    assert await pool.fetchval("SELECT customer FROM cases WHERE case_id = $1", theirs) == "x:u-stays"
    assert (await router.store.customers(["x:u-stays"]))["x:u-stays"].tier is CustomerTier.STANDARD
    detail = await desk.get_case(theirs)
    assert detail.status is CaseStatus.ANSWERED and detail.claimed_by is None


async def test_no_older_announcement_brings_an_erased_identity_back_and_its_thread_opens_a_new_case(pool):
    router = Router(pool)
    await learn(router, announced(A, 3, "x:gone", tier=CustomerTier.VIP))
    await router.route(complaint("g1", "g1", "late", author="gone"))
    [first] = router.publisher.events(topics.CASES_ROUTED, RoutedCase)
    erasure = announced(A, 10, "x:gone", erased=True, at=T0 + timedelta(hours=1))
    await learn(router, erasure)
    await learn(router, erasure)  # delivered again: nothing more to do
    assert await pool.fetchval("SELECT count(*) FROM case_events WHERE kind = 'closed'") == 1

    await learn(router, announced(A, 9, "x:gone", tier=CustomerTier.VIP, owner="kam"))
    assert await router.store.customers(["x:gone"]) == {}
    await learn(router, announced(B, 11, "x:gone"))  # a new record, newer than the erasure
    assert (await router.store.customers(["x:gone"]))["x:gone"].tier is CustomerTier.STANDARD

    await router.at(T0 + timedelta(hours=2)).route(complaint("g2", "g1", "still late", minutes=120, author="gone"))
    second = router.publisher.events(topics.CASES_ROUTED, RoutedCase)[-1]
    assert second.new_case and second.case_id != first.case_id
    assert await pool.fetchval("SELECT generation FROM cases WHERE case_id = $1", second.case_id) == 1
    assert await pool.fetchval("SELECT customer FROM cases WHERE case_id = $1", first.case_id) == ""


async def test_identities_merged_into_one_customer_take_one_turn_in_the_queue(pool):
    router = Router(pool)
    await learn(router, announced(A, 1, "x:pa"), announced(B, 2, "x:pb"), announced(C, 3, "x:q"))
    await router.route(complaint("m1", "m1", "late", author="pa"),
                       complaint("m2", "m2", "late", minutes=1, author="pb"),
                       complaint("m3", "m3", "late", minutes=2, author="pa"),
                       complaint("m4", "m4", "late", minutes=3, author="q"))
    await pool.execute("INSERT INTO queue_turns VALUES ('elsewhere', $1, $2)", str(B), T0)

    # crm-sync merges B into A: the alias points at the survivor, the survivor names both identities
    await learn(router, announced(B, 7, merged_into=A), announced(A, 8, "x:pa", "x:pb", aliases=[B]))
    assert await pool.fetchval("SELECT last_served_at FROM queue_turns WHERE customer = $1", str(A)) == T0

    router.at(T0 + timedelta(minutes=5))
    taken = [await router.desk.claim_next("logistics", f"agent:{n}") for n in range(4)]
    natives = {r.case_id: r.mention.native_id for r in router.publisher.events(topics.CASES_ROUTED, RoutedCase)}
    # one person (pa, pb) is one customer: Q's turn comes before the second of theirs
    assert [natives[t.case_id] for t in taken if t is not None] == ["m1", "m4", "m2", "m3"]


async def test_a_case_reserved_for_the_customers_owner_waits_for_them_until_the_first_sla_warning(pool):
    router = Router(pool)
    await learn(router, announced(A, 1, "x:own", owner="kam"))
    await router.route(complaint("o1", "o1", "late", author="other"),
                       complaint("r1", "r1", "late", minutes=1, author="own"),
                       complaint("r2", "r2", "late", minutes=2, author="own"))
    natives = {r.case_id: r.mention.native_id for r in router.publisher.events(topics.CASES_ROUTED, RoutedCase)}
    listed = (await router.desk.list_cases(CaseFilter(department="logistics"), limit=10, cursor=None)).items
    assert {natives[c.case_id]: c.owner for c in listed} == {"o1": None, "r1": "agent:kam", "r2": "agent:kam"}
    reserved = next(c for c in listed if natives[c.case_id] == "r1")
    assert reserved.reserved_until is not None and reserved.sla_due_at is not None
    assert reserved.opened_at < reserved.reserved_until < reserved.sla_due_at
    assert CaseEventKind.RESERVED in [t.kind for t in (await router.desk.get_case(reserved.case_id)).transitions]

    desk = router.at(T0 + timedelta(minutes=5)).desk
    li = await desk.claim_next("logistics", "agent:li")
    assert li is not None and natives[li.case_id] == "o1"
    assert await desk.claim_next("logistics", "agent:bo") is None  # the rest wait for their owner
    kam = await desk.claim_next("logistics", "agent:kam")
    assert kam is not None and natives[kam.case_id] == "r1"
    await desk.answer(li.case_id, "agent:li", "on its way", None)
    await desk.answer(kam.case_id, "agent:kam", "on its way", None)
    until = next(c.reserved_until for c in listed if natives[c.case_id] == "r2")
    assert until is not None
    assert await router.at(until - timedelta(seconds=1)).desk.claim_next("logistics", "agent:bo") is None
    late = await router.at(until).desk.claim_next("logistics", "agent:bo")
    assert late is not None and natives[late.case_id] == "r2"  # lapsed: anyone's



async def test_a_thread_erased_twice_keeps_nothing_of_the_customer_and_opens_a_third_case(pool):
    router = Router(pool)
    await learn(router, announced(A, 1, "x:twice"))
    await router.route(complaint("tw-post-1", "tw-post-1", "Amy here, order 44718203", author="twice"))
    await learn(router, announced(A, 2, "x:twice", erased=True, at=T0 + timedelta(hours=1)))
    # the person writes again on the same thread: a new case (the next generation) …
    await learn(router, announced(B, 3, "x:twice"))
    await router.at(T0 + timedelta(hours=2)).route(
        complaint("tw-post-2", "tw-post-1", "Amy again, call 5550100", minutes=120, author="twice"))
    # … and is erased again: the thread's second erased case takes the same forgotten root
    router.at(T0 + timedelta(hours=3))
    await learn(router, announced(B, 4, "x:twice", erased=True, at=T0 + timedelta(hours=3)))

    first, second = (r.case_id for r in router.publisher.events(topics.CASES_ROUTED, RoutedCase))
    for case_id in (first, second):
        case = await pool.fetchrow("SELECT status, customer, thread_root FROM cases WHERE case_id = $1", case_id)
        assert (case["status"], case["customer"]) == ("closed", "") and case["thread_root"].startswith("erased:")
    secrets = ["twice", "tw-post", "Amy", "44718203", "5550100", str(A), str(B)]
    assert [(t, c, s) for t, c, v in await every_value(pool) for s in secrets if s in v] == []
    assert await pool.fetchval("SELECT count(*) FROM erased_identities") == 1

    # the thread is still found: its next case is the generation after both erased ones
    await router.at(T0 + timedelta(hours=4)).route(
        complaint("tw-post-3", "tw-post-1", "hello?", minutes=240, author="twice"))
    third = router.publisher.events(topics.CASES_ROUTED, RoutedCase)[-1]
    assert third.new_case and third.case_id not in (first, second)
    assert await pool.fetchval("SELECT generation FROM cases WHERE case_id = $1", third.case_id) == 2


async def test_an_erased_identity_is_remembered_by_its_keyed_hash_and_an_unkeyed_one_is_rehashed(pool):
    router = Router(pool)
    await learn(router, announced(A, 5, "x:keyed", erased=True))
    [stored] = await pool.fetch("SELECT identity_hash FROM erased_identities")
    assert bytes(stored["identity_hash"]) == HASHES.identity("x:keyed")
    assert bytes(stored["identity_hash"]) != IdentityHashes().identity("x:keyed")  # not the public built-in key

    # a tombstone from before migration 006, by the unkeyed key anyone can recompute from the id
    await pool.execute("INSERT INTO erased_identities (identity_hash, version) VALUES ($1, 7)",
                       unkeyed_identity_key("x:old"))
    await learn(router, announced(A, 6, "x:old", tier=CustomerTier.VIP))  # older than the erasure: refused
    assert await router.store.customers(["x:old"]) == {}
    rows = {bytes(r["identity_hash"]): r["version"] for r in await pool.fetch("SELECT * FROM erased_identities")}
    assert rows == {HASHES.identity("x:keyed"): 5, HASHES.identity("x:old"): 7}  # rehashed under the key


async def test_a_case_is_reserved_only_for_an_agent_its_crm_owner_is(pool):
    router = Router(pool)  # HEED_ROUTER_OWNER_AGENTS maps Salesforce's 005Hs00000AbCdE to kam
    await learn(router, announced(A, 1, "x:mapped", owner="005Hs00000AbCdE"),
                announced(B, 2, "x:unmapped", owner="005Hs00000ZzZzZ"))
    await router.route(complaint("s1", "s1", "late", author="mapped"),
                       complaint("s2", "s2", "late", minutes=1, author="unmapped"))
    natives = {r.case_id: r.mention.native_id for r in router.publisher.events(topics.CASES_ROUTED, RoutedCase)}
    listed = (await router.desk.list_cases(CaseFilter(department="logistics"), limit=10, cursor=None)).items
    assert {natives[c.case_id]: c.owner for c in listed} == {"s1": "agent:kam", "s2": None}
    taken = await router.at(T0 + timedelta(minutes=5)).desk.claim_next("logistics", "agent:li")
    assert taken is not None and natives[taken.case_id] == "s2"  # anyone's, not hidden until the SLA warning
