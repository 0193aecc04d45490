"""What ingest forgets when a customer is erased, and how it recognises them later. Pure: no I/O.

crm-sync announces an erasure as a `CustomerUpdate` with `erased=true` and the identities
(`channel:platform_id`) to forget. Ingest holds them in two places: the mention ledger (a DM's thread
root is `dm:<platform_id>`, and from migration 005 each row has its author's hash) and the dead-letter
archive (bodies a customer wrote, events naming them). Neither keeps an identity in clear to find it
by: rows carry keyed hashes (HMAC-SHA256 under HEED_ERASURE_KEY, see `IdentityHashes`), and after an
erasure only the hashes of the erased identities are remembered, to keep their dead letters out while
the DLQ topic may still deliver them.

A dead letter is one of Heed's own events, whose typed fields name every customer it holds (a
mention's author, a reply's recipient), or bytes ingest cannot read that way: a platform's raw body
(which also names other people: reactors, replied-to users) or anything that did not decode. The
latter are recognised by their id-like tokens (`id_tokens`), see `holds_platform_id`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from heed.contracts import topics
from heed.contracts.events import CaseAnswer, Channel, CustomerUpdate, DeadLetter, Mention, Reply

# Used when HEED_ERASURE_KEY is unset, and always last in the ring so that hashes made before a key
# was configured are still found. Public: without a configured key a hash of a numeric platform id can
# be reversed by trying every id, so it is only as private as the ids themselves.
BUILTIN_KEY = b"heed ingest identity hash v1 (no HEED_ERASURE_KEY set)"
_IDENTITY = b"identity\x1f"
_PLATFORM_ID = b"platform-id\x1f"
_SUBJECT = b"erased-customer\x1f"

# The alphabet of every platform's user ids (numeric ids, WeChat OpenIDs): a token is a maximal run
# of it, so "123" is not found inside "91234" or "dm:1234".
_ID_CHARS = rb"A-Za-z0-9_\-"
_ID_LIKE = re.compile(rb"[" + _ID_CHARS + rb"]+")
MAX_ID_BYTES = 200  # a NativeId's limit: longer runs are base64 and the like, never an id


@dataclass(frozen=True, order=True)
class Identity:
    """One channel identity of a customer: `channel:platform_id`."""

    channel: str
    platform_id: str

    @classmethod
    def parse(cls, text: str) -> Identity | None:
        """`weibo:123456` → Identity; None for anything without both a channel and an id."""
        channel, sep, platform_id = text.partition(":")
        if not sep or not channel or not platform_id:
            return None
        return cls(channel, platform_id)

    def __str__(self) -> str:
        return f"{self.channel}:{self.platform_id}"


class IdentityHashes:
    """Keyed hashes of identities: the first key hashes what is stored, every key finds it again.

    Keys come from HEED_ERASURE_KEY, newest first; the built-in key is always last. A key retired from
    the setting no longer finds the ledger rows hashed with it, which are kept without an age limit:
    keep retired keys listed.
    """

    def __init__(self, keys: Sequence[bytes] = ()) -> None:
        self._keys = (*keys, BUILTIN_KEY)

    @property
    def keyed(self) -> bool:
        return len(self._keys) > 1

    def identity(self, identity: Identity) -> bytes:
        """What is stored with a row about `identity`."""
        return self._mac(self._keys[0], _IDENTITY, str(identity).encode())

    def identity_all(self, identity: Identity) -> tuple[bytes, ...]:
        """The hash of `identity` under every key: what finds rows stored before a rotation."""
        return tuple(self._mac(k, _IDENTITY, str(identity).encode()) for k in self._keys)

    def platform_id(self, platform_id: bytes) -> bytes:
        """The hash of a platform id on its own, for letters whose channel cannot be told."""
        return self._mac(self._keys[0], _PLATFORM_ID, platform_id)

    def platform_id_all(self, platform_id: bytes) -> tuple[bytes, ...]:
        return tuple(self._mac(k, _PLATFORM_ID, platform_id) for k in self._keys)

    def subject(self, customer_id: uuid.UUID) -> bytes:
        """The erased customer in the audit: answers "was this customer erased?" without naming them."""
        return self._mac(self._keys[0], _SUBJECT, customer_id.bytes)

    @staticmethod
    def _mac(key: bytes, label: bytes, value: bytes) -> bytes:
        return hmac.digest(key, label + value, hashlib.sha256)


@dataclass(frozen=True)
class ErasedIdentity:
    """An identity to forget, with every hash that finds it. The id in clear stays in memory: the
    scan of letters that name no customer in typed fields needs it, nothing stores it."""

    identity: Identity
    identity_hash: bytes  # remembered in erased_identities (the current key)
    platform_id_hash: bytes  # the same, of the platform id alone
    identity_hashes: tuple[bytes, ...]  # under every key: finds ledger rows and letters hashed before a rotation


@dataclass(frozen=True)
class Erasure:
    """One erasure announced by crm-sync, as ingest carries it out."""

    erasure_id: uuid.UUID  # the announcement's event id: a redelivery is recorded once
    subject_hash: bytes
    identities: tuple[ErasedIdentity, ...]
    unreadable: int = 0  # identities announced without `channel:platform_id`: counted, nothing else


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure removed, by table: counts only."""

    mentions: int = 0
    dead_letters: int = 0

    def fields(self) -> dict[str, int]:
        return {"mentions": self.mentions, "dead_letters": self.dead_letters}


