"""What the router learns from crm-sync's announcements, as a pure function: the newest announcement
about an identity wins, a merge's identities share the survivor's turns, an alias follows its
survivor, an erasure forgets identities and no older announcement brings them back."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr, ValidationError

from heed.contracts.events import CustomerTier, CustomerUpdate
from heed_router.domain.customers import (
    CustomerRow,
    HeldCustomers,
    OwnerAgents,
    OwnerAgentsError,
    asked,
    forgotten_thread,
    learn,
    turn_of,
)
from heed_router.settings import RouterSettings

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


def test_a_crm_owner_id_reserves_for_the_agent_it_maps_to_and_an_unknown_owner_for_no_one():
    owners = OwnerAgents.parse("005Hs00000AbCdE=kam, 5150=agent:li", agents=["kam", "li", "bo"])
    # Salesforce's OwnerId and HubSpot's hubspot_owner_id are no agent's names: mapped, they are
    assert owners.actor("005Hs00000AbCdE") == "agent:kam" and owners.actor("5150") == "agent:li"
    # an owner that already is an agent's name needs no entry
    assert owners.actor("bo") == "agent:bo" and owners.actor("agent:bo") == "agent:bo"
    # an owner that is no agent the cases API knows reserves nothing (the rules still see it)
    assert owners.actor("005Hs00000ZzZzZ") is None and owners.actor("9999") is None
    assert owners.actor(None) is None and owners.actor("  ") is None
    assert OwnerAgents.parse("5150=kam", agents=[]).actor("5150") is None  # no such agent: no one
    assert OwnerAgents.parse("5150=ghost", agents=["kam"]).unknown() == ["ghost"]
    assert OwnerAgents().actor("kam") is None


@pytest.mark.parametrize("value", ["5150", "=kam", "5150=", "5150=kam,5150=li"])
def test_a_malformed_owner_mapping_is_refused_naming_the_entry(value):
    with pytest.raises(OwnerAgentsError, match="HEED_ROUTER_OWNER_AGENTS entry"):
        OwnerAgents.parse(value, agents=["kam"])


def test_an_erased_thread_root_keeps_nothing_of_the_post():
    root = forgotten_thread("weibo", "p-123")
    assert root.startswith("erased:") and "p-123" not in root


def test_the_router_reads_its_owner_mapping_for_the_agents_of_its_api_tokens_and_the_shared_erasure_key():
    tokens = SecretStr("kam:agent:" + "k" * 16 + ",boss:supervisor:" + "b" * 16 + ",bot:system:" + "s" * 16)
    settings = RouterSettings(api_tokens=tokens, router_owner_agents="005Hs00000AbCdE=kam,77=bot",
                              erasure_key=SecretStr(base64.b64encode(b"r" * 32).decode()))
    owners = settings.owner_agents()
    assert owners.actor("005Hs00000AbCdE") == "agent:kam" and owners.actor("boss") == "agent:boss"
    assert owners.actor("77") is None  # a system caller works no cases
    assert settings.identity_hashes().keyed
    with pytest.raises(ValidationError, match="HEED_ROUTER_OWNER_AGENTS entry 2") as refused:
        RouterSettings(router_owner_agents="5150=kam,5151")
    assert "5151" not in str(refused.value)  # the input is not repeated
