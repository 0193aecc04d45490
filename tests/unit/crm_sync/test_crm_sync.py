"""The CRM sync's decisions that need no CRM and no database: which contacts a refusing CRM keeps
apart, which changes are too old to take, and which webhook changes are not taken at all."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import cast

from heed_crm_sync.adapters.crm.hubspot import DEFAULT_PROPERTIES
from heed_crm_sync.adapters.crm_store import PostgresCrmStore
from heed_crm_sync.crm_sync import take_hubspot_webhook
from heed_crm_sync.domain.hubspot_webhooks import signature_v3
from heed_crm_sync.domain.ownership import newer_than_recorded
from heed_crm_sync.ports import ContactPush, CrmRejected, ExternalContact, InteractionPush, PartlyRejected
from heed_crm_sync.settings import CrmSyncSettings
from tests.unit.fakes import FixedClock

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


class RefusingCrm:
    """Refuses every batch holding a contact whose email has no @, as HubSpot validates a batch whole;
    with `partly`, saves the others and names the refused, as Salesforce's collections do."""

    name = "fake"

    def __init__(self, partly: bool = False) -> None:
        self.partly = partly
        self.saved: dict[uuid.UUID, str] = {}
        self.calls = 0

    async def push_contacts(self, contacts: Sequence[ContactPush]) -> dict[uuid.UUID, str]:
        self.calls += 1
        bad = {c.customer_id for c in contacts if "@" not in (c.fields.get("email") or "@")}
        if bad and not self.partly:
            raise CrmRejected("fake refused upserting contacts: HTTP 400; category VALIDATION_ERROR; about email")
        good = {c.customer_id: f"c-{c.customer_id.int}" for c in contacts if c.customer_id not in bad}
        self.saved.update(good)
        if bad:
            raise PartlyRejected("fake refused some", good, {b: "INVALID_EMAIL_ADDRESS" for b in bad})
        return good

    async def push_interactions(self, items: Sequence[InteractionPush]) -> None:
        return None

    async def changed_contacts(self, since: datetime) -> tuple[list[ExternalContact], datetime]:
        return [], since

    async def contacts(self, external_ids: Sequence[str]) -> list[ExternalContact]:
        return []

    async def linked_contacts(self) -> AsyncIterator[list[ExternalContact]]:
        return
        yield []

    async def aclose(self) -> None:
        return None



def test_a_change_older_than_the_field_s_last_setting_is_not_taken() -> None:
    sources = {"tier": {"source": "hubspot", "at": (T0 + timedelta(minutes=5)).isoformat()},
               "consent.marketing": {"source": "agent", "at": T0.isoformat()}}
    late = {"tier": "standard", "owner": "77", "marketing_consent": "true"}
    assert newer_than_recorded(late, T0 + timedelta(minutes=1), sources) == {"owner": "77",
                                                                            "marketing_consent": "true"}
    assert newer_than_recorded(late, T0 - timedelta(seconds=1), sources) == {"owner": "77"}
    assert newer_than_recorded(late, T0 + timedelta(minutes=5), sources) == late  # same time: taken


async def test_a_webhook_change_from_an_ignored_source_is_not_taken() -> None:
    body = json.dumps([{"subscriptionType": "contact.propertyChange", "objectId": 5, "occurredAt": 1,
                        "propertyName": "heed_tier", "propertyValue": "vip", "changeSource": "INTEGRATION"}]).encode()
    timestamp = str(int(T0.timestamp() * 1000))
    signature = signature_v3("secret", "POST", "https://heed.example/hook", body, timestamp)
    result = await take_hubspot_webhook(
        body, method="POST", uri="https://heed.example/hook", timestamp=timestamp, signature=signature,
        client_secret="secret", crm=RefusingCrm(), properties=dict(DEFAULT_PROPERTIES),
        store=cast(PostgresCrmStore, None), clock=FixedClock(T0), ignore_sources={"INTEGRATION"})
    assert result.changes_taken == 0


def test_the_ignored_sources_setting_reaches_the_webhook() -> None:
    settings = CrmSyncSettings(hubspot_webhook_ignore_sources=" INTEGRATION, IMPORT ,")
    assert settings.hubspot_ignored_sources() == {"INTEGRATION", "IMPORT"}
