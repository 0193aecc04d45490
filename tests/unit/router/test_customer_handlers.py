"""The router's customer 360 with in-memory fakes: a customer's owner gets their new cases reserved,
merged identities share one customer's queue turns, and an erased customer is forgotten — their
identities, their cases' personal data (the cases close, their figures stay), the answers to them —
and no older announcement brings them back."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from heed.contracts import topics
from heed.contracts.events import (
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    Category,
    CustomerTier,
    CustomerUpdate,
    RoutedCase,
)
from heed_router.domain import lifecycle
from heed_router.domain.lifecycle import Timer
from heed_router.handlers import learn_customers
from tests.unit.factories import batch, classification
from tests.unit.router.fakes import FakeUnit, identity_key
from tests.unit.router.test_case_handlers import T0, Router, ack, complaint

A, B = uuid.UUID(int=0xA), uuid.UUID(int=0xB)


def announced(customer: uuid.UUID, version: int, *identities: str, at: datetime = T0,
              **fields: object) -> CustomerUpdate:
    return CustomerUpdate(event_id=uuid.uuid4(), occurred_at=at, customer_id=customer, identities=list(identities),
                          version=version, **fields)  # type: ignore[arg-type]


async def learn(router: Router, *updates: CustomerUpdate) -> None:
    await learn_customers(batch(*updates, topic=topics.CRM_CUSTOMERS), store=router.cases, publisher=router.publisher,
                          clock=router.clock)


def events_of(router: Router, case_id: uuid.UUID) -> list[CaseEvent]:
    return [e for e in router.publisher.events(topics.CASE_EVENTS, CaseEvent) if e.case_id == case_id]


# --- a named owner gets the case ----------------------------------------------------------------

async def test_a_new_case_of_a_customer_with_an_owner_is_reserved_for_them_until_the_first_sla_warning():
    router = Router()
    await learn(router, announced(A, 2, "weibo:u1", owner="kam"))
    await router.route(complaint())
    [routed] = router.publisher.events(topics.CASES_ROUTED, RoutedCase)
    case = router.cases.cases[routed.case_id]
    warning = router.cases.timers[(case.case_id, Timer.SLA_WARNING)].due_at
    assert (case.reserved_for, case.reserved_until) == ("agent:kam", warning)
    opened, reserved = events_of(router, case.case_id)
    assert (opened.kind, reserved.kind, reserved.actor) == (CaseEventKind.OPENED, CaseEventKind.RESERVED, "heed:router")
    assert "agent:kam" in reserved.detail and reserved.event_id in router.cases.published

    # the customer's later mention joins the case: the reservation is the first turn's only
    await router.route(complaint("p2", "p1", "hello?", minutes=5))
    assert router.cases.cases[case.case_id].reserved_until == warning
    assert [e.kind for e in events_of(router, case.case_id)].count(CaseEventKind.RESERVED) == 1


async def test_a_crm_owner_id_reserves_for_the_agent_it_maps_to_and_an_unmapped_one_for_no_one():
    router = Router()  # HEED_ROUTER_OWNER_AGENTS maps Salesforce's 005Hs00000AbCdE to kam
    await learn(router, announced(A, 2, "weibo:u1", owner="005Hs00000AbCdE"),
                announced(B, 3, "weibo:u2", owner="005Hs00000ZzZzZ"))
    await router.route(complaint("p1", "p1", author="u1"), complaint("q1", "q1", minutes=1, author="u2"))
    mine, theirs = (router.cases.cases[r.case_id] for r in router.publisher.events(topics.CASES_ROUTED, RoutedCase))
    assert mine.reserved_for == "agent:kam"
    # an owner no agent is: the case waits for no one (reserved for agent:005… it would be hidden from all)
    assert (theirs.reserved_for, theirs.reserved_until) == (None, None)
    assert [e.kind for e in events_of(router, theirs.case_id)] == [CaseEventKind.OPENED]


async def test_without_an_owner_nothing_is_reserved_and_the_case_opens_as_before():
    router = Router()
    await learn(router, announced(A, 2, "weibo:u1", tier=CustomerTier.VIP))
    await router.route(complaint())
    case = next(iter(router.cases.cases.values()))
    assert (case.reserved_for, case.reserved_until) == (None, None)
    assert router.kinds() == [CaseEventKind.OPENED]


async def test_a_case_that_owes_no_answer_is_not_reserved():
    router = Router()
    await learn(router, announced(A, 2, "weibo:u1", owner="kam"))
    praise = complaint("g1", "g1", "Lovely service, thank you")
    await router.route(praise.model_copy(update={"classification": classification(Category.PRAISE, sentiment=0.8)}))
    case = next(iter(router.cases.cases.values()))
    assert case.reserved_for is None and CaseEventKind.RESERVED not in router.kinds()


# --- merged identities are one customer ---------------------------------------------------------

async def test_identities_merged_into_one_customer_share_its_turns_and_the_alias_follows_the_survivor():
    router = Router()
    await learn(router, announced(A, 3, "weibo:u1"), announced(B, 4, "wechat:w1", tier=CustomerTier.VIP))
    assert {i: r.turn for i, r in router.cases.known.items()} == {"weibo:u1": str(A), "wechat:w1": str(B)}
    router.cases.turns = {("logistics", str(B)): T0 + timedelta(minutes=9), ("logistics", str(A)): T0}

    # crm-sync merges B into A: B's own announcement points at A, A's names both identities
    await learn(router, announced(B, 7, merged_into=A))
    assert router.cases.known["wechat:w1"].turn == str(A)
    assert router.cases.known["wechat:w1"].tier is CustomerTier.VIP  # the alias's news moves it, nothing more
    await learn(router, announced(A, 8, "weibo:u1", "wechat:w1", aliases=[B]))
    assert {r.turn for r in router.cases.known.values()} == {str(A)}
    assert router.cases.known["wechat:w1"].tier is CustomerTier.STANDARD  # the survivor's record now
    # one customer, one turn: the later of the two it had
    assert router.cases.turns[("logistics", str(A))] == T0 + timedelta(minutes=9)

    # an older announcement of B, arriving late, does not split them again
    await learn(router, announced(B, 5, "wechat:w1"))
    assert router.cases.known["wechat:w1"].turn == str(A)


# --- erasure ------------------------------------------------------------------------------------

async def erased_customer_scene() -> tuple[Router, uuid.UUID, uuid.UUID]:
    """u1's case (two mentions, transferred with a reason, answered), u2's case on which u1 also
    commented and got an answer; u1 is customer A."""
    router = Router()
    await learn(router, announced(A, 3, "weibo:u1", owner="kam"), announced(B, 4, "weibo:u2"))
    await router.route(complaint("p1", "p1", "Amy Lee here, parcel 4471 late", author="u1"),
                       complaint("p2", "p1", "my phone is 5550100", minutes=1, author="u1"),
                       complaint("q1", "q1", "late too", minutes=2, author="u2"),
                       complaint("q2", "q1", "same for me, Amy", minutes=3, author="u1"))
    routed = router.publisher.events(topics.CASES_ROUTED, RoutedCase)
    mine, theirs = routed[0].case_id, routed[2].case_id
    await router.replies(ack(routed[0]))
    cases = router.cases
    moved = lifecycle.transfer(cases.cases[mine], "agent:li", department="billing", reason="Amy Lee asked for a refund",
                               command=uuid.uuid4(), now=T0)
    async with cases.unit() as unit:
        await unit.save([moved])
    targets = await FakeUnit(cases).targets([mine, theirs])
    answers = [lifecycle.answer(cases.cases[i], "agent:li", text="Dear Amy, it ships today", visibility=None,
                                target=targets[i], command=uuid.uuid4(), now=T0) for i in (mine, theirs)]
    async with cases.unit() as unit:
        await unit.save(answers)
    return router, mine, theirs


async def test_an_erased_customer_is_forgotten_and_their_cases_keep_only_what_reports_count():
    router, mine, theirs = await erased_customer_scene()
    cases = router.cases
    before = cases.cases[mine]
    router.clock.time = T0 + timedelta(hours=1)
    erasure = announced(A, 9, "weibo:u1", erased=True, at=T0 + timedelta(hours=1))
    await learn(router, erasure)

    case = cases.cases[mine]
    assert case.status is CaseStatus.CLOSED and case.customer == "" and case.thread_root.startswith("erased:")
    assert (case.department, case.opened_at, case.first_due_at, case.priority) == (
        before.department, before.opened_at, before.first_due_at, before.priority)
    assert case.claimed_by is None and not [k for k in cases.timers if k[0] == mine]  # no follow-up, no SLA
    [closed] = [e for e in events_of(router, mine) if e.kind is CaseEventKind.CLOSED]
    assert closed.detail == "the customer's data was erased on request" and closed.actor == "heed:router"
    assert all(e.detail == "" for e in cases.events.values() if e.case_id == mine and e != closed)

    # the erased identity's mentions, on its case and on u2's, and every answer to them
    assert [(r.native_id, r.author_id) for r in cases.routed.values() if r.case_id == mine] == [("", "")] * 2
    assert {(r.native_id, r.author_id) for r in cases.routed.values() if r.case_id == theirs} == {
        ("q1", "u2"), ("", "")}
    assert all((a.text, a.recipient_platform_id, a.in_reply_to) == (None, "erased", "erased")
               for a in cases.answers.values())
    assert set(cases.answers) <= cases.published  # an answer not sent yet never will be

    # u2's case is theirs still
    assert cases.cases[theirs].customer == "weibo:u2" and cases.cases[theirs].status is not CaseStatus.CLOSED
    # the identity is gone; only its keyed hash and the erasure's version stay
    assert "weibo:u1" not in cases.known and cases.erased == {identity_key("weibo:u1"): 9}
    assert "weibo:u2" in cases.known


async def test_an_erased_identity_is_not_brought_back_by_an_older_announcement_but_a_newer_one_is_learnt():
    router, _, _ = await erased_customer_scene()
    await learn(router, announced(A, 9, "weibo:u1", erased=True, at=T0 + timedelta(hours=1)))
    await learn(router, announced(A, 8, "weibo:u1", tier=CustomerTier.VIP, owner="kam"))
    assert "weibo:u1" not in router.cases.known
    await learn(router, announced(B, 10, "weibo:u1"))  # the person wrote again: a new record
    assert router.cases.known["weibo:u1"].customer_id == B and router.cases.known["weibo:u1"].owner is None


async def test_the_erased_thread_s_next_mention_opens_a_new_case_and_the_erasure_again_changes_nothing():
    router, mine, _ = await erased_customer_scene()
    erasure = announced(A, 9, "weibo:u1", erased=True, at=T0 + timedelta(hours=1))
    router.clock.time = T0 + timedelta(hours=1)
    await learn(router, erasure)
    erased_case, published = router.cases.cases[mine], len(router.publisher.published)

    await learn(router, erasure)  # the broker delivers it again
    assert len(router.publisher.published) == published and router.cases.cases[mine] == erased_case

    await router.route(complaint("p9", "p1", "me again", minutes=120, author="u1"))
    newest = router.publisher.events(topics.CASES_ROUTED, RoutedCase)[-1]
    assert newest.new_case and newest.case_id != mine
    assert router.cases.case_of("weibo", "p1").generation == erased_case.generation + 1
    assert router.cases.cases[mine] == erased_case


async def test_a_case_opened_after_the_erasure_is_not_the_erased_customers():
    router = Router()
    await learn(router, announced(A, 3, "weibo:u1"))
    router.clock.time = T0 + timedelta(hours=2)
    await router.route(complaint("n1", "n1", "hi", minutes=90))  # received after the erasure below
    await learn(router, announced(A, 9, "weibo:u1", erased=True, at=T0 + timedelta(hours=1)))
    [case] = router.cases.cases.values()
    assert case.customer == "weibo:u1" and case.status is not CaseStatus.CLOSED
