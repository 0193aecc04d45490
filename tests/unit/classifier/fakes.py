"""In-memory fakes of the classifier's ports, for handler tests without a broker or a database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from heed.contracts.events import ClassifiedMention
from heed.runtime.messaging import Outgoing


class FakeClassifications:
    """The ClassificationStore in a dictionary: a mention keeps its first decision."""

    def __init__(self) -> None:
        self.decisions: dict[uuid.UUID, ClassifiedMention] = {}  # mention_id → its first decision

    async def record(self, items: Sequence[ClassifiedMention]) -> None:
        for item in items:
            self.decisions.setdefault(item.mention_id, item)


class FakePublisher:
    """Records what a handler published, in order; `fail_next` refuses that many calls first."""

    def __init__(self) -> None:
        self.published: list[Outgoing] = []
        self.fail_next = 0

    async def publish(self, items: Sequence[Outgoing]) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise TimeoutError("the broker did not acknowledge the batch")
        self.published.extend(items)

    def on(self, topic: str) -> list[Outgoing]:
        return [o for o in self.published if o.topic == topic]
