"""What the classifier's handler needs from the outside world, as Protocols.

`adapters/postgres.py` implements them over PostgreSQL; `tests/unit/classifier/fakes.py` in
memory. The shared ports (EventPublisher, Clock) are in `heed.runtime.ports`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from heed.contracts.events import ClassifiedMention


class ClassificationStore(Protocol):
    """The classifier's decisions, one per mention: what the report counts."""

    async def record(self, items: Sequence[ClassifiedMention]) -> None:
        """Keep each mention's decision; a mention already decided keeps its first decision."""
        ...
