"""The bare relay `heed bench` compares Heed with takes its hops from the topology: every
subscription on the mention's path, forwarding where the service publishes the path's next topic."""

from __future__ import annotations

import dataclasses

import pytest

from heed.contracts import topics as t
from heed.contracts.topics import BY_NAME
from heed.contracts.topology import SERVICES, node
from heed_ops.relay import MENTION_PATH, THROUGHPUT_END, Hop, RelayPathBroken, hops, relay_topics


def test_the_relay_has_heed_s_hops_on_the_mention_s_path_with_crm_sync_only_consuming():
    assert hops() == (
        Hop("ingest", t.MENTIONS_RAW, t.MENTIONS),
        Hop("classifier", t.MENTIONS, t.MENTIONS_CLASSIFIED),
        Hop("router", t.MENTIONS_CLASSIFIED, t.CASES_ROUTED),
        Hop("router", t.REPLIES, None),  # the router follows each case from the replies sent
        Hop("responder", t.CASES_ROUTED, t.REPLIES),
        Hop("crm-sync", t.MENTIONS, None),
        Hop("crm-sync", t.CASES_ROUTED, None),
        Hop("crm-sync", t.REPLIES, None),
    )
    # every subscription of a service to a topic on the path, none more
    assert {(h.service, h.topic) for h in hops()} == {
        (n.name, topic) for n in SERVICES for topic in n.consumes if topic in MENTION_PATH}


def test_the_relay_s_throughput_ends_where_heed_s_does_at_crm_sync_s_consumer_of_mentions():
    (end,) = [h for h in hops() if h.topic == THROUGHPUT_END and h.forward is None]
    assert end.service == "crm-sync" and THROUGHPUT_END in node("crm-sync").consumes


def test_a_topology_that_breaks_the_path_is_refused_naming_the_missing_step():
    router = node("router")
    broken = [dataclasses.replace(router, publishes=(t.CASE_EVENTS,)) if n is router else n for n in SERVICES]
    with pytest.raises(RelayPathBroken, match=f"no service consumes {t.MENTIONS_CLASSIFIED} and publishes "
                                              f"{t.CASES_ROUTED}"):
        hops(broken)


def test_the_relay_s_topics_are_its_own_with_heed_s_partition_counts():
    created = relay_topics("relay.abc.")
    assert [c.name for c in created] == [f"relay.abc.{name}" for name in MENTION_PATH]
    assert [c.partitions for c in created] == [BY_NAME[name].partitions for name in MENTION_PATH]
