"""An in-memory CaseDesk for the API's tests: cases as summaries, claims with a capacity, answers
and notes recorded, every change in a numbered list the stream reads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from heed.contracts.events import (
    CaseEventKind,
    CaseStatus,
    Channel,
    ClassifierLabels,
    HandlingMode,
    Urgency,
    Visibility,
)
from heed_router.domain.desk import (
    CapacityReached,
    CaseConflict,
    CaseDetail,
    CaseFilter,
    CaseNotFound,
    CasePage,
    CaseSummary,
    CorrectionView,
    NoteView,
    QueueChange,
)

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def summary(i: int, department: str = "billing", urgency: Urgency = Urgency.NORMAL) -> CaseSummary:
    return CaseSummary(
        case_id=uuid.UUID(int=i + 1), status=CaseStatus.PENDING_DEPARTMENT, department=department,
        channel=Channel.WEIBO, customer=f"weibo:u{i}", mode=HandlingMode.HOLDING, rule_id="billing", priority=70,
        urgency=urgency, language="zh", script="Hans", opened_at=T0 + timedelta(minutes=i),
        queued_at=T0 + timedelta(minutes=i), sla_due_at=T0 + timedelta(minutes=i + 30), sla_breached=False,
        claimed_by=None, claim_expires_at=None, first_response_at=None, resolved_at=None, rating=None, mentions=1)


@dataclass
class FakeDesk:
    cases: dict[uuid.UUID, CaseSummary] = field(default_factory=dict)
    answers: list[tuple[uuid.UUID, str, str, Visibility | None]] = field(default_factory=list)
    notes: list[NoteView] = field(default_factory=list)
    changes: list[QueueChange] = field(default_factory=list)
    corrections: dict[uuid.UUID, list[CorrectionView]] = field(default_factory=dict)
    capacity: int = 2

    def add(self, *cases: CaseSummary) -> FakeDesk:
        for case in cases:
            self.cases[case.case_id] = case
        return self

    def _change(self, case: CaseSummary, kind: CaseEventKind, actor: str) -> None:
        self.changes.append(QueueChange(seq=len(self.changes) + 1, case_id=case.case_id, kind=kind,
                                        status=case.status, department=case.department, previous_department=None,
                                        priority=case.priority, urgency=case.urgency, actor=actor, occurred_at=T0))

    def _get(self, case_id: uuid.UUID) -> CaseSummary:
        if case_id not in self.cases:
            raise CaseNotFound(f"no case {case_id}")
        return self.cases[case_id]

    def _set(self, case: CaseSummary, kind: CaseEventKind, actor: str, **changes: object) -> CaseSummary:
        case = case.model_copy(update=changes)
        self.cases[case.case_id] = case
        self._change(case, kind, actor)
        return case

    async def list_cases(self, filters: CaseFilter, *, limit: int, cursor: str | None) -> CasePage:
        found = [c for c in sorted(self.cases.values(), key=lambda c: (-c.priority, c.queued_at or c.opened_at))
                 if (filters.department is None or c.department == filters.department)
                 and (not filters.status or c.status in filters.status)
                 and (not filters.urgency or c.urgency in filters.urgency)]
        start = int(cursor) if cursor else 0
        page = found[start:start + limit]
        return CasePage(items=page, next_cursor=str(start + limit) if start + limit < len(found) else None)

    async def get_case(self, case_id: uuid.UUID) -> CaseDetail:
        case = self._get(case_id)
        return CaseDetail(**case.model_dump(), thread_root="n1", first_mention_id=uuid.UUID(int=99),
                          first_due_at=case.sla_due_at, sla_policy="standard", acknowledged_at=None, closed_at=None,
                          reopened=0, follow_up_sent_at=None, case_mentions=[], transitions=[], answers=[],
                          notes=[n for n in self.notes if n.note_id.int == case_id.int],
                          corrections=self.corrections.get(case_id, []))

    async def claim_next(self, department: str, actor: str) -> CaseSummary | None:
        free = [c for c in self.cases.values() if c.department == department and c.claimed_by is None
                and c.status is CaseStatus.PENDING_DEPARTMENT]
        if not free:
            return None
        return await self.claim(min(free, key=lambda c: c.queued_at or c.opened_at).case_id, actor)

    async def claim(self, case_id: uuid.UUID, actor: str) -> CaseSummary:
        case = self._get(case_id)
        if case.claimed_by not in (None, actor):
            raise CaseConflict(f"case is claimed by {case.claimed_by}")
        if sum(c.claimed_by == actor for c in self.cases.values()) >= self.capacity:
            raise CapacityReached(f"{actor} already holds {self.capacity} claimed cases")
        return self._set(case, CaseEventKind.CLAIMED, actor, claimed_by=actor)

    async def release(self, case_id: uuid.UUID, actor: str, *, force: bool = False) -> CaseSummary:
        case = self._get(case_id)
        if case.claimed_by is None or (case.claimed_by != actor and not force):
            raise CaseConflict(f"case is claimed by {case.claimed_by}, not {actor}")
        return self._set(case, CaseEventKind.RELEASED, actor, claimed_by=None)

    async def answer(self, case_id: uuid.UUID, actor: str, text: str, visibility: Visibility | None) -> CaseDetail:
        case = self._get(case_id)
        if case.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
            raise CaseConflict(f"case is {case.status.value}: it cannot be answered now")
        self.answers.append((case_id, actor, text, visibility))
        self._set(case, CaseEventKind.ANSWERED, actor, status=CaseStatus.ANSWERED, claimed_by=None)
        return await self.get_case(case_id)

    async def add_note(self, case_id: uuid.UUID, actor: str, text: str) -> NoteView:
        self._get(case_id)
        note = NoteView(note_id=uuid.UUID(int=case_id.int), author=actor, text=text, created_at=T0)
        self.notes.append(note)
        return note

    async def transfer(self, case_id: uuid.UUID, actor: str, department: str, reason: str) -> CaseSummary:
        return self._set(self._get(case_id), CaseEventKind.TRANSFERRED, actor, department=department, claimed_by=None)

    async def correct(self, case_id: uuid.UUID, actor: str, labels: ClassifierLabels,
                      mention_id: uuid.UUID | None) -> CaseDetail:
        case = self._get(case_id)
        target = mention_id or uuid.UUID(int=99)
        if target != uuid.UUID(int=99):
            raise CaseNotFound(f"case {case_id} has no mention {target}")
        kept = [c for c in self.corrections.get(case_id, []) if c.field not in labels.given()]
        self.corrections[case_id] = kept + [
            CorrectionView(mention_id=target, field=f, original=None, corrected=v, actor=actor, corrected_at=T0)
            for f, v in labels.given().items()]
        self._set(case, CaseEventKind.CORRECTED, actor,
                  **({"urgency": labels.urgency} if labels.urgency else {}),
                  **({"language": labels.language} if labels.language else {}))
        return await self.get_case(case_id)

    async def resolve(self, case_id: uuid.UUID, actor: str, reason: str) -> CaseSummary:
        return self._set(self._get(case_id), CaseEventKind.RESOLVED, actor, status=CaseStatus.RESOLVED)

    async def latest_change(self) -> int:
        return len(self.changes)

    async def changes_after(self, seq: int, department: str | None, limit: int) -> list[QueueChange]:
        return [c for c in self.changes if c.seq > seq and department in (None, c.department)][:limit]
