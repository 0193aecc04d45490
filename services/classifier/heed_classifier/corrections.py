"""Agents' corrections as the classifier keeps them: pure decisions, no I/O.

A correction arrives on heed.classifier.corrections (the router's cases API) with the mention's
text; each corrected field is one row, the latest per (mention, field) wins. The author's identity
is kept only as its keyed hash (HMAC under HEED_ERASURE_KEY, `heed.identity_hashes`), so that an
erasure announced on heed.crm.erasures finds and deletes the rows about them, and a correction
that arrives after the erasure (the topics are not ordered with each other) is not kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from heed.contracts.events import ClassifierCorrection, CorrectableField, CustomerUpdate
from heed.identity_hashes import IdentityHashes


@dataclass(frozen=True)
class CorrectionRow:
    """One corrected field of one mention, with the mention's text: a training example."""

    mention_id: uuid.UUID
    field: CorrectableField
    value: str
    original: str | None
    text: str
    case_id: uuid.UUID
    channel: str
    identity_hash: bytes  # the author's identity under the current key
    identity_hashes: tuple[bytes, ...]  # … and under every key, to find an erasure made under an older one
    received_at: datetime
    model_version: str | None
    actor: str
    corrected_at: datetime
    event_id: uuid.UUID


@dataclass(frozen=True)
class Erasure:
    """An identity whose data held from before `before` must go."""

    identity: str
    before: datetime


@dataclass(frozen=True)
class ErasedIdentity:
    """An erased identity as the store finds it: its hash under the current key (remembered) and under
    every key (what rows stored before a key rotation carry)."""

    current: bytes
    every: tuple[bytes, ...]
    before: datetime


def erased_identities(found: Sequence[Erasure], hashes: IdentityHashes) -> list[ErasedIdentity]:
    every = [hashes.identity_all(e.identity) for e in found]
    return [ErasedIdentity(h[0], h, e.before) for e, h in zip(found, every, strict=True)]


def rows_of(corrections: Sequence[ClassifierCorrection], hashes: IdentityHashes) -> list[CorrectionRow]:
    """Each correction's given fields as rows; within the batch the latest per (mention, field) wins."""
    latest: dict[tuple[uuid.UUID, CorrectableField], CorrectionRow] = {}
    for c in corrections:
        was = c.original.given()
        every = hashes.identity_all(c.customer)
        for field, value in c.corrected.given().items():
            row = CorrectionRow(
                mention_id=c.mention_id, field=field, value=value, original=was.get(field), text=c.text,
                case_id=c.case_id, channel=c.channel.value, identity_hash=every[0], identity_hashes=every,
                received_at=c.received_at, model_version=c.model_version, actor=c.actor,
                corrected_at=c.corrected_at, event_id=c.event_id)
            key = (c.mention_id, field)
            if key not in latest or latest[key].corrected_at <= row.corrected_at:
                latest[key] = row
    return list(latest.values())


def not_erased(rows: Sequence[CorrectionRow], erased: Mapping[bytes, datetime]) -> list[CorrectionRow]:
    """The rows whose author was not erased after the mention was received (`erased`: hash → erased before)."""
    return [r for r in rows
            if not any(h in erased and r.received_at <= erased[h] for h in r.identity_hashes)]


def erasures(updates: Sequence[CustomerUpdate]) -> list[Erasure]:
    """The identities the announcements erase, each with the time of its erasure."""
    return [Erasure(identity, update.occurred_at) for update in updates if update.erased
            for identity in update.identities if ":" in identity]
