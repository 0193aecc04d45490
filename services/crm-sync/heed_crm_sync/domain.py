"""crm-sync's pure decisions: which customer an identity belongs to, and how a customer's version
is announced."""

from __future__ import annotations

import uuid

from heed.contracts.events import Channel, CustomerTier, CustomerUpdate, derive_id
from heed.contracts.events import customer_id_for as shared_customer_id


def customer_id_for(channel: Channel, platform_id: str) -> uuid.UUID:
    """One customer per channel identity, the same id however often the identity is seen."""
    return shared_customer_id(channel.value, platform_id)


def announcement(customer_id: uuid.UUID, identities: list[str], tier: CustomerTier, owner: str | None,
                 version: int) -> CustomerUpdate:
    """The CustomerUpdate for one version of a customer; announcing a version again repeats its event id."""
    return CustomerUpdate(event_id=derive_id("customer-update", customer_id, version), customer_id=customer_id,
                          identities=identities, tier=tier, owner=owner, version=version)
