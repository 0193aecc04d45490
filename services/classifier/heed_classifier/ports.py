"""What the classifier's handler needs from the outside world, as Protocols.

`adapters/postgres.py` implements them over PostgreSQL; `tests/unit/classifier/fakes.py` in
memory. The shared ports (EventPublisher, Clock) are in `heed.runtime.ports`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from heed.contracts.events import ClassifiedMention
from heed_classifier.corrections import CorrectionRow, ErasedIdentity


class ClassificationStore(Protocol):
    """The classifier's decisions, one per mention: what the report counts."""

    async def record(self, items: Sequence[ClassifiedMention]) -> None:
        """Keep each mention's decision; a mention already decided keeps its first decision."""
        ...


class CorrectionStore(Protocol):
    """Agents' corrections with the mentions' texts, and the identities erased since."""

    async def keep(self, rows: Sequence[CorrectionRow]) -> int:
        """Keep each row unless its author was erased after the mention was received (`corrections.not_erased`,
        read in the same transaction as the write, never concurrently with `forget`); a (mention, field)
        already held keeps the later correction. Returns how many rows were written."""
        ...

    async def forget(self, erased: Sequence[ErasedIdentity]) -> int:
        """Delete the corrections of those identities about mentions received before each erasure, and
        remember the erasures (by hash) for corrections still on their way. Returns how many rows went."""
        ...
