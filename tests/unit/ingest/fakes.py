"""In-memory fakes of every ingest port (`heed_ingest/ports.py`) and of the publisher: what the
handlers, receivers and pollers are tested against, without a broker or a database."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from heed.contracts import topics
from heed.contracts.events import Channel, DeadLetter, Mention, RawMention
from heed_ingest.domain.drafts import InstagramLookup
from heed_ingest.domain.erasure import (
    AttributedLetter,
    Erasure,
    ErasureReport,
    holds_platform_id,
    ledger_row_embeds,
    letter_bytes,
    withheld,
)
from heed_ingest.domain.nonces import Claim, judge_claim
from heed_ingest.ports import Archived, LedgerRow
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

    With `publisher`, it also checks the ledger's promise: a recording commits only when that
    publisher has every mention it yielded, never before the broker acknowledged them.
    """

    def __init__(self, publisher: FakePublisher | None = None) -> None:
        self.arrivals: dict[tuple[str, str], _Arrival] = {}
        self.publisher = publisher

    async def known_thread_roots(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        return {key: self.arrivals[key].row.thread_root for key in keys if key in self.arrivals}

    @asynccontextmanager
    async def recording(self, rows: Sequence[LedgerRow]) -> AsyncIterator[dict[uuid.UUID, str]]:
        before = {key: dataclasses.replace(a) for key, a in self.arrivals.items()}
        pending = {}
        for row in rows:
            arrival = self.arrivals.get((row.channel, row.native_id))
            if arrival is None:
                arrival = self.arrivals[(row.channel, row.native_id)] = _Arrival(row)
            else:
                arrival.seen += 1
            if not arrival.published:
                pending[arrival.row.mention_id] = arrival.row.thread_root
            arrival.published = True
        try:
            yield pending
        except BaseException:
            self.arrivals = before  # the transaction rolls back
            raise
        if self.publisher is not None:
            acknowledged = {m.mention_id for m in self.publisher.mentions()}
            unpublished = set(pending) - acknowledged
            assert not unpublished, f"committed before the broker had them: {unpublished}"

    def seed(self, row: LedgerRow) -> None:
        """A row an earlier run recorded and published (test set-up)."""
        self.arrivals[(row.channel, row.native_id)] = _Arrival(row, published=True)

    def published(self) -> set[str]:
        """Native ids of the mentions marked published."""
        return {native for (_, native), a in self.arrivals.items() if a.published}


class FakeArchive:
    """Dead letters by id with their identity hashes, as PostgresDeadLetterArchive keeps them, and the
    hashes of erased identities (`erased_identities`) it screens new letters with."""

    def __init__(self) -> None:
        self.letters: dict[uuid.UUID, DeadLetter] = {}
        self.attributed: dict[uuid.UUID, AttributedLetter] = {}
        self.erased: dict[bytes, tuple[bytes, datetime]] = {}  # identity hash → (platform id hash, erased at)

    async def archive(self, letters: Sequence[AttributedLetter]) -> Archived:
        out = withheld(letters, set(self.erased), {p for p, _ in self.erased.values()})
        new = [a for a in letters if a.letter.event_id not in self.letters and a.letter.event_id not in out]
        self.letters.update((a.letter.event_id, a.letter) for a in new)
        self.attributed.update((a.letter.event_id, a) for a in new)
        return Archived(len(new), withheld=len(out))

    async def purge(self, older_than: timedelta) -> int:
        gone = [i for i, d in self.letters.items() if d.occurred_at < datetime.now(UTC) - older_than]
        for letter_id in gone:
            del self.letters[letter_id]
        return len(gone)


class FakeErasures:
    """An erasure over the fake ledger and archive, as PostgresErasures carries it out in PostgreSQL."""

    def __init__(self, ledger: FakeLedger, archive: FakeArchive) -> None:
        self.ledger, self.archive = ledger, archive
        self.audit: dict[uuid.UUID, tuple[bytes, int, ErasureReport]] = {}

    async def forget(self, erasure: Erasure) -> ErasureReport:
        now = datetime.now(UTC)
        every_hash = {h for i in erasure.identities for h in i.identity_hashes}
        for i in erasure.identities:
            self.archive.erased[i.identity_hash] = (i.platform_id_hash, now)
        rows = [key for key, a in self.ledger.arrivals.items()
                if a.row.author_hash in every_hash
                or any(ledger_row_embeds(a.row.channel, a.row.thread_root, i.identity) for i in erasure.identities)]
        for key in rows:
            del self.ledger.arrivals[key]
        letters = [letter_id for letter_id, d in self.archive.letters.items()
                   if self._names(letter_id, every_hash) or self._holds(d, erasure)]
        for letter_id in letters:
            del self.archive.letters[letter_id]
            self.archive.attributed.pop(letter_id, None)
        report = ErasureReport(mentions=len(rows), dead_letters=len(letters))
        self.audit.setdefault(erasure.erasure_id, (erasure.subject_hash, len(erasure.identities), report))
        return report

    def _names(self, letter_id: uuid.UUID, hashes: set[bytes]) -> bool:
        attributed = self.archive.attributed.get(letter_id)
        return attributed is not None and not hashes.isdisjoint(attributed.identity_hashes)

    def _holds(self, letter: DeadLetter, erasure: Erasure) -> bool:
        attributed = self.archive.attributed.get(letter.event_id)
        if attributed is not None and attributed.complete:
            return False
        data = letter_bytes(letter.original, letter.key, letter.origin, letter.error)
        return any(holds_platform_id(data, i.identity.platform_id) for i in erasure.identities)

    async def expire(self, older_than: timedelta) -> int:
        gone = [h for h, (_, at) in self.archive.erased.items() if at < datetime.now(UTC) - older_than]
        for identity_hash in gone:
            del self.archive.erased[identity_hash]
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
