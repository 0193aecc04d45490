"""What ingest's handlers, receivers and pollers need from the outside world, as Protocols.

`bootstrap.py` hands them the adapters in `adapters/` (PostgreSQL, the Graph API); unit tests hand
them the in-memory fakes of `tests/unit/ingest/fakes.py`. Publishing is the shared
`heed.runtime.ports.EventPublisher`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from heed.contracts.events import Mention, RawMention
from heed_ingest.domain.drafts import InstagramLookup
from heed_ingest.domain.erasure import AttributedLetter, Erasure, ErasureReport, Identity, IdentityHashes
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
    author_hash: bytes | None = None  # the author's keyed hash: what an erasure finds the row by

    @classmethod
    def of(cls, mention: Mention, hashes: IdentityHashes) -> LedgerRow:
        author = hashes.identity(Identity(mention.channel.value, mention.author.platform_id))
        return cls(mention.channel.value, mention.native_id, mention.mention_id, mention.thread_root,
                   mention.raw_event_id, mention.received_at, author)


class MentionLedger(Protocol):
    """Every post ingest has seen, keyed on (channel, native id): the "already done" of dedupe."""

    async def known_thread_roots(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The thread roots of those of `keys` (channel, native id) already recorded."""

    def recording(self, rows: Sequence[LedgerRow]) -> AbstractAsyncContextManager[dict[uuid.UUID, str]]:
        """Record arrivals as published, in a transaction that commits when the block ends and rolls
        back when it raises; yields mention_id → thread root of those to publish in the block.

        Those are the new arrivals, and any an earlier version recorded but never published (it
        kept its first root). A mention recorded before (the same post by webhook and by poll, or
        a replayed file) is counted as seen again and not yielded. The block publishes them: if
        the broker refuses, nothing is recorded and the redelivery publishes them again.
        """


@dataclass(frozen=True)
class Archived:
    new: int  # stored now; the others were stored before (a redelivery) or withheld
    withheld: int = 0  # about a customer erased within retention: not stored


class DeadLetterArchive(Protocol):
    """Dead letters kept for `heed dlq` (list, show, replay), for as long as retention allows."""

    async def archive(self, letters: Sequence[AttributedLetter]) -> Archived:
        """Store each dead letter once (its id decides) with its identity hashes, except those about a
        customer erased within retention (`domain.erasure.withheld`, judged against the hashes
        remembered by `CustomerErasures.forget`, never racing one)."""

    async def purge(self, older_than: timedelta) -> int:
        """Delete dead letters that failed more than `older_than` ago; returns how many went."""


class CustomerErasures(Protocol):
    """Everything ingest holds about erased customers' identities: found by hash, deleted, audited."""

    async def forget(self, erasure: Erasure) -> ErasureReport:
        """Delete the identities' ledger rows and dead letters, remember their hashes (so a letter
        arriving later is withheld) and record the erasure once (counts and a hash, nothing else)."""

    async def expire(self, older_than: timedelta) -> int:
        """Forget the hashes of identities erased more than `older_than` ago; returns how many."""


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
