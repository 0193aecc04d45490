"""The two-way sync with external CRMs, as plain async functions over the store and one CRM each.

- `push_round`: customers whose Heed-owned fields changed are upserted (by the Heed customer id stored
  on the contact), then every queued interaction is logged on its contact, keyed by its own id.
- `pull_round`: contacts the CRM changed since the cursor (Salesforce's `updated`, HubSpot's search
  by last modification) are taken in; HubSpot's webhooks arrive through `take_hubspot_webhook`.
- `reconcile`: every linked contact compared with the record: CRM-owned fields taken from the CRM,
  Heed-owned fields pushed where the CRM drifted. `heed crm reconcile` runs it.
A CRM that is down or rate-limited raises CrmUnavailable: the round stops, nothing is lost, and the
items are tried again when it says.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta

from heed.runtime.ports import Clock
from heed_crm_sync.adapters.crm_store import PostgresCrmStore
from heed_crm_sync.domain.hubspot_webhooks import parse_contact_changes, verify_signature_v3
from heed_crm_sync.ports import (
    ContactPush,
    CrmRejected,
    CrmUnavailable,
    ExternalContact,
    ExternalCrm,
    PartlyRejected,
)

log = logging.getLogger(__name__)
BATCH = 100
REFUSED_RETRY = timedelta(hours=1)  # a refused contact or interaction waits this long (an operator looks)


@dataclass
class RoundResult:
    contacts_pushed: int = 0
    interactions_pushed: int = 0
    changes_taken: int = 0
    fields_changed: int = 0
    retry_after_s: float | None = None
    errors: list[str] = field(default_factory=list)


async def push_round(crm: ExternalCrm, store: PostgresCrmStore, clock: Clock, rounds: int = 20) -> RoundResult:
    result = RoundResult()
    try:
        for _ in range(rounds):  # bounded, so one busy CRM cannot hold the loop
            due = await store.contacts_due(crm.name, BATCH, clock.now())
            if not due:
                break
            to_push = [d for d in due if d.push.fields or d.push.external_id is None]
            ids, refused = await push_contacts_apart(crm, [d.push for d in to_push])
            await store.contacts_pushed(crm.name, [d for d in due if d.push.customer_id not in refused], ids,
                                        clock.now())
            if refused:
                # parked, each with the CRM's reason code: the others go on, and so does the round
                await store.contacts_refused(crm.name, refused, {d.push.customer_id: d.version for d in due},
                                             clock.now() + REFUSED_RETRY)
                result.errors.append(f"{crm.name} refused {len(refused)} contact(s): "
                                     + "; ".join(sorted(set(refused.values()))))
            result.contacts_pushed += len(to_push) - len(refused)
        await store.enqueue_interactions(crm.name, clock.now())
        for _ in range(rounds):
            items = await store.interactions_due(crm.name, clock.now(), BATCH)
            if not items:
                break
            try:
                await crm.push_interactions(items)
            except PartlyRejected as error:
                # the accepted ones are done; the refused ones kept with their reason codes
                for reason in sorted(set(error.refused.values())):
                    await store.push_failed(crm.name, [i for i, r in error.refused.items() if r == reason],
                                            reason, clock.now() + REFUSED_RETRY)
                done = [i.interaction_id for i in items if i.interaction_id not in error.refused]
                await store.interactions_pushed(crm.name, done, clock.now())
                result.interactions_pushed += len(done)
                result.errors.append(str(error))
                continue
            except CrmRejected as error:
                # refused as a whole: kept with the reason, tried again in an hour (an operator looks)
                await store.push_failed(crm.name, [i.interaction_id for i in items], str(error)[:500],
                                        clock.now() + REFUSED_RETRY)
                result.errors.append(str(error))
                continue
            await store.interactions_pushed(crm.name, [i.interaction_id for i in items], clock.now())
            result.interactions_pushed += len(items)
    except CrmUnavailable as error:
        result.retry_after_s = error.retry_after_s
        result.errors.append(str(error))
    return result


async def push_contacts_apart(crm: ExternalCrm, pushes: list[ContactPush]
                              ) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, str]]:
    """Push contacts, keeping those the CRM refuses apart from the rest: (customer id → contact id of
    the accepted, customer id → reason of the refused). A batch refused as a whole (HubSpot validates
    a batch before writing any of it) is halved until the refused contacts stand alone."""
    if not pushes:
        return {}, {}
    try:
        return await crm.push_contacts(pushes), {}
    except PartlyRejected as error:
        return dict(error.accepted), dict(error.refused)
    except CrmRejected as error:
        if len(pushes) == 1:
            # the adapters' messages carry status, codes and property names, never a value or a token
            return {}, {pushes[0].customer_id: str(error)[:500]}
    half = len(pushes) // 2
    first_ids, first_refused = await push_contacts_apart(crm, pushes[:half])
    rest_ids, rest_refused = await push_contacts_apart(crm, pushes[half:])
    return first_ids | rest_ids, first_refused | rest_refused


async def take_changes(crm_name: str, changes: list[ExternalContact], store: PostgresCrmStore, clock: Clock, *,
                       repair: bool = False) -> RoundResult:
    result = RoundResult()
    for change in changes:
        changed = await store.take_change(crm_name, change, clock.now(), repair=repair)
        result.changes_taken += 1
        result.fields_changed += len(changed)
    return result


async def pull_round(crm: ExternalCrm, store: PostgresCrmStore, clock: Clock) -> RoundResult:
    since = await store.cursor(crm.name) or clock.now() - timedelta(minutes=5)
    try:
        changes, until = await crm.changed_contacts(since)
    except CrmUnavailable as error:
        return RoundResult(retry_after_s=error.retry_after_s, errors=[str(error)])
    result = await take_changes(crm.name, changes, store, clock)
    await store.set_cursor(crm.name, until)
    return result


async def take_hubspot_webhook(body: bytes, *, method: str, uri: str, timestamp: str | None,
                               signature: str | None, client_secret: str, crm: ExternalCrm,
                               properties: dict[str, str], store: PostgresCrmStore, clock: Clock,
                               ignore_sources: Collection[str] = ()) -> RoundResult:
    """Verify a HubSpot webhook delivery (signature v3, 5 minutes) and take its contact changes, but
    not those whose `changeSource` is in `ignore_sources`; a contact never linked is read whole, to find
    the Heed customer id stored on it."""
    verify_signature_v3(client_secret, method, uri, body, timestamp, signature, clock.now())
    changes = parse_contact_changes(body, properties, ignore_sources=ignore_sources)
    unknown = [c.external_id for c in changes if await store.linked_customer(crm.name, c.external_id) is None]
    if unknown:
        read = {c.external_id: c for c in await crm.contacts(sorted(set(unknown)))}
        changes = [ExternalContact(c.external_id, read[c.external_id].customer_id, c.fields, c.changed_at)
                   if c.external_id in read else c for c in changes]
    return await take_changes(crm.name, changes, store, clock)


async def reconcile(crm: ExternalCrm, store: PostgresCrmStore, clock: Clock) -> RoundResult:
    """Repair drift: take the CRM's own fields from every linked contact as they are now, then push
    every Heed-owned field the CRM no longer holds as Heed has it."""
    result = RoundResult()
    async for page in crm.linked_contacts():
        taken = await take_changes(crm.name, page, store, clock, repair=True)
        result.changes_taken += taken.changes_taken
        result.fields_changed += taken.fields_changed
        for contact in page:
            customer = await store.linked_customer(crm.name, contact.external_id)
            if customer is not None:
                await store.forget_exchanged(crm.name, customer, contact.fields)
    pushed = await push_round(crm, store, clock)
    result.contacts_pushed, result.interactions_pushed = pushed.contacts_pushed, pushed.interactions_pushed
    result.errors += pushed.errors
    return result
