"""Which system owns each shared customer field, and what goes where when a value changes.

Each field has one owner: Heed (what customers and agents tell Heed: contact points, the name,
preferences) or the CRM (what sales and marketing decide there: tier, owner, marketing consent).
The map is `HEED_CRM_FIELD_OWNERS`. Heed pushes to a CRM only the fields Heed owns, and takes from
a CRM only the fields the CRM owns. On top of that, every value exchanged with a CRM is remembered
as a digest per field: a change that equals the last exchanged value is an echo of our own write (or
of theirs) and goes nowhere. The two together mean a change crosses once and never bounces back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum

from heed_crm_sync.ports import SYNC_FIELDS


class Owner(StrEnum):
    HEED = "heed"
    CRM = "crm"


DEFAULT_OWNERS: dict[str, Owner] = {
    "email": Owner.HEED, "phone": Owner.HEED, "display_name": Owner.HEED, "preferences": Owner.HEED,
    "tier": Owner.CRM, "owner": Owner.CRM, "marketing_consent": Owner.CRM,
}


class OwnershipError(ValueError):
    """HEED_CRM_FIELD_OWNERS cannot be used; the message names the entry."""


def parse_owners(value: str | None) -> dict[str, Owner]:
    """`field=heed|crm` entries, comma-separated, over the defaults."""
    owners = dict(DEFAULT_OWNERS)
    for position, raw in enumerate((value or "").split(","), start=1):
        if not raw.strip():
            continue
        name, _, owner = raw.strip().partition("=")
        where = f"HEED_CRM_FIELD_OWNERS entry {position}"
        if name not in SYNC_FIELDS:
            raise OwnershipError(f"{where}: unknown field {name!r}; one of {', '.join(SYNC_FIELDS)}")
        if owner not in Owner.__members__.values():
            raise OwnershipError(f"{where} ({name}): owner must be heed or crm, not {owner!r}")
        owners[name] = Owner(owner)
    return owners


Digest = Callable[[str, str | None], bytes]  # (field, value) → keyed digest


def outbound(owners: Mapping[str, Owner], current: Mapping[str, str | None],
             exchanged: Mapping[str, bytes], digest: Digest) -> dict[str, str | None]:
    """The fields to push to a CRM: Heed's own, changed since they were last exchanged with it."""
    return {f: v for f, v in current.items()
            if owners.get(f) is Owner.HEED and exchanged.get(f) != digest(f, v)}


def inbound(owners: Mapping[str, Owner], change: Mapping[str, str | None],
            exchanged: Mapping[str, bytes], digest: Digest) -> dict[str, str | None]:
    """The fields to take from a CRM's change: the CRM's own, different from what was last exchanged
    (an echo of a value that already crossed is dropped here)."""
    return {f: v for f, v in change.items()
            if owners.get(f) is Owner.CRM and exchanged.get(f) != digest(f, v)}


# the record's field (as field_sources names it) each CRM field sets
RECORD_FIELD = {"marketing_consent": "consent.marketing"}


def newer_than_recorded(fields: Mapping[str, str | None], changed_at: datetime,
                        field_sources: Mapping[str, Mapping[str, str]]) -> dict[str, str | None]:
    """The fields whose change is not older than the record's own last setting of them: a late or
    retried webhook, or a poll overlapping one, never undoes a newer value."""
    kept: dict[str, str | None] = {}
    for name, value in fields.items():
        recorded = field_sources.get(RECORD_FIELD.get(name, name), {}).get("at")
        if recorded is not None and changed_at < datetime.fromisoformat(recorded):
            continue
        kept[name] = value
    return kept
