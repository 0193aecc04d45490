"""crm-sync's real subscriptions on faststream's in-memory TestKafkaBroker, wired with fakes."""

from __future__ import annotations

from faststream.kafka import TestKafkaBroker

from heed.contracts import topics
from heed.contracts.events import Author, CustomerUpdate, ReplyStatus
from heed_crm_sync.app import CrmSyncService
from heed_crm_sync.bootstrap import Overrides
from heed_crm_sync.settings import CrmSyncSettings
from tests.unit.crm_sync.builders import reply_to, routed_case
from tests.unit.crm_sync.fakes import FakeCustomerRecords
from tests.unit.factories import mention


async def test_a_reply_routing_and_mention_on_the_broker_make_one_interaction_and_announce_the_customer_once():
    records = FakeCustomerRecords()
    service = CrmSyncService(CrmSyncSettings(kafka_bootstrap="127.0.0.1:1"), overrides=Overrides(records=records))
    service.register()
    announced: list[CustomerUpdate] = []

    @service.broker.subscriber(topics.CRM_CUSTOMERS)
    async def on_customer(event: CustomerUpdate) -> None:
        announced.append(event)

    m = mention("My parcel is lost", author=Author(platform_id="u9", name="Ida"))
    async with TestKafkaBroker(service.broker) as broker:
        # in the reverse of the pipeline's order, and the mention delivered twice
        await broker.publish(reply_to(m).model_dump_json().encode(), topic=topics.REPLIES)
        await broker.publish(routed_case(m, department="logistics").model_dump_json().encode(),
                             topic=topics.CASES_ROUTED)
        for _ in range(2):
            await broker.publish(m.model_dump_json().encode(), topic=topics.MENTIONS)

    customer = records.customer_of("weibo:u9")
    [interaction] = records.interactions_of(customer.customer_id)
    assert interaction.routing is not None and interaction.reply is not None
    assert (interaction.mention.text, interaction.routing.department, interaction.reply.status) == (
        "My parcel is lost", "logistics", ReplyStatus.SENT)
    assert [(u.customer_id, u.identities) for u in announced] == [(customer.customer_id, ["weibo:u9"])]
