"""In-memory fakes of the classifier's ports, for handler tests without a broker or a database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from heed.contracts.events import ClassifiedMention
from tests.unit.fakes import FakePublisher  # noqa: F401 - shared by this service's tests


class FakeClassifications:
    """The ClassificationStore in a dictionary: a mention keeps its first decision."""

    def __init__(self) -> None:
        self.decisions: dict[uuid.UUID, ClassifiedMention] = {}  # mention_id → its first decision

    async def record(self, items: Sequence[ClassifiedMention]) -> None:
        for item in items:
            self.decisions.setdefault(item.mention_id, item)


