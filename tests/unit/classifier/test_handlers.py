"""The classifier's handler with in-memory fakes: no broker, no database."""

from __future__ import annotations

import pytest
from aiokafka.errors import KafkaTimeoutError

from heed.contracts import topics
from heed.contracts.events import Category, ClassifiedMention, Urgency
from heed_classifier.domain import Classifier
from heed_classifier.handlers import classify
from tests.unit.classifier.fakes import FakeClassifications, FakePublisher
from tests.unit.factories import batch, mention


@pytest.fixture(scope="module")
def model() -> Classifier:
    return Classifier.load()


async def test_each_mention_is_decided_kept_and_published_on_its_conversation(model: Classifier):
    store, publisher = FakeClassifications(), FakePublisher()
    complaint = mention("My charger caught fire last night, this is dangerous", native_id="a", thread_root="a")
    question = mention("请问你们门店周末几点开门？", native_id="b", thread_root="b")

    await classify(batch(complaint, question, topic=topics.MENTIONS), model=model, store=store, publisher=publisher)

    kept = {m: d.classification for m, d in store.decisions.items()}
    assert kept[complaint.mention_id].urgency is Urgency.CRITICAL
    assert (kept[question.mention_id].category, kept[question.mention_id].language) == (Category.QUESTION, "zh")
    sent = publisher.on(topics.MENTIONS_CLASSIFIED)
    assert len(publisher.published) == len(sent) == 2
    assert [o.key for o in sent] == [complaint.conversation_key, question.conversation_key]
    events = [o.event for o in sent]
    assert all(isinstance(e, ClassifiedMention) for e in events)
    # what is published is what is kept, with the mention it decides
    assert [e.model_dump() for e in events] == [store.decisions[m.mention_id].model_dump()
                                                for m in (complaint, question)]
    assert [e.mention for e in events if isinstance(e, ClassifiedMention)] == [complaint, question]


async def test_a_redelivered_mention_keeps_its_decision_and_is_published_with_the_same_event_id(model: Classifier):
    store, publisher = FakeClassifications(), FakePublisher()
    m = mention("Where is my parcel?")
    await classify(batch(m), model=model, store=store, publisher=publisher)
    await classify(batch(m), model=model, store=store, publisher=publisher)

    assert list(store.decisions) == [m.mention_id]
    first, again = (o.event for o in publisher.published)
    assert first.event_id == again.event_id  # consumers downstream see one event, delivered twice


async def test_a_refused_publish_fails_the_batch_and_its_redelivery_publishes_each_decision_once(model: Classifier):
    store, publisher = FakeClassifications(), FakePublisher()
    posts = batch(mention("Love the new kettle, thanks!"), mention("The app will not log in"))
    publisher.failures = 1
    with pytest.raises(KafkaTimeoutError):  # never swallowed: the Stage redelivers the batch
        await classify(posts, model=model, store=store, publisher=publisher)
    assert publisher.published == []

    await classify(posts, model=model, store=store, publisher=publisher)
    assert len(store.decisions) == 2
    assert sorted(o.event.event_id for o in publisher.published) == sorted(
        d.event_id for d in store.decisions.values())


async def test_an_empty_batch_publishes_nothing(model: Classifier):
    store, publisher = FakeClassifications(), FakePublisher()
    await classify([], model=model, store=store, publisher=publisher)
    assert (store.decisions, publisher.published) == ({}, [])
