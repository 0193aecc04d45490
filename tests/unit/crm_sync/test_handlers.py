"""crm-sync's handlers with in-memory fakes: no broker, no database."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Awaitable, Callable, Sequence

import pytest
from aiokafka.errors import KafkaTimeoutError

from heed.contracts import topics
from heed.contracts.events import (
    Author,
    CaseEvent,
    CaseEventKind,
    Channel,
    CustomerTier,
    CustomerUpdate,
    ReplyStatus,
)
from heed.runtime.messaging import Outgoing
from heed_crm_sync.domain import announcement
from heed_crm_sync.handlers import (
    announce_customers,
    record_case_events,
    record_mentions,
    record_replies,
    record_routing,
)
from tests.unit.crm_sync.builders import reply_to, routed_case
from tests.unit.crm_sync.fakes import FakeCustomerRecords, FakePublisher
from tests.unit.factories import batch, mention

AMY = Author(platform_id="u1", handle="amy_lee", name="Amy Lee", followers=120)


def announced(publisher: FakePublisher) -> list[CustomerUpdate]:
    events = [o.event for o in publisher.on(topics.CRM_CUSTOMERS)]
    assert all(isinstance(e, CustomerUpdate) for e in events)
    return [e for e in events if isinstance(e, CustomerUpdate)]


async def test_a_mention_creates_its_authors_customer_with_the_identity_and_one_interaction():
    records, publisher = FakeCustomerRecords(), FakePublisher()
    m = mention("Where is my parcel?", channel=Channel.WEIBO, author=AMY)

    await record_mentions(batch(m, topic=topics.MENTIONS), records=records, publisher=publisher)

    customer = records.customer_of("weibo:u1")
    assert (customer.display_name, customer.tier) == ("Amy Lee", CustomerTier.STANDARD)
    assert records.identities_of(customer.customer_id) == ["weibo:u1"]
    assert (records.identities["weibo:u1"].handle, records.identities["weibo:u1"].followers) == ("amy_lee", 120)
    [interaction] = records.interactions_of(customer.customer_id)
    assert (interaction.mention.text, interaction.mention.channel) == ("Where is my parcel?", Channel.WEIBO)


async def test_the_same_mention_twice_records_one_interaction():
    records, publisher = FakeCustomerRecords(), FakePublisher()
    m = mention("Where is my parcel?", author=AMY)
    await record_mentions(batch(m), records=records, publisher=publisher)
    await record_mentions(batch(m, m), records=records, publisher=publisher)

    assert len(records.customers) == 1
    assert [i.mention.mention_id for i in records.interactions_of(records.customer_of("weibo:u1").customer_id)] == [
        m.mention_id]


async def test_an_author_on_two_posts_is_one_customer_with_two_interactions():
    records, publisher = FakeCustomerRecords(), FakePublisher()
    first, second = mention("Where is my parcel?", author=AMY), mention("Found it, thanks!", author=AMY)
    await record_mentions(batch(first, second), records=records, publisher=publisher)

    customer = records.customer_of("weibo:u1")
    assert [i.mention.text for i in records.interactions_of(customer.customer_id)] == [
        "Where is my parcel?", "Found it, thanks!"]
    assert [u.customer_id for u in announced(publisher)] == [customer.customer_id]


Arrival = Callable[[FakeCustomerRecords, FakePublisher], Awaitable[None]]


@pytest.mark.parametrize("order", list(itertools.permutations(["mention", "routing", "reply"])))
async def test_routing_and_reply_are_attached_to_the_interaction_whatever_the_arrival_order(order):
    records, publisher = FakeCustomerRecords(), FakePublisher()
    m = mention("My parcel is lost", author=AMY)
    arrivals: dict[str, Arrival] = {
        "mention": lambda r, p: record_mentions(batch(m), records=r, publisher=p),
        "routing": lambda r, p: record_routing(batch(routed_case(m, department="logistics")), records=r),
        "reply": lambda r, p: record_replies(batch(reply_to(m, text="Sorry! Logistics will DM you.")), records=r),
    }
    for name in order:
        await arrivals[name](records, publisher)

    [interaction] = records.interactions_of(records.customer_of("weibo:u1").customer_id)
    assert interaction.routing is not None and interaction.reply is not None
    assert (interaction.mention.text, interaction.routing.department, interaction.reply.text,
            interaction.reply.status) == ("My parcel is lost", "logistics", "Sorry! Logistics will DM you.",
                                          ReplyStatus.SENT)


async def test_a_failed_reply_becomes_sent_when_retried_and_a_sent_one_stays_sent():
    records = FakeCustomerRecords()
    retried, redelivered = mention("one", native_id="a"), mention("two", native_id="b")
    await record_replies(batch(reply_to(retried, ReplyStatus.FAILED), reply_to(redelivered, ReplyStatus.SENT)),
                         records=records)
    await record_replies(batch(reply_to(retried, ReplyStatus.SENT), reply_to(redelivered, ReplyStatus.FAILED)),
                         records=records)

    assert records.replies[retried.mention_id].status is ReplyStatus.SENT
    assert records.replies[retried.mention_id].sent_at is not None
    assert records.replies[redelivered.mention_id].status is ReplyStatus.SENT


async def test_a_new_customer_is_announced_once_and_not_again_on_redelivery():
    records, publisher = FakeCustomerRecords(), FakePublisher()
    m = mention("Where is my parcel?", author=AMY)
    await record_mentions(batch(m), records=records, publisher=publisher)
    await record_mentions(batch(m), records=records, publisher=publisher)  # redelivered
    ben = mention("Hello", author=Author(platform_id="u2", name="Ben"))
    await record_mentions(batch(m, ben), records=records, publisher=publisher)  # with someone new

    amy, ben_id = records.customer_of("weibo:u1").customer_id, records.customer_of("weibo:u2").customer_id
    assert [(u.customer_id, u.identities, u.tier, u.version) for u in announced(publisher)] == [
        (amy, ["weibo:u1"], CustomerTier.STANDARD, 1), (ben_id, ["weibo:u2"], CustomerTier.STANDARD, 1)]
    assert [o.key for o in publisher.on(topics.CRM_CUSTOMERS)] == [str(amy), str(ben_id)]
    assert publisher.published == publisher.on(topics.CRM_CUSTOMERS)  # nothing on any other topic


class SlowPublisher(FakePublisher):
    """A broker that takes a moment to acknowledge, as a real one does: other tasks run meanwhile."""

    async def publish(self, items: Sequence[Outgoing]) -> None:
        await asyncio.sleep(0.01)
        await super().publish(items)


@pytest.mark.parametrize("locked", [True, False])
async def test_the_handler_and_the_round_announce_each_version_once_only_with_the_lock(locked):
    records, publisher = FakeCustomerRecords(), SlowPublisher()
    await records.record_mentions([mention("Where is my parcel?", author=AMY)])
    announcing = asyncio.Lock() if locked else None
    await asyncio.gather(announce_customers(records=records, publisher=publisher, announcing=announcing),
                         announce_customers(records=records, publisher=publisher, announcing=announcing))
    # without the lock both read the version before either marked it: the failure the lock prevents
    assert len(announced(publisher)) == (1 if locked else 2)


async def test_a_batch_leaves_its_customers_to_the_round_that_is_announcing_instead_of_waiting():
    records, publisher = FakeCustomerRecords(), FakePublisher()
    announcing = asyncio.Lock()
    async with announcing:  # the round is announcing
        await record_mentions(batch(mention("Where is my parcel?", author=AMY)), records=records, publisher=publisher,
                              announcing=announcing)
        assert announced(publisher) == []  # recorded, not announced, and the batch did not wait
    assert records.customer_of("weibo:u1") is not None
    assert await announce_customers(records=records, publisher=publisher, announcing=announcing) == 1


class ErasedRecords(FakeCustomerRecords):
    """A record whose one unannounced version is an erasure."""

    def __init__(self, erased: CustomerUpdate) -> None:
        super().__init__()
        self.erased: CustomerUpdate | None = erased

    async def unpublished_customers(self) -> list[CustomerUpdate]:
        return [self.erased] if self.erased else []

    async def mark_customers_published(self, updates: Sequence[CustomerUpdate]) -> None:
        self.erased = None


async def test_an_erasure_goes_on_heed_crm_erasures_as_well_and_nothing_else_does():
    customer = uuid.uuid4()
    erasure = announcement(customer, ["weibo:u1"], CustomerTier.STANDARD, None, 7, erased=True)
    records, publisher = ErasedRecords(erasure), FakePublisher()
    await record_mentions(batch(mention("Hello", author=Author(platform_id="u2"))), records=records,
                          publisher=publisher)
    assert [o.event for o in publisher.on(topics.CRM_CUSTOMERS)] == [erasure]
    assert [(o.event, o.key) for o in publisher.on(topics.CRM_ERASURES)] == [(erasure, str(customer))]

    plain = FakeCustomerRecords()
    await record_mentions(batch(mention("Hello", author=AMY)), records=plain, publisher=(other := FakePublisher()))
    assert other.on(topics.CRM_CUSTOMERS) and other.on(topics.CRM_ERASURES) == []


async def test_a_customer_whose_announcement_the_broker_refused_is_announced_with_the_next_batch():
    records, publisher = FakeCustomerRecords(), FakePublisher()
    publisher.failures = 1
    with pytest.raises(KafkaTimeoutError):  # never swallowed: the Stage redelivers the batch
        await record_mentions(batch(mention("Where is my parcel?", author=AMY)), records=records, publisher=publisher)
    assert announced(publisher) == []

    await record_mentions(batch(mention("Hello", author=Author(platform_id="u2"))), records=records,
                          publisher=publisher)
    assert sorted(u.identities[0] for u in announced(publisher)) == ["weibo:u1", "weibo:u2"]


async def test_personal_data_stays_out_of_what_is_published():
    records, publisher = FakeCustomerRecords(), FakePublisher()
    m = mention("Call me on 13812345678 or mail amy.lee@example.com, order #A99812",
                author=Author(platform_id="u1", handle="amy_lee", name="Amy Lee"))
    await record_mentions(batch(m), records=records, publisher=publisher)
    await record_routing(batch(routed_case(m)), records=records)
    await record_replies(batch(reply_to(m)), records=records)

    assert publisher.published  # the new customer was announced
    for sent in publisher.published:
        body = sent.event.model_dump_json()
        for private in ("13812345678", "amy.lee@example.com", "A99812", "Amy Lee", "amy_lee", "Call me"):
            assert private not in body and private not in sent.key


def case_event(kind: CaseEventKind, **fields: object) -> CaseEvent:
    return CaseEvent(event_id=uuid.uuid4(), case_id=uuid.UUID(int=7), kind=kind, **fields)  # type: ignore[arg-type]


async def test_the_case_events_a_customer_record_keeps_land_on_the_timeline_once():
    records = FakeCustomerRecords()
    rated = case_event(CaseEventKind.RATED, rating=4, actor="customer")
    kept = [case_event(CaseEventKind.FIRST_RESPONSE, actor="agent:li"), case_event(CaseEventKind.RESOLVED), rated]
    noise = [case_event(CaseEventKind.CLAIMED), case_event(CaseEventKind.NOTE_ADDED), case_event(CaseEventKind.QUEUED)]
    await record_case_events(batch(*kept, *noise, rated, topic=topics.CASE_EVENTS), records=records)

    assert set(records.timeline) == {e.event_id for e in kept}
    assert records.timeline[rated.event_id].rating == 4


async def test_a_batch_with_nothing_for_the_record_touches_nothing():
    records = FakeCustomerRecords()
    await record_case_events(batch(case_event(CaseEventKind.CLAIMED), topic=topics.CASE_EVENTS), records=records)
    assert records.timeline_calls == 0

