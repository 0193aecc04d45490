"""The classifier's real subscription on faststream's in-memory TestKafkaBroker, wired with fakes."""

from __future__ import annotations

from faststream.kafka import TestKafkaBroker

from heed.contracts import topics
from heed.contracts.events import Category, ClassifiedMention, DeadLetter
from heed_classifier.app import ClassifierService
from heed_classifier.bootstrap import Overrides
from heed_classifier.domain import Classifier
from heed_classifier.settings import ClassifierSettings
from tests.unit.classifier.fakes import FakeClassifications, FakeCorrections
from tests.unit.classifier.test_corrections import T0, correction, erased
from tests.unit.factories import mention


async def test_a_mention_on_the_broker_is_classified_kept_and_published_and_a_bad_one_dead_lettered():
    store = FakeClassifications()
    service = ClassifierService(ClassifierSettings(kafka_bootstrap="127.0.0.1:1"),
                                overrides=Overrides(model=Classifier.load(), store=store,
                                                    corrections=FakeCorrections()))
    service.register()
    classified: list[ClassifiedMention] = []
    letters: list[DeadLetter] = []

    @service.broker.subscriber(topics.MENTIONS_CLASSIFIED)
    async def on_classified(event: ClassifiedMention) -> None:
        classified.append(event)

    @service.broker.subscriber(topics.DLQ)
    async def on_dead_letter(letter: DeadLetter) -> None:
        letters.append(letter)

    m = mention("Free crypto airdrop!!! click here bit.ly/xyz")
    async with TestKafkaBroker(service.broker) as broker:
        await broker.publish(m.model_dump_json().encode(), topic=topics.MENTIONS)
        await broker.publish(b'{"text": "no mention"}', topic=topics.MENTIONS)

    assert [(c.mention_id, c.classification.category) for c in classified] == [(m.mention_id, Category.SPAM)]
    assert store.decisions[m.mention_id].classification.category is Category.SPAM
    assert [(d.source_topic, d.original, d.service) for d in letters] == [
        (topics.MENTIONS, b'{"text": "no mention"}', "classifier")]


async def test_a_correction_on_the_broker_is_kept_and_the_customers_erasure_deletes_it():
    corrections = FakeCorrections()
    service = ClassifierService(ClassifierSettings(kafka_bootstrap="127.0.0.1:1"),
                                overrides=Overrides(model=Classifier.load(), store=FakeClassifications(),
                                                    corrections=corrections))
    service.register()
    sent = correction(customer="x:u-gone", category=Category.SALES_LEAD)
    async with TestKafkaBroker(service.broker) as broker:
        await broker.publish(sent.model_dump_json().encode(), topic=topics.CLASSIFIER_CORRECTIONS)
        kept = [(r.mention_id, r.value, r.text) for r in corrections.rows.values()]
        await broker.publish(erased("x:u-gone", at=T0.replace(hour=10)).model_dump_json().encode(),
                             topic=topics.CRM_ERASURES)
    assert kept == [(sent.mention_id, "sales_lead", sent.text)]
    assert corrections.rows == {}
