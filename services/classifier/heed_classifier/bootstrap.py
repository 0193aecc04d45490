"""The classifier's wiring, in one place: loads the model, builds the adapters and hands them to
the handler.

Whatever `Overrides` gives (tests give in-memory fakes) is used instead of the real adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import asyncpg

from heed.contracts import topics
from heed.identity_hashes import IdentityHashes
from heed.runtime.messaging import Handler
from heed.runtime.ports import EventPublisher
from heed_classifier.adapters.postgres import PostgresClassifications, PostgresCorrections
from heed_classifier.domain import Classifier
from heed_classifier.handlers import classify, forget_customers, keep_corrections
from heed_classifier.model_versions import resolve
from heed_classifier.ports import ClassificationStore, CorrectionStore
from heed_classifier.settings import ClassifierSettings


@dataclass(frozen=True)
class Overrides:
    """What to use instead of what bootstrap builds (the model, the adapters); None means the real one."""

    model: Classifier | None = None
    store: ClassificationStore | None = None
    corrections: CorrectionStore | None = None
    publisher: EventPublisher | None = None


def load_model(settings: ClassifierSettings, overrides: Overrides = Overrides()) -> Classifier:
    """The artefact HEED_CLASSIFIER_MODEL_DIR names, else the version HEED_CLASSIFIER_MODEL_VERSION names
    in HEED_CLASSIFIER_MODELS_DIR, else the promoted version there, else the shipped one; never downloaded.
    It names languages among HEED_CLASSIFIER_LANGUAGES."""
    if overrides.model is not None:
        return overrides.model
    return Classifier.load(resolve(settings.classifier_models_dir, settings.classifier_model_version,
                                   settings.classifier_model_dir),
                           languages=settings.languages(), default_language=settings.classifier_default_language)


def bootstrap(*, model: Classifier, pool: Callable[[], asyncpg.Pool], publisher: EventPublisher,
              hashes: IdentityHashes, overrides: Overrides = Overrides()) -> dict[str, Handler[Any]]:
    """Topic → handler with its ports. `pool` is called only if a real adapter needs the database."""
    store = overrides.store if overrides.store is not None else PostgresClassifications(pool())
    corrections = overrides.corrections if overrides.corrections is not None else PostgresCorrections(pool())
    publisher = overrides.publisher if overrides.publisher is not None else publisher
    return {topics.MENTIONS: partial(classify, model=model, store=store, publisher=publisher),
            topics.CLASSIFIER_CORRECTIONS: partial(keep_corrections, store=corrections, hashes=hashes),
            topics.CRM_ERASURES: partial(forget_customers, store=corrections, hashes=hashes)}
