"""Classifier: consumes mentions in batches, classifies them offline, publishes the result."""

from __future__ import annotations

from typing import Any

from heed.contracts import topics
from heed.contracts.events import ClassifiedMention, Mention, derive_id
from heed.runtime.messaging import Handler, Incoming, Outgoing
from heed.runtime.service import Service
from heed_classifier.adapters import store
from heed_classifier.domain import Classifier
from heed_classifier.settings import ClassifierSettings


class ClassifierService(Service):
    name = "classifier"
    settings: ClassifierSettings

    def __init__(self, settings: ClassifierSettings | None = None) -> None:
        super().__init__(settings or ClassifierSettings())
        # loaded at start, from the package or the configured directory; never downloaded
        self.model = Classifier.load(self.settings.classifier_model_dir)

    def handlers(self) -> dict[str, Handler[Any]]:
        return {topics.MENTIONS: self.classify}

    async def classify(self, batch: list[Incoming[Mention]]) -> None:
        results = self.model.classify_batch([item.event for item in batch])
        out = [
            ClassifiedMention(event_id=derive_id("classified", item.event.mention_id),
                              mention_id=item.event.mention_id, mention=item.event, classification=result)
            for item, result in zip(batch, results, strict=True)
        ]
        await store.record(self.pool, out)
        await self.stage.publisher.publish(
            [Outgoing(topics.MENTIONS_CLASSIFIED, c, c.mention.conversation_key, item.context)
             for item, c in zip(batch, out, strict=True)])
