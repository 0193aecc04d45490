"""What ingest's handlers, receivers and pollers need from the outside world, as Protocols.

`bootstrap.py` hands them the adapters in `adapters/` (PostgreSQL, the Graph API); unit tests hand
them the in-memory fakes of `tests/unit/ingest/fakes.py`. Publishing is the shared
`heed.runtime.ports.EventPublisher`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from heed.contracts.events import DeadLetter, Mention, RawMention
from heed_ingest.domain.drafts import InstagramLookup
from heed_ingest.domain.nonces import Claim


@dataclass(frozen=True)
class LedgerRow:
    """A mention's arrival as the dedupe ledger records it."""

    channel: str
    native_id: str
    mention_id: uuid.UUID
    thread_root: str
    raw_event_id: uuid.UUID
    received_at: datetime

    @classmethod
    def of(cls, mention: Mention) -> LedgerRow:
        return cls(mention.channel.value, mention.native_id, mention.mention_id, mention.thread_root,
                   mention.raw_event_id, mention.received_at)


class MentionLedger(Protocol):
    """Every post ingest has seen, keyed on (channel, native id): the "already done" of dedupe."""

    async def known_thread_roots(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The thread roots of those of `keys` (channel, native id) already recorded."""

    async def record(self, rows: Sequence[LedgerRow]) -> dict[uuid.UUID, str]:
        """Record arrivals; returns mention_id → thread root for those not yet published downstream.

        A mention already published (the same post by webhook and by poll, or a replayed file) is
        counted as seen again and not returned; a recorded, unpublished one keeps its first root.
        """

    async def mark_published(self, mention_ids: Sequence[uuid.UUID]) -> None:
        """The broker acknowledged these mentions: never publish them again."""


class DeadLetterArchive(Protocol):
    """Dead letters kept for `heed dlq` (list, show, replay), for as long as retention allows."""

    async def archive(self, letters: Sequence[DeadLetter]) -> int:
        """Store each dead letter once (its id decides); returns how many were new."""

    async def purge(self, older_than: timedelta) -> int:
        """Delete dead letters that failed more than `older_than` ago; returns how many went."""


class NonceLedger(Protocol):
    """Which (channel, nonce) of a signed webhook carried which body; see `domain/nonces.py`."""

    async def claim(self, channel: str, nonce: str, body_sha256: bytes, signed_at: datetime,
                    seen_at: datetime) -> Claim:
        """Record the nonce with its body's hash, or say how it was seen before."""

    async def published(self, channel: str, nonce: str) -> None:
        """The broker acknowledged the body sent with this nonce."""

    async def release(self, channel: str, nonce: str, body_sha256: bytes) -> None:
        """Forget a claim whose body was not published, so the platform's retry goes through."""

    async def purge(self, signed_before: datetime) -> int:
        """Forget nonces whose timestamps the window already refuses; returns how many."""


class InstagramResolver(Protocol):
    """The Graph API call that fetches an Instagram @mention's text, which its notification leaves out."""

    async def resolve(self, lookup: InstagramLookup) -> RawMention:
        """The mentioning comment or media, as a raw event like any body."""


class CursorStore(Protocol):
    """Each poller's cursor: the newest id its last complete poll saw."""

    async def get(self, source: str) -> str | None: ...

    async def put(self, source: str, cursor: str) -> None: ...
