"""What the responder keeps of the customer record crm-sync announces on heed.crm.customers: the
name on record to greet by, the language the customer asked to be answered in, and erasures.

One global sequence numbers the announcements, so for each identity (`channel:platform_id`) the
newest version wins and an older one never overwrites it. An erasure blanks the profile and keeps
the time it was announced: what the customer wrote up to then is never answered, and an older
announcement cannot bring the name back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from heed.contracts.events import CustomerUpdate

# Chinese regions whose written standard is Traditional, and those whose is Simplified
_TRADITIONAL_REGIONS = frozenset({"TW", "HK", "MO"})
_SIMPLIFIED_REGIONS = frozenset({"CN", "SG", "MY"})


def identity(channel: str, platform_id: str) -> str:
    """The identity crm-sync announces for a customer on a channel."""
    return f"{channel}:{platform_id}"


@dataclass(frozen=True)
class CustomerProfile:
    """What the newest announcement about one identity says that changes a reply."""

    display_name: str | None = None
    language: str | None = None  # as recorded: en, zh-Hans, zh-Hant, th, …
    forgotten_before: datetime | None = None  # the latest erasure: nothing received up to then is answered

    def forgets(self, received_at: datetime) -> bool:
        """Whether a mention received then was erased with the customer's data."""
        return self.forgotten_before is not None and received_at <= self.forgotten_before


NO_PROFILE = CustomerProfile()


@dataclass(frozen=True)
class ProfileVersion:
    """One identity's profile as one announcement gives it (blank for an erasure)."""

    identity: str
    version: int
    display_name: str | None
    language: str | None
    erased: bool
    forgotten_before: datetime | None  # the latest erasure of this identity in the batch, whatever its version


@dataclass(frozen=True)
class Erasure:
    """An identity whose data is to be forgotten: everything about what it wrote up to `before`."""

    channel: str
    platform_id: str
    before: datetime


def _name(value: str | None) -> str | None:
    name = " ".join((value or "").split())
    return name or None


def profile_versions(updates: Sequence[CustomerUpdate]) -> list[ProfileVersion]:
    """The newest version per identity among `updates`; an erasure blanks the name and language.
    An erasure older than the newest version still says when the identity's past was erased."""
    newest: dict[str, ProfileVersion] = {}
    erased_at: dict[str, datetime] = {}
    for update in updates:
        for ident in update.identities:
            if update.erased:
                erased_at[ident] = max(erased_at.get(ident, update.occurred_at), update.occurred_at)
            known = newest.get(ident)
            if known is None or known.version < update.version:
                newest[ident] = ProfileVersion(
                    identity=ident, version=update.version, erased=update.erased, forgotten_before=None,
                    display_name=None if update.erased else _name(update.display_name),
                    language=None if update.erased else (update.language or "").strip() or None)
    return [ProfileVersion(identity=v.identity, version=v.version, display_name=v.display_name, language=v.language,
                           erased=v.erased, forgotten_before=erased_at.get(v.identity)) for v in newest.values()]


def erasures(updates: Sequence[CustomerUpdate]) -> list[Erasure]:
    """The identities `updates` erase, each with the time of its erasure."""
    found: list[Erasure] = []
    for update in updates:
        if update.erased:
            for ident in update.identities:
                channel, sep, platform_id = ident.partition(":")
                if sep and platform_id:
                    found.append(Erasure(channel, platform_id, update.occurred_at))
    return found


def applied(current: ProfileVersion | None, incoming: ProfileVersion) -> ProfileVersion:
    """The stored version after `incoming`: the newer one's profile, the latest erasure time of both."""
    if current is None:
        return incoming
    newer = incoming if incoming.version > current.version else current
    times = [t for t in (current.forgotten_before, incoming.forgotten_before) if t is not None]
    return ProfileVersion(identity=newer.identity, version=newer.version, display_name=newer.display_name,
                          language=newer.language, erased=newer.erased, forgotten_before=max(times, default=None))


def preferred_language(recorded: str | None, supported: Sequence[str]) -> tuple[str, str | None] | None:
    """The template language and Chinese script a recorded preference asks for ("zh-Hant" → zh in
    Traditional, "zh-TW" too; "zh" alone leaves the script open), or None when Heed writes no
    templates in that language."""
    parts = [p for p in (recorded or "").replace("_", "-").split("-") if p]
    if not parts or parts[0].lower() not in supported:
        return None
    language = parts[0].lower()
    if language != "zh":
        return language, None
    for part in parts[1:]:
        if part.title() in ("Hans", "Hant"):
            return language, part.title()
        if part.upper() in _TRADITIONAL_REGIONS:
            return language, "Hant"
        if part.upper() in _SIMPLIFIED_REGIONS:
            return language, "Hans"
    return language, None