def erasure_of(update: CustomerUpdate, hashes: IdentityHashes) -> Erasure | None:
    """The erasure an update asks for; None unless it says `erased` and names an identity."""
    if not update.erased:
        return None
    parsed = [Identity.parse(text) for text in update.identities]
    found = sorted({i for i in parsed if i is not None})
    if not found:
        return None
    return Erasure(
        erasure_id=update.event_id, subject_hash=hashes.subject(update.customer_id),
        identities=tuple(ErasedIdentity(i, hashes.identity(i), hashes.platform_id(i.platform_id.encode()),
                                        hashes.identity_all(i)) for i in found),
        unreadable=sum(1 for i in parsed if i is None))


def ledger_row_embeds(channel: str, thread_root: str, identity: Identity) -> bool:
    """A ledger row whose thread root spells the identity: a DM's `dm:<id>`, or a root made from the
    sender where the platform gave no message id (WeChat, Weibo: `<id>:<time>…`). Finds rows recorded
    before authors were hashed, and other people's rows in such a thread."""
    return channel == identity.channel and (
        thread_root == f"dm:{identity.platform_id}" or thread_root.startswith(f"{identity.platform_id}:"))


# -- dead letters ---------------------------------------------------------------------------------

def _mention_author(mention: Mention) -> list[Identity]:
    return [Identity(mention.channel.value, mention.author.platform_id)]


def _recipient(event: CaseAnswer | Reply) -> list[Identity]:
    return [Identity(event.channel.value, event.recipient_platform_id)]


def _customer_identities(update: CustomerUpdate) -> list[Identity]:
    return [i for i in map(Identity.parse, update.identities) if i is not None]


def _none(_event: BaseModel) -> list[Identity]:
    return []


# Topics whose events name every customer they hold in typed fields. The others (the raw topic's
# authentic bodies, the DLQ itself, a topic added later) are read as bytes.
_NAMED_IN: dict[str, Callable[..., list[Identity]]] = {
    topics.MENTIONS: _mention_author,
    topics.MENTIONS_CLASSIFIED: lambda e: _mention_author(e.mention),
    topics.CASES_ROUTED: lambda e: _mention_author(e.mention),
    topics.CASE_ANSWERS: _recipient,
    topics.REPLIES: _recipient,
    topics.CRM_CUSTOMERS: _customer_identities,
    topics.CASE_EVENTS: _none,  # ids, status and actor: no customer text, ever
    topics.CRM_VERIFICATIONS: _none,  # ids and the outcome
    topics.ALERTS: _none,  # counts and the topic
}


