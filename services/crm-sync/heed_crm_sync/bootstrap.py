"""crm-sync's wiring, in one place: builds the adapters and hands them to the handlers.

Whatever `Overrides` gives (tests give in-memory fakes) is used instead of the real adapter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import asyncpg

from heed.contracts import topics
from heed.runtime.messaging import Handler
from heed.runtime.ports import EventPublisher
from heed.runtime.settings import key_ring
from heed_crm_sync.adapters.crm.hubspot import HubSpotCrm
from heed_crm_sync.adapters.crm.salesforce import SalesforceCrm
from heed_crm_sync.adapters.postgres import PostgresCustomerRecords
from heed_crm_sync.data_keys import KEY_BYTES, DataKeys
from heed_crm_sync.handlers import (
    VerificationPolicy,
    record_case_events,
    record_mentions,
    record_replies,
    record_routing,
)
from heed_crm_sync.ports import CustomerRecords, ExternalCrm, Verifications
from heed_crm_sync.settings import CrmSyncSettings


@dataclass(frozen=True)
class Overrides:
    """Ports to use instead of the real adapters; None means the real one."""

    records: CustomerRecords | None = None
    publisher: EventPublisher | None = None
    verifications: Verifications | None = None
    crms: list[ExternalCrm] | None = None  # the external CRMs (tests point adapters at stand-ins)


def bootstrap(*, pool: Callable[[], asyncpg.Pool], publisher: EventPublisher,
              overrides: Overrides = Overrides(), announcing: asyncio.Lock | None = None) -> dict[str, Handler[Any]]:
    """Topic → handler with its ports. `pool` is called only if a real adapter needs the database."""
    records = overrides.records if overrides.records is not None else PostgresCustomerRecords(pool())
    publisher = overrides.publisher if overrides.publisher is not None else publisher
    return {
        topics.MENTIONS: partial(record_mentions, records=records, publisher=publisher, announcing=announcing),
        topics.CASES_ROUTED: partial(record_routing, records=records),
        topics.REPLIES: partial(record_replies, records=records),
        topics.CASE_EVENTS: partial(record_case_events, records=records),
    }


def verification_policy(settings: CrmSyncSettings) -> VerificationPolicy | None:
    """The verification page's keys and limits; None when either key is unset or left empty, as the
    secrets example leaves it (the page answers 503). A key that is set but unusable stops the service
    at once, naming the setting."""
    if not settings.crm_data_key or not settings.crm_data_key.get_secret_value().strip() \
            or not settings.secure_link_key or not settings.secure_link_key.get_secret_value().strip():
        return None
    return VerificationPolicy(
        data_keys=DataKeys(key_ring(settings.crm_data_key, env="HEED_CRM_DATA_KEY", size=KEY_BYTES)),
        link_keys=key_ring(settings.secure_link_key, env="HEED_SECURE_LINK_KEY"),
        max_attempts=settings.verify_max_attempts, form_ttl_s=settings.verify_form_ttl_s)


def external_crms(settings: CrmSyncSettings) -> list[ExternalCrm]:
    """The CRMs the settings connect, each with its credentials from the environment."""
    crms: list[ExternalCrm] = []
    if settings.hubspot_token is not None:
        crms.append(HubSpotCrm(settings.hubspot_base_url, settings.hubspot_token.get_secret_value()))
    if settings.salesforce_token is not None and settings.salesforce_instance_url:
        crms.append(SalesforceCrm(settings.salesforce_instance_url, settings.salesforce_token.get_secret_value(),
                                  api_version=settings.salesforce_api_version))
    return crms
