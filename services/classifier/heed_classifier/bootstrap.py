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
from heed.runtime.messaging import Handler
from heed.runtime.ports import EventPublisher
from heed_classifier.adapters.postgres import PostgresClassifications
from heed_classifier.domain import Classifier
from heed_classifier.handlers import classify
from heed_classifier.ports import ClassificationStore
from heed_classifier.settings import ClassifierSettings


@dataclass(frozen=True)
class Overrides:
    """What to use instead of what bootstrap builds (the model, the adapters); None means the real one."""

    model: Classifier | None = None
    store: ClassificationStore | None = None
    publisher: EventPublisher | None = None


def load_model(settings: ClassifierSettings, overrides: Overrides = Overrides()) -> Classifier:
    """The shipped artefact, or the one HEED_CLASSIFIER_MODEL_DIR names; never downloaded."""
    return overrides.model if overrides.model is not None else Classifier.load(settings.classifier_model_dir)


def bootstrap(*, model: Classifier, pool: Callable[[], asyncpg.Pool], publisher: EventPublisher,
              overrides: Overrides = Overrides()) -> dict[str, Handler[Any]]:
    """Topic → handler with its ports. `pool` is called only if a real adapter needs the database."""
    store = overrides.store if overrides.store is not None else PostgresClassifications(pool())
    publisher = overrides.publisher if overrides.publisher is not None else publisher
    return {topics.MENTIONS: partial(classify, model=model, store=store, publisher=publisher)}
