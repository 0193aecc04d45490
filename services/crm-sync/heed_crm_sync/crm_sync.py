"""The two-way sync with external CRMs, as plain async functions over the store and one CRM each.

- `push_round`: customers whose Heed-owned fields changed are upserted (by the Heed customer id stored
  on the contact), then every queued interaction is logged on its contact, keyed by its own id.
- `pull_round`: contacts the CRM changed since the cursor (Salesforce's `updated`, HubSpot's search
  by last modification) are taken in; HubSpot's webhooks arrive through `take_hubspot_webhook`.
- `reconcile`: every linked contact compared with the record: CRM-owned fields taken from the CRM,
  Heed-owned fields pushed where the CRM drifted. `heed crm reconcile` runs it.
A CRM that is down or rate-limited raises CrmUnavailable: the round stops, nothing is lost, and the
items are tried again when it says. A contact or interaction the CRM refuses waits an hour with the
reason kept (`crm_outbox.last_error`) and holds back nothing else.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from heed.runtime.ports import Clock
from heed_crm_sync.adapters.crm_store import PostgresCrmStore
from heed_crm_sync.domain.hubspot_webhooks import parse_contact_changes, verify_signature_v3
from heed_crm_sync.ports import CrmRejected, CrmUnavailable, ExternalContact, ExternalCrm, PartlyRejected

log = logging.getLogger(__name__)
BATCH = 100
REFUSED_WAIT = timedelta(hours=1)  # what a CRM refused is tried again this much later (an operator looks)
T = TypeVar("T")


@dataclass
class RoundResult:
    contacts_pushed: int = 0
    interactions_pushed: int = 0
    changes_taken: int = 0
    fields_changed: int = 0
    retry_after_s: float | None = None
    errors: list[str] = field(default_factory=list)


async def push_batch(push: Callable[[Sequence[T]], Awaitable[Mapping[uuid.UUID, str] | None]], items: Sequence[T],
                     key: Callable[[T], uuid.UUID]) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, str]]:
    """Push `items` with one of a CRM's batch calls: (Heed id → the CRM's id of each item saved, "" where
    the call names none; Heed id → why the CRM refused it). A batch refused as a whole goes again one
    item at a time, so the one item the CRM refuses holds back no other."""
    try:
        ids = await push(items) or {}
        return {key(i): ids.get(key(i), "") for i in items}, {}
    except PartlyRejected as error:
        return dict(error.accepted), dict(error.refused)
    except CrmRejected as error:
        if len(items) == 1:
            return {}, {key(items[0]): str(error)}
    saved: dict[uuid.UUID, str] = {}
    refused: dict[uuid.UUID, str] = {}
    for item in items:
        one_saved, one_refused = await push_batch(push, [item], key)
        saved |= one_saved
        refused |= one_refused
    return saved, refused


def _refusal(crm: ExternalCrm, refused: Mapping[uuid.UUID, str], what: str) -> str:
    reasons = sorted(set(refused.values()))
    return f"{crm.name} refused {len(refused)} {what}: {'; '.join(reasons)}"[:500]


async def push_round(crm: ExternalCrm, store: PostgresCrmStore, clock: Clock, rounds: int = 20) -> RoundResult:
    """Push what is due to `crm`. What the CRM refuses (a value it does not take, a rule of the org)
    waits an hour with the reason kept, for an operator to look at, and holds back nothing else."""
    result = RoundResult()
    try:
        for _ in range(rounds):  # bounded, so one busy CRM cannot hold the loop
            due = await store.contacts_due(crm.name, clock.now(), BATCH)
            if not due:
                break
            to_push = [d for d in due if d.push.fields or d.push.external_id is None]
            saved, refused = await push_batch(crm.push_contacts, [d.push for d in to_push],
                                              lambda p: p.customer_id) if to_push else ({}, {})
            if refused:
                await store.contacts_refused(crm.name, refused, clock.now() + REFUSED_WAIT)
                result.errors.append(_refusal(crm, refused, "contacts"))
            await store.contacts_pushed(crm.name, [d for d in due if d.push.customer_id not in refused],
                                        {k: v for k, v in saved.items() if v}, clock.now())
            result.contacts_pushed += len(to_push) - len(refused)
        await store.enqueue_interactions(crm.name, clock.now())
        for _ in range(rounds):
            items = await store.interactions_due(crm.name, clock.now(), BATCH)
            if not items:
                break
            saved, refused = await push_batch(crm.push_interactions, items, lambda i: i.interaction_id)
            for reason in sorted(set(refused.values())):
                await store.push_failed(crm.name, [k for k, v in refused.items() if v == reason], reason[:500],
                                        clock.now() + REFUSED_WAIT)
            if refused:
                result.errors.append(_refusal(crm, refused, "interactions"))
            await store.interactions_pushed(crm.name, list(saved), clock.now())
            result.interactions_pushed += len(saved)
    except CrmUnavailable as error:
        result.retry_after_s = error.retry_after_s
        result.errors.append(str(error))
    return result


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
