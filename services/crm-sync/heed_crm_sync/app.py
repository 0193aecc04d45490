"""crm-sync: every interaction lands in the customer record; new customers are announced on
heed.crm.customers for the router and responder."""

from __future__ import annotations

from typing import Any

from heed.contracts import topics
from heed.contracts.events import Mention, Reply, RoutedCase
from heed.runtime.messaging import Handler, Incoming, Outgoing
from heed.runtime.service import Service
from heed.runtime.settings import HeedSettings
from heed_crm_sync.adapters import store


class CrmSyncService(Service):
    name = "crm-sync"

    def __init__(self, settings: HeedSettings | None = None) -> None:
        super().__init__(settings or HeedSettings())

    def handlers(self) -> dict[str, Handler[Any]]:
        return {topics.MENTIONS: self.record_mentions, topics.CASES_ROUTED: self.record_routing,
                topics.REPLIES: self.record_replies}

    async def record_mentions(self, batch: list[Incoming[Mention]]) -> None:
        await store.record_mentions(self.pool, [item.event for item in batch])
        updates = await store.unpublished_customers(self.pool)
        await self.stage.publisher.publish(
            [Outgoing(topics.CRM_CUSTOMERS, u, str(u.customer_id)) for u in updates])
        await store.mark_customers_published(self.pool, updates)

    async def record_routing(self, batch: list[Incoming[RoutedCase]]) -> None:
        await store.record_routing(self.pool, [item.event for item in batch])

    async def record_replies(self, batch: list[Incoming[Reply]]) -> None:
        await store.record_replies(self.pool, [item.event for item in batch])
