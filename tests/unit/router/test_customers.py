"""What the router learns from crm-sync's announcements, as a pure function: the newest announcement
about an identity wins, a merge's identities share the survivor's turns, an alias follows its
survivor, an erasure forgets identities and no older announcement brings them back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from heed.contracts.events import CustomerTier, CustomerUpdate
from heed_router.domain.customers import (
    CustomerRow,
    HeldCustomers,
    asked,
    forgotten_thread,
    identity_key,
    learn,
    owner_actor,
    turn_of,
)

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
A, B = uuid.UUID(int=0xA), uuid.UUID(int=0xB)


def update(customer: uuid.UUID, version: int, *identities: str, **fields: object) -> CustomerUpdate:
    return CustomerUpdate(event_id=uuid.uuid4(), occurred_at=T0, customer_id=customer, identities=list(identities),
                          version=version, **fields)  # type: ignore[arg-type]


def row(identity: str, customer: uuid.UUID | None, version: int, tier: CustomerTier = CustomerTier.STANDARD,
        owner: str | None = None) -> CustomerRow:
    return CustomerRow(identity, customer, tier, owner, None, version)


def test_each_identity_takes_the_customer_of_its_newest_announcement_and_its_turns_move_with_it():
    learnt = learn([update(A, 3, "weibo:wb", "wechat:wc", tier=CustomerTier.VIP, owner="kam")], HeldCustomers())
    assert {i: (r.customer_id, r.tier, r.owner, r.version) for i, r in learnt.rows.items()} == {
        "weibo:wb": (A, CustomerTier.VIP, "kam", 3), "wechat:wc": (A, CustomerTier.VIP, "kam", 3)}
    # the turns an identity had before the CRM named its customer are that customer's now
    assert learnt.regrouped == [("weibo:wb", str(A)), ("wechat:wc", str(A))]


def test_a_merge_moves_the_alias_identities_to_the_survivor_with_their_turns():
    held = HeldCustomers(rows={"weibo:wb": row("weibo:wb", A, 3), "wechat:wc": row("wechat:wc", B, 4)})
    merged = [update(B, 7, merged_into=A), update(A, 8, "weibo:wb", "wechat:wc", aliases=[B])]
    learnt = learn(merged, held)
    assert {i: (r.customer_id, r.version) for i, r in learnt.rows.items()} == {"weibo:wb": (A, 8), "wechat:wc": (A, 8)}
    assert learnt.regrouped == [(str(B), str(A))]
    assert turn_of("wechat:wc", learnt.rows["wechat:wc"].customer_id) == str(A)


def test_an_alias_announcement_alone_moves_its_identities_to_the_survivor_and_changes_nothing_else():
    held = HeldCustomers(rows={"wechat:wc": row("wechat:wc", B, 4, CustomerTier.VIP, "kam")})
    learnt = learn([update(B, 7, merged_into=A)], held)
    assert learnt.rows["wechat:wc"] == row("wechat:wc", A, 7, CustomerTier.VIP, "kam")
    assert learnt.regrouped == [(str(B), str(A))]


def test_an_older_announcement_changes_nothing_even_in_the_same_batch():
    held = HeldCustomers(rows={"weibo:wb": row("weibo:wb", A, 5, CustomerTier.VIP)})
    assert learn([update(B, 4, "weibo:wb")], held).rows == {}
    both = learn([update(A, 9, "x:1", tier=CustomerTier.VIP), update(B, 8, "x:1")], HeldCustomers())
    assert (both.rows["x:1"].customer_id, both.rows["x:1"].tier) == (A, CustomerTier.VIP)


def test_an_unmerge_gives_the_identity_back_its_own_customer_and_carries_the_shared_turns():
    held = HeldCustomers(rows={"weibo:wb": row("weibo:wb", A, 8), "wechat:wc": row("wechat:wc", A, 8)})
    learnt = learn([update(A, 10, "weibo:wb"), update(B, 11, "wechat:wc")], held)
    assert learnt.rows["wechat:wc"].customer_id == B and "weibo:wb" in learnt.rows
    assert learnt.regrouped == [(str(A), str(B))]


def test_an_erasure_forgets_the_identities_and_no_older_announcement_brings_them_back():
    held = HeldCustomers(rows={"weibo:wb": row("weibo:wb", A, 8), "wechat:wc": row("wechat:wc", A, 8)})
    erasure = update(A, 12, "weibo:wb", "wechat:wc", erased=True)
    learnt = learn([erasure], held)
    assert learnt.rows == {} and learnt.forgotten == {"weibo:wb": 12, "wechat:wc": 12}
    [erased] = learnt.erasures
    assert set(erased.identities) == {"weibo:wb", "wechat:wc"} and str(A) in erased.turns
    assert (erased.before, erased.cause) == (T0, erasure.event_id)

    # later, the store holds only the erasure's version under a one-way key
    after = HeldCustomers(erased={"weibo:wb": 12})
    assert learn([update(A, 11, "weibo:wb", tier=CustomerTier.VIP)], after).rows == {}
    assert learn([update(A, 12, "weibo:wb")], after).rows == {}
    came_back = learn([update(B, 13, "weibo:wb")], after)  # a newer record: the person wrote again
    assert came_back.rows["weibo:wb"].customer_id == B


def test_an_older_announcement_in_the_erasures_own_batch_does_not_survive_it():
    late = update(A, 5, "weibo:wb", tier=CustomerTier.VIP)
    learnt = learn([update(A, 9, "weibo:wb", erased=True), late], HeldCustomers())
    assert learnt.rows == {} and learnt.forgotten == {"weibo:wb": 9}


def test_an_erasure_also_forgets_what_is_held_under_the_erased_customer():
    held = HeldCustomers(rows={"wechat:wc": row("wechat:wc", B, 4)})
    learnt = learn([update(B, 9, erased=True)], held)
    assert learnt.forgotten == {"wechat:wc": 9} and learnt.erasures[0].identities == ("wechat:wc",)


def test_an_erasure_older_than_what_is_held_keeps_the_newer_row_but_still_names_its_cases():
    held = HeldCustomers(rows={"weibo:wb": row("weibo:wb", B, 15)})
    learnt = learn([update(A, 12, "weibo:wb", erased=True)], held)
    assert learnt.rows == {} and learnt.forgotten == {"weibo:wb": 12}
    assert learnt.erasures[0].identities == ("weibo:wb",)


def test_what_is_loaded_for_a_batch():
    identities, customers = asked([update(A, 1, "x:2", "x:1"), update(B, 2, merged_into=A)])
    assert (identities, customers) == (["x:1", "x:2"], [B])


def test_owner_and_one_way_keys():
    assert owner_actor("kam") == "agent:kam" and owner_actor("agent:kam") == "agent:kam"
    assert owner_actor(None) is None and owner_actor("  ") is None
    assert identity_key("weibo:wb") == identity_key("weibo:wb") != identity_key("weibo:wc")
    root = forgotten_thread("weibo", "p-123")
    assert root.startswith("erased:") and "p-123" not in root
