"""Which customer an identity belongs to, and how a customer's version is announced."""

from __future__ import annotations

import uuid
from typing import Any

from heed.contracts.events import Channel, CustomerTier, CustomerUpdate, derive_id
from heed.contracts.events import customer_id_for as shared_customer_id


def customer_id_for(channel: Channel, platform_id: str) -> uuid.UUID:
    """One customer per channel identity, the same id however often the identity is seen."""
    return shared_customer_id(channel.value, platform_id)


def announcement(customer_id: uuid.UUID, identities: list[str], tier: CustomerTier, owner: str | None,
                 version: int, **record: Any) -> CustomerUpdate:
    """The CustomerUpdate for one version of a customer; announcing a version again repeats its event id.
    `record` carries the rest of what is announced (name, language, tags, aliases, merged_into, …)."""
    return CustomerUpdate(event_id=derive_id("customer-update", customer_id, version), customer_id=customer_id,
                          identities=identities, tier=tier, owner=owner, version=version, **record)
