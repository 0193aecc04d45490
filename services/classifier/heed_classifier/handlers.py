"""The classifier's handler: a plain async function over an event batch and the ports it uses.

The decisions are the pure `Classifier` in `domain/`; the handler keeps each one and publishes
it. `bootstrap.py` hands it its ports.
"""

from __future__ import annotations

from heed.contracts import topics
from heed.contracts.events import ClassifiedMention, Mention, derive_id
from heed.runtime.messaging import Incoming, Outgoing
from heed.runtime.ports import EventPublisher
from heed_classifier.domain import Classifier
from heed_classifier.ports import ClassificationStore


async def classify(batch: list[Incoming[Mention]], *, model: Classifier, store: ClassificationStore,
                   publisher: EventPublisher) -> None:
    """Classify the batch in one pass, keep each decision and publish it on heed.mentions.classified,
    keyed by conversation. Its event id derives from the mention's, so a redelivery repeats it."""
    results = model.classify_batch([item.event for item in batch])
    out = [
        ClassifiedMention(event_id=derive_id("classified", item.event.mention_id),
                          mention_id=item.event.mention_id, mention=item.event, classification=result)
        for item, result in zip(batch, results, strict=True)
    ]
    await store.record(out)
    await publisher.publish(
        [Outgoing(topics.MENTIONS_CLASSIFIED, c, c.mention.conversation_key, item.context)
         for item, c in zip(batch, out, strict=True)])
