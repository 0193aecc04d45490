"""In-memory fakes of every ingest port (`heed_ingest/ports.py`) and of the publisher: what the
handlers, receivers and pollers are tested against, without a broker or a database."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from heed.contracts import topics
from heed.contracts.events import Channel, DeadLetter, Mention, RawMention
from heed_ingest.domain.drafts import InstagramLookup
from heed_ingest.domain.nonces import Claim, judge_claim
from heed_ingest.ports import LedgerRow
from tests.unit.fakes import FakePublisher as SharedPublisher


class FakePublisher(SharedPublisher):
    def mentions(self) -> list[Mention]:
        return self.events(topics.MENTIONS, Mention)


@dataclass
class _Arrival:
    row: LedgerRow
    seen: int = 1
    published: bool = False


class FakeLedger:
    """The dedupe ledger in a dict, as PostgresLedger keeps it in `mentions`.

    With `publisher`, it also checks the ledger's promise: a mention is marked published only when
    that publisher has it, never before the broker acknowledged it.
    """

    def __init__(self, publisher: FakePublisher | None = None) -> None:
        self.arrivals: dict[tuple[str, str], _Arrival] = {}
        self.publisher = publisher

    async def known_thread_roots(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        return {key: self.arrivals[key].row.thread_root for key in keys if key in self.arrivals}

    async def record(self, rows: Sequence[LedgerRow]) -> dict[uuid.UUID, str]:
        pending = {}
        for row in rows:
            arrival = self.arrivals.get((row.channel, row.native_id))
            if arrival is None:
                arrival = self.arrivals[(row.channel, row.native_id)] = _Arrival(row)
            else:
                arrival.seen += 1
            if not arrival.published:
                pending[arrival.row.mention_id] = arrival.row.thread_root
        return pending

    async def mark_published(self, mention_ids: Sequence[uuid.UUID]) -> None:
        if self.publisher is not None:
            acknowledged = {m.mention_id for m in self.publisher.mentions()}
            unpublished = set(mention_ids) - acknowledged
            assert not unpublished, f"marked published before the broker had them: {unpublished}"
        for arrival in self.arrivals.values():
            if arrival.row.mention_id in mention_ids:
                arrival.published = True

    def published(self) -> set[str]:
        """Native ids of the mentions marked published."""
        return {native for (_, native), a in self.arrivals.items() if a.published}


class FakeArchive:
    """Dead letters by id, as PostgresDeadLetterArchive keeps them."""

    def __init__(self) -> None:
        self.letters: dict[uuid.UUID, DeadLetter] = {}

    async def archive(self, letters: Sequence[DeadLetter]) -> int:
        new = [letter for letter in letters if letter.event_id not in self.letters]
        self.letters.update((letter.event_id, letter) for letter in new)
        return len(new)

    async def purge(self, older_than: timedelta) -> int:
        gone = [i for i, d in self.letters.items() if d.occurred_at < datetime.now(UTC) - older_than]
        for letter_id in gone:
            del self.letters[letter_id]
        return len(gone)


@dataclass
class _Nonce:
    body_sha256: bytes
    signed_at: datetime
    published: bool = False


class FakeNonces:
    """The nonce ledger in this process's memory, judged as PostgresNonces judges it."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], _Nonce] = {}

    async def claim(self, channel: str, nonce: str, body_sha256: bytes, signed_at: datetime,
                    seen_at: datetime) -> Claim:
        seen = self.seen.get((channel, nonce))
        if seen is None:
            self.seen[(channel, nonce)] = _Nonce(body_sha256, signed_at)
            return Claim.PUBLISH
        return judge_claim(seen.body_sha256, seen.published, body_sha256)

    async def published(self, channel: str, nonce: str) -> None:
        if (channel, nonce) in self.seen:
            self.seen[(channel, nonce)].published = True

    async def release(self, channel: str, nonce: str, body_sha256: bytes) -> None:
        seen = self.seen.get((channel, nonce))
        if seen is not None and seen.body_sha256 == body_sha256 and not seen.published:
            del self.seen[(channel, nonce)]

    async def purge(self, signed_before: datetime) -> int:
        stale = [key for key, seen in self.seen.items() if seen.signed_at < signed_before]
        for key in stale:
            del self.seen[key]
        return len(stale)


@dataclass
class FakeInstagram:
    """The Graph API's answers to Instagram @mention lookups, by comment or media id."""

    answers: dict[str, dict[str, object]] = field(default_factory=dict)

    async def resolve(self, lookup: InstagramLookup) -> RawMention:
        found = self.answers[lookup.comment_id or lookup.media_id or ""]
        body = json.dumps({"ig_user_id": lookup.ig_user_id, "response": found}).encode()
        return RawMention(event_id=uuid.uuid4(), source="poll:instagram", channel=Channel.INSTAGRAM, body=body,
                          origin=f"instagram-mention:{lookup.comment_id or lookup.media_id}")


class FakeCursors:
    def __init__(self) -> None:
        self.saved: dict[str, str] = {}

    async def get(self, source: str) -> str | None:
        return self.saved.get(source)

    async def put(self, source: str, cursor: str) -> None:
        self.saved[source] = cursor
