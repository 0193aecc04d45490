"""The classifier's handlers: plain async functions over an event batch and the ports they use.

The decisions are the pure `Classifier` in `domain/` (and `corrections.py` for agents'
corrections); the handlers keep them and publish. `bootstrap.py` hands them their ports.
"""

from __future__ import annotations

import logging

from heed.contracts import topics
from heed.contracts.events import ClassifiedMention, ClassifierCorrection, CustomerUpdate, Mention, derive_id
from heed.identity_hashes import IdentityHashes
from heed.runtime.messaging import Incoming, Outgoing
from heed.runtime.ports import EventPublisher
from heed_classifier.corrections import erased_identities, erasures, rows_of
from heed_classifier.domain import Classifier
from heed_classifier.ports import ClassificationStore, CorrectionStore

log = logging.getLogger(__name__)


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


async def keep_corrections(batch: list[Incoming[ClassifierCorrection]], *, store: CorrectionStore,
                           hashes: IdentityHashes) -> None:
    """Keep each corrected field with the mention's text (the latest per mention and field), the author
    only as a keyed hash; a redelivery writes the same rows again."""
    rows = rows_of([item.event for item in batch], hashes)
    kept = await store.keep(rows)
    log.info("corrections kept", extra={"fields": {"fields": len(rows), "written": kept}})


async def forget_customers(batch: list[Incoming[CustomerUpdate]], *, store: CorrectionStore,
                           hashes: IdentityHashes) -> None:
    """An erased customer's corrections go (their texts with them); later announcements are not ours."""
    found = erasures([item.event for item in batch])
    if found:
        gone = await store.forget(erased_identities(found, hashes))
        log.info("erased customers' corrections deleted", extra={"fields": {"identities": len(found), "rows": gone}})
