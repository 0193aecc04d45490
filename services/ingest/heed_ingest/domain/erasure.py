"""What ingest forgets when a customer is erased, and how it recognises them later. Pure: no I/O.

crm-sync announces an erasure as a `CustomerUpdate` with `erased=true` and the identities
(`channel:platform_id`) to forget. Ingest holds them in two places: the mention ledger (a DM's thread
root is `dm:<platform_id>`, and from migration 005 each row has its author's hash) and the dead-letter
archive (bodies a customer wrote, events naming them). Neither keeps an identity in clear to find it
by: rows carry keyed hashes (HMAC-SHA256 under HEED_ERASURE_KEY, see `heed.identity_hashes`), and after an
erasure only the hashes of the erased identities are remembered, to keep their dead letters out while
the DLQ topic may still deliver them.

A dead letter is one of Heed's own events, whose typed fields name every customer it holds (a
mention's author, a reply's recipient), or bytes ingest cannot read that way: a platform's raw body
(which also names other people: reactors, replied-to users) or anything that did not decode. The
latter are recognised by their id-like tokens (`id_tokens`), see `holds_platform_id`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from pydantic import BaseModel

from heed.contracts import topics
from heed.contracts.events import CaseAnswer, Channel, CustomerUpdate, DeadLetter, Mention, Reply

# shared with the router and the responder; imported from here by ingest's modules and tests
from heed.identity_hashes import Identity as Identity
from heed.identity_hashes import IdentityHashes as IdentityHashes

# The alphabet of every platform's user ids (numeric ids, WeChat OpenIDs): a token is a maximal run
# of it, so "123" is not found inside "91234" or "dm:1234".
_ID_CHARS = rb"A-Za-z0-9_\-"
_ID_LIKE = re.compile(rb"[" + _ID_CHARS + rb"]+")
MAX_ID_BYTES = 200  # a NativeId's limit: longer runs are base64 and the like, never an id


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
    topics.CRM_ERASURES: _customer_identities,
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
