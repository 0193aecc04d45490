"""Router: assigns each classified mention to a case (one per conversation), a department,
a handling mode, a priority and an SLA due time."""

from __future__ import annotations

from typing import Any

from heed.contracts import topics
from heed.contracts.events import (
    CaseEvent,
    CaseEventKind,
    ClassifiedMention,
    CustomerTier,
    CustomerUpdate,
    RoutedCase,
    derive_id,
)
from heed.runtime.messaging import Handler, Incoming, Outgoing
from heed.runtime.service import Service
from heed.runtime.settings import HeedSettings
from heed_router.adapters import store
from heed_router.domain.rules import DEFAULT_RULES, RuleTable, route


def identity_of(item: ClassifiedMention) -> str:
    return f"{item.mention.channel.value}:{item.mention.author.platform_id}"


class RouterService(Service):
    name = "router"

    def __init__(self, settings: HeedSettings | None = None, rules: RuleTable = DEFAULT_RULES) -> None:
        super().__init__(settings or HeedSettings())
        self.rules = rules

    def handlers(self) -> dict[str, Handler[Any]]:
        return {topics.MENTIONS_CLASSIFIED: self.route, topics.CRM_CUSTOMERS: self.learn_customers}

    async def learn_customers(self, batch: list[Incoming[CustomerUpdate]]) -> None:
        await store.apply_customer_updates(self.pool, [item.event for item in batch])

    async def route(self, batch: list[Incoming[ClassifiedMention]]) -> None:
        # earliest first, so a conversation's first mention opens its case
        batch = sorted(batch, key=lambda i: (i.event.mention.created_at, i.event.mention.native_id))
        known = await store.tiers(self.pool, [identity_of(i.event) for i in batch])
        decided = []
        for item in batch:
            m, c = item.event.mention, item.event.classification
            tier = known.get(identity_of(item.event), CustomerTier.STANDARD)
            decision = route(self.rules, m, c, tier)
            case_id = derive_id("case", m.channel.value, m.thread_root)
            decided.append((item, decision, tier, case_id))
        first = await store.record_routing(self.pool, [
            store.RoutingRow(i.event.mention_id, case_id, i.event.mention.channel.value,
                             i.event.mention.thread_root, d.department, d.mode.value, d.priority,
                             i.event.mention.received_at + d.sla, d.rule_id)
            for i, d, _, case_id in decided])
        out = []
        for item, d, tier, case_id in decided:
            m = item.event.mention
            opened = first[case_id] == m.mention_id
            routed = RoutedCase(
                event_id=derive_id("routed", m.mention_id), mention_id=m.mention_id, case_id=case_id,
                mention=m, classification=item.event.classification, department=d.department,
                handling_mode=d.mode, priority=d.priority, sla_due_at=m.received_at + d.sla,
                rule_id=d.rule_id, customer_tier=tier, new_case=opened)
            kind = CaseEventKind.OPENED if opened else CaseEventKind.MENTION_ADDED
            event = CaseEvent(event_id=derive_id("case-event", kind.value, m.mention_id), case_id=case_id,
                              mention_id=m.mention_id, kind=kind, department=d.department)
            out.append(Outgoing(topics.CASES_ROUTED, routed, m.conversation_key, item.context))
            out.append(Outgoing(topics.CASE_EVENTS, event, str(case_id), item.context))
        await self.stage.publisher.publish(out)
