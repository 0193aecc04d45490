"""In-memory fakes of the classifier's ports, for handler tests without a broker or a database."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from heed.contracts.events import ClassifiedMention, CorrectableField
from heed_classifier.corrections import CorrectionRow, ErasedIdentity, not_erased
from tests.unit.fakes import FakePublisher  # noqa: F401 - shared by this service's tests


class FakeClassifications:
    """The ClassificationStore in a dictionary: a mention keeps its first decision."""

    def __init__(self) -> None:
        self.decisions: dict[uuid.UUID, ClassifiedMention] = {}  # mention_id → its first decision

    async def record(self, items: Sequence[ClassifiedMention]) -> None:
        for item in items:
            self.decisions.setdefault(item.mention_id, item)




class FakeCorrections:
    """The CorrectionStore in dictionaries: the latest row per (mention, field); erasures by hash."""

    def __init__(self) -> None:
        self.rows: dict[tuple[uuid.UUID, CorrectableField], CorrectionRow] = {}
        self.erased: dict[bytes, datetime] = {}

    async def keep(self, rows: Sequence[CorrectionRow]) -> int:
        written = 0
        for row in not_erased(rows, self.erased):
            held = self.rows.get((row.mention_id, row.field))
            if held is None or held.corrected_at <= row.corrected_at:
                self.rows[(row.mention_id, row.field)] = row
                written += 1
        return written

    async def forget(self, erased: Sequence[ErasedIdentity]) -> int:
        for e in erased:
            self.erased[e.current] = max(e.before, self.erased.get(e.current, e.before))
        gone = [k for k, r in self.rows.items()
                if any(r.identity_hash in e.every and r.received_at <= e.before for e in erased)]
        for key in gone:
            del self.rows[key]
        return len(gone)
