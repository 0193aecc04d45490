"""`heed crm reconcile`: compare every linked contact in each configured CRM with Heed's record and
repair drift both ways (the CRM's own fields taken from it, Heed's own fields pushed to it).
`heed crm refused`: what the CRMs refused and waits to be tried again, with their reasons."""

from __future__ import annotations

import sys
from typing import Any

from heed.runtime.db import create_pool
from heed.runtime.ports import SystemClock


async def reconcile_all() -> dict[str, Any]:
    from heed_crm_sync.adapters.crm_store import PostgresCrmStore
    from heed_crm_sync.adapters.customer_book import PostgresCustomerBook
    from heed_crm_sync.bootstrap import external_crms, verification_policy
    from heed_crm_sync.crm_sync import reconcile
    from heed_crm_sync.domain.ownership import parse_owners
    from heed_crm_sync.settings import CrmSyncSettings

    settings = CrmSyncSettings()
    crms = external_crms(settings)
    if not crms:
        raise SystemExit("heed crm reconcile: no CRM is configured (set HEED_HUBSPOT_TOKEN, or "
                         "HEED_SALESFORCE_INSTANCE_URL and HEED_SALESFORCE_TOKEN)")
    policy = verification_policy(settings)
    pool = await create_pool(settings.resolved_database(), "crm", max_size=4)
    figures: dict[str, Any] = {}
    try:
        store = PostgresCrmStore(pool, PostgresCustomerBook(pool, policy.data_keys if policy else None),
                                 parse_owners(settings.crm_field_owners))
        for crm in crms:
            print(f"reconciling {crm.name} …", file=sys.stderr)
            result = await reconcile(crm, store, SystemClock())
            figures[crm.name] = {"contacts_compared": result.changes_taken, "fields_taken": result.fields_changed,
                                 "contacts_pushed": result.contacts_pushed,
                                 "interactions_pushed": result.interactions_pushed, "errors": result.errors}
            await crm.aclose()
    finally:
        await pool.close()
    return figures


async def refused_items(limit: int = 1000) -> list[dict[str, Any]]:
    """The records the CRMs refused, as `heed crm refused` shows them: ids, the CRM's reason (it names
    properties and codes, never a value), tries, next try."""
    from heed_crm_sync.adapters.crm_store import PostgresCrmStore
    from heed_crm_sync.adapters.customer_book import PostgresCustomerBook
    from heed_crm_sync.settings import CrmSyncSettings

    settings = CrmSyncSettings()
    pool = await create_pool(settings.resolved_database(), "crm", max_size=1)
    try:
        refused = await PostgresCrmStore(pool, PostgresCustomerBook(pool, None), {}).refused(limit)
    finally:
        await pool.close()
    return [{"crm": r.system, "kind": r.kind, "id": str(r.item_id), "customer_id": str(r.customer_id),
             "attempts": r.attempts, "next_try": r.next_try.isoformat(), "reason": r.reason} for r in refused]