def identities_named(source_topic: str, original: bytes) -> list[Identity] | None:
    """Every identity a dead letter's bytes hold, when they are one of Heed's own events naming its
    customers in typed fields; None when only the bytes can tell (a raw body, anything undecodable)."""
    read = _NAMED_IN.get(source_topic)
    topic = topics.BY_NAME.get(source_topic)
    if read is None or topic is None:
        return None
    try:
        event = topic.model.model_validate_json(original)
    except ValueError:  # pydantic's ValidationError, for bytes that are not that event
        return None
    return read(event)


_CHANNELS = frozenset(c.value for c in Channel)


def identity_in_key(key: str | None) -> Identity | None:
    """The customer a Kafka key names: a DM's conversation key is `<channel>:dm:<platform_id>`."""
    channel, _, rest = (key or "").partition(":")
    if channel not in _CHANNELS or not rest.startswith("dm:") or len(rest) == len("dm:"):
        return None
    return Identity(channel, rest[3:])


def letter_bytes(original: bytes, key: str | None, origin: str | None, error: str) -> bytes:
    """What of a dead letter is searched for an id: its body, Kafka key, origin and error."""
    return b"\n".join([original, *(f.encode() for f in (key, origin, error) if f)])


def id_tokens(data: bytes) -> set[bytes]:
    """Every id-like token in `data` (runs of the platform id alphabet, at most 200 bytes)."""
    return {token for token in _ID_LIKE.findall(data) if len(token) <= MAX_ID_BYTES}


def holds_platform_id(data: bytes, platform_id: str) -> bool:
    """Whether `data` holds the platform id as a whole token, as `id_tokens` reads it.

    The fallback for dead letters that name no customer in typed fields. It can over-match: a
    numeric id equal to another number in the body (a timestamp, an order number) takes an innocent
    letter with it, which is lost for replay. It can under-match: an id escaped (\\uXXXX), encoded
    (base64, URL) or encrypted (WeChat safe mode without the key) is not found, and such a letter
    goes only at the end of retention. Over-erasing a dead letter is the lesser harm. An id outside
    the platform alphabet (from POST /v1/mentions) is matched anywhere in the bytes.
    """
    needle = platform_id.encode()
    if not _ID_LIKE.fullmatch(needle):
        return needle in data
    return re.search(rb"(?<![" + _ID_CHARS + rb"])" + re.escape(needle) + rb"(?![" + _ID_CHARS + rb"])",
                     data) is not None


@dataclass(frozen=True)
class AttributedLetter:
    """A dead letter with the keyed hashes that tie it to customers, as the archive stores it."""

    letter: DeadLetter
    identity_hashes: tuple[bytes, ...]  # stored with it (current key): an erasure deletes it by these
    complete: bool  # those are every customer it holds; if not, an erasure scans its bytes too
    screen_identities: frozenset[bytes]  # its identities under every key, compared with the erased ones
    screen_platform_ids: frozenset[bytes]  # for an incomplete letter: its tokens under every key


def attribute(letter: DeadLetter, hashes: IdentityHashes) -> AttributedLetter:
    """Who a dead letter is about, for storing it and for keeping an erased customer's out."""
    named = identities_named(letter.source_topic, letter.original)
    found = set(named or ())
    keyed = identity_in_key(letter.key)
    if keyed is not None:
        found.add(keyed)
    tokens: Iterable[bytes] = ()
    if named is None:
        tokens = id_tokens(letter_bytes(letter.original, letter.key, letter.origin, letter.error))
    return AttributedLetter(
        letter=letter, identity_hashes=tuple(sorted({hashes.identity(i) for i in found})), complete=named is not None,
        screen_identities=frozenset(h for i in found for h in hashes.identity_all(i)),
        screen_platform_ids=frozenset(h for t in tokens for h in hashes.platform_id_all(t)))


def withheld(letters: Iterable[AttributedLetter], erased_identities: Collection[bytes],
             erased_platform_ids: Collection[bytes]) -> set[uuid.UUID]:
    """The letters about an erased customer (by the hashes remembered at their erasure): not archived."""
    return {a.letter.event_id for a in letters
            if not a.screen_identities.isdisjoint(erased_identities)
            or not a.screen_platform_ids.isdisjoint(erased_platform_ids)}
