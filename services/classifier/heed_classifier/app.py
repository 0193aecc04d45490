"""Classifier: consumes mentions in batches, classifies them offline, publishes the result; keeps
agents' corrections (heed.classifier.corrections) to retrain on, and forgets an erased customer's.

Wiring only: the handler is in `handlers.py`, its ports built in `bootstrap.py`.
"""

from __future__ import annotations

from typing import Any

from heed.runtime.messaging import Handler
from heed.runtime.service import Service
from heed_classifier.bootstrap import Overrides, bootstrap, load_model
from heed_classifier.settings import ClassifierSettings


class ClassifierService(Service):
    name = "classifier"
    settings: ClassifierSettings

    def __init__(self, settings: ClassifierSettings | None = None, overrides: Overrides = Overrides()) -> None:
        super().__init__(settings or ClassifierSettings())
        self.overrides = overrides
        # loaded with the service, before it starts: a bad artefact or an unknown version stops it at once
        self.model = load_model(self.settings, overrides)
        self.hashes = self.settings.identity_hashes()

    def handlers(self) -> dict[str, Handler[Any]]:
        return bootstrap(model=self.model, pool=lambda: self.pool, publisher=self.stage.publisher,
                         hashes=self.hashes, overrides=self.overrides)
