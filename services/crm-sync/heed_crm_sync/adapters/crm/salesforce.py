"""Salesforce as an `ExternalCrm`, over the REST API with `httpx.AsyncClient`.

simple-salesforce is not used: it is synchronous on `requests`, and every call would block
crm-sync's event loop (its subscribers, its verification page) for the length of a round trip.

What goes where:
- Contacts are upserted by the external-id field `Heed_Customer_Id__c` (the Heed customer uuid):
  one contact `PATCH /sobjects/Contact/Heed_Customer_Id__c/{uuid}`, several the sObject Collections
  upsert `PATCH /composite/sobjects/Contact/Heed_Customer_Id__c` (≤ 200 records a request,
  `allOrNone: false`, one result per record, API v46.0 and later). Repeating one is an update.
- Interactions are Tasks upserted the same way by `Heed_Interaction_Id__c`, with `WhoId` the
  contact, Status "Completed": a push repeated after a crash updates the Task it created.
- Changes made in Salesforce are polled: `GET /sobjects/Contact/updated/?start=&end=` names the
  contacts changed in a window, a SOQL query by Id reads them, and the poll goes on from the
  `latestDateCovered` Salesforce answers.
- Reconciliation reads every contact with a Heed customer id by SOQL, following `nextRecordsUrl`.

Field mapping (Heed name → Contact field, each configurable in `SalesforceFields`):
email → Email, phone → Phone, display_name → LastName, tier → Heed_Tier__c, owner → OwnerId,
preferences → Heed_Preferences__c, marketing_consent → Heed_Marketing_Consent__c.
- The display name goes whole into LastName: a social handle or "Ana María de la Cruz" has no
  reliable first/last split. Salesforce requires LastName on a Contact, so a customer without a
  name is created with LastName "(social customer)" (`SalesforceFields.no_name`), and that
  placeholder reads back as no name. The placeholder is only sent when Heed does not know the
  contact's id yet (a create, or after a crash the contact Heed itself just created) or when the
  name is cleared: an update never overwrites a name a rep typed with it.
- Marketing consent is a custom field of its own rather than HasOptedOutOfEmail inverted: "not
  opted out" is not consent, and a checkbox cannot say "unknown".

API limits: every response's `Sforce-Limit-Info: api-usage=N/M` is kept (`api_usage`). From
`reserve_share` of the org's daily limit (90 % by default) on, this adapter makes no call for
`hold_s` and raises `CrmUnavailable`: nothing crm-sync does cannot wait, and the rest of the
limit belongs to the org's reps and other integrations. After `hold_s` one call goes through and
brings a fresh reading. Salesforce's own 403 REQUEST_LIMIT_EXCEEDED holds back the same way.

Errors: 5xx, timeouts and dropped connections are retried `attempts` times with doubling backoff
(every call here is an upsert by external id or a read, so a retry never duplicates), then
`CrmUnavailable`. 401 INVALID_SESSION_ID asks `refresh_token` (when given) for a new token once.
Any other 4xx is `CrmRejected` with Salesforce's errorCode, fields and message; the message is
scrubbed of the values sent (Salesforce echoes an invalid email back) and never holds the token.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from heed.runtime.ports import Clock, SystemClock
from heed_crm_sync.ports import (
    SYNC_FIELDS,
    ContactPush,
    CrmRejected,
    CrmUnavailable,
    ExternalContact,
    InteractionPush,
    PartlyRejected,
)

log = logging.getLogger("heed.crm_sync.salesforce")

COLLECTION_MAX = 200  # records per sObject Collections request (documented limit)
IDS_PER_QUERY = 200  # Ids per `WHERE Id IN (...)`: keeps the query URL well under its length limit
# `updated` only answers for the last 30 days; a start older than that is moved up (with a margin
# for the clock's skew), and what changed before it is left to reconciliation (`linked_contacts`).
REPLICATION_WINDOW = timedelta(days=30) - timedelta(minutes=5)
LIMIT_EXCEEDED_RETRY_S = 3600.0
_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")


@dataclass(frozen=True)
class SalesforceFields:
    """The Contact and Task fields Heed reads and writes; defaults match Heed's package of custom fields."""

    customer_id: str = "Heed_Customer_Id__c"  # external id (unique) on Contact
    interaction_id: str = "Heed_Interaction_Id__c"  # external id (unique) on Task
    contact: Mapping[str, str] = field(default_factory=lambda: {
        "email": "Email", "phone": "Phone", "display_name": "LastName", "tier": "Heed_Tier__c",
        "owner": "OwnerId", "preferences": "Heed_Preferences__c", "marketing_consent": "Heed_Marketing_Consent__c",
    })
    no_name: str = "(social customer)"  # LastName of a contact created without a display name
    modified: str = "SystemModstamp"  # what `updated` compares; read back as the change's time

    def __post_init__(self) -> None:
        unknown = set(self.contact) - set(SYNC_FIELDS)
        if unknown:
            raise ValueError(f"Salesforce field map names unknown Heed fields: {', '.join(sorted(unknown))}")


class SalesforceCrm:
    """Salesforce REST (API v46.0 or later) for crm-sync; see the module docstring."""

    name = "salesforce"

    def __init__(self, instance_url: str, access_token: str, *, api_version: str = "v60.0",
                 timeout_s: float = 10.0, attempts: int = 3, backoff_s: float = 0.5,
                 fields: SalesforceFields | None = None,
                 refresh_token: Callable[[], Awaitable[str]] | None = None,
                 reserve_share: float = 0.9, hold_s: float = 600.0, clock: Clock | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not re.fullmatch(r"v\d+\.\d", api_version) or float(api_version[1:]) < 46.0:
            raise ValueError(f"api_version must look like 'v60.0' and be v46.0 or later, not {api_version!r}")
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._base = f"/services/data/{api_version}"
        self._token = access_token
        self._refresh = refresh_token
        self._refreshing = asyncio.Lock()
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._reserve_share = reserve_share
        self._hold_s = hold_s
        self._clock = clock or SystemClock()
        self.fields = fields or SalesforceFields()
        self._to_heed = {sf: heed for heed, sf in self.fields.contact.items()}
        self._usage: tuple[int, int] | None = None
        self._held_until = 0.0  # loop time before which no call is made
        self._client = httpx.AsyncClient(base_url=instance_url.rstrip("/"), timeout=timeout_s, transport=transport,
                                         headers={"Accept": "application/json"})

    @property
    def api_usage(self) -> tuple[int, int] | None:
        """(calls used, daily limit) from the latest `Sforce-Limit-Info`, for metrics; None before any call."""
        return self._usage

    async def aclose(self) -> None:
        await self._client.aclose()

    # ---- outbound ----

    async def push_contacts(self, contacts: Sequence[ContactPush]) -> dict[uuid.UUID, str]:
        """Upsert each customer's Contact by Heed customer id; customer id → Contact id."""
        if len(contacts) == 1:
            push = contacts[0]
            return {push.customer_id: await self._upsert_contact(push)}
        records = {c.customer_id: {self.fields.customer_id: str(c.customer_id), **self._contact_body(c)}
                   for c in contacts}
        return await self._upsert_collection("Contact", self.fields.customer_id, records)

    async def push_interactions(self, items: Sequence[InteractionPush]) -> None:
        """One Task per interaction on its contact, upserted by interaction id."""
        for item in items:
            if not _ID.match(item.external_contact_id):
                raise CrmRejected(f"interaction {item.interaction_id}: contact id is not a Salesforce id")
        if len(items) == 1:
            item = items[0]
            await self._call("PATCH", f"{self._base}/sobjects/Task/{self.fields.interaction_id}/{item.interaction_id}",
                             "Task upsert", json=self._task_body(item))
            return
        records = {i.interaction_id: {self.fields.interaction_id: str(i.interaction_id), **self._task_body(i)}
                   for i in items}
        await self._upsert_collection("Task", self.fields.interaction_id, records)

    def _contact_body(self, push: ContactPush) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for heed_name, value in push.fields.items():
            if heed_name not in self.fields.contact:
                raise CrmRejected(f"customer {push.customer_id}: {heed_name!r} has no Salesforce field")
            body[self.fields.contact[heed_name]] = value
        name_field = self.fields.contact.get("display_name")
        if name_field:
            if name_field in body and not body[name_field]:
                body[name_field] = self.fields.no_name  # LastName cannot be cleared
            elif name_field not in body and push.external_id is None:
                body[name_field] = self.fields.no_name  # required when this upsert creates the contact
        return body

    def _task_body(self, item: InteractionPush) -> dict[str, Any]:
        return {"WhoId": item.external_contact_id, "Subject": item.subject[:255], "Description": item.body[:32000],
                "ActivityDate": item.occurred_at.astimezone(UTC).date().isoformat(), "Status": "Completed"}

    async def _upsert_contact(self, push: ContactPush) -> str:
        path = f"{self._base}/sobjects/Contact/{self.fields.customer_id}/{push.customer_id}"
        response = await self._call("PATCH", path, "Contact upsert", json=self._contact_body(push))
        if response.status_code != 204:
            return str(response.json()["id"])
        # Before API v46.0 an update answered 204 without a body; some orgs still do
        if push.external_id:
            return push.external_id
        found = await self._call("GET", path, "Contact by external id", params={"fields": "Id"})
        return str(found.json()["Id"])

    async def _upsert_collection(self, sobject: str, external_field: str,
                                 records: Mapping[uuid.UUID, dict[str, Any]]) -> dict[uuid.UUID, str]:
        accepted: dict[uuid.UUID, str] = {}
        refused: dict[uuid.UUID, str] = {}
        keys = list(records)
        for start in range(0, len(keys), COLLECTION_MAX):
            chunk = keys[start:start + COLLECTION_MAX]
            body = {"allOrNone": False,
                    "records": [{"attributes": {"type": sobject}, **records[key]} for key in chunk]}
            response = await self._call("PATCH", f"{self._base}/composite/sobjects/{sobject}/{external_field}",
                                        f"{sobject} collection upsert", json=body)
            results = response.json()
            if not isinstance(results, list) or len(results) != len(chunk):
                raise CrmUnavailable(f"Salesforce answered a {sobject} collection upsert with an unexpected body")
            for key, result in zip(chunk, results, strict=True):
                if result.get("success"):
                    accepted[key] = str(result["id"])
                else:
                    refused[key] = ",".join(str(e.get("statusCode") or e.get("errorCode") or "UNKNOWN")
                                            for e in result.get("errors") or []) or "UNKNOWN"
        if refused:
            codes = sorted(set(refused.values()))
            raise PartlyRejected(f"Salesforce refused {len(refused)} of {len(records)} {sobject} records "
                                 f"({'; '.join(codes)}); the others were saved", accepted, refused)
        return accepted

    # ---- inbound ----

    async def changed_contacts(self, since: datetime) -> tuple[list[ExternalContact], datetime]:
        """Contacts Salesforce reports changed from `since` to the last whole minute, and where to go on from."""
        # `updated` ignores seconds and only looks back 30 days; ask only for whole minutes so
        # the window asked is the window answered.
        now = self._clock.now().astimezone(UTC)
        start = max(since.astimezone(UTC), now - REPLICATION_WINDOW).replace(second=0, microsecond=0)
        end = now.replace(second=0, microsecond=0)
        if end <= start:
            return [], since
        response = await self._call("GET", f"{self._base}/sobjects/Contact/updated/", "Contact updated",
                                    params={"start": _iso(start), "end": _iso(end)})
        answer = response.json()
        covered = answer.get("latestDateCovered")
        # latestDateCovered ≤ end: a long transaction still open at `end` moves it back, and the
        # next poll starts there so the records that transaction writes are not skipped
        next_since = _parse_time(covered) if covered else end
        return await self.contacts([str(i) for i in answer.get("ids") or []]), next_since

    async def contacts(self, external_ids: Sequence[str]) -> list[ExternalContact]:
        """The current values of these contacts, by SOQL; ids Salesforce no longer has are left out."""
        ids = list(dict.fromkeys(external_ids))
        for contact_id in ids:
            if not _ID.match(contact_id):
                raise CrmRejected("a contact id is not a Salesforce id (15 or 18 letters and digits)")
        found: list[ExternalContact] = []
        for start in range(0, len(ids), IDS_PER_QUERY):
            quoted = ", ".join(f"'{i}'" for i in ids[start:start + IDS_PER_QUERY])
            async for page in self._query(f"{self._select()} WHERE Id IN ({quoted})"):
                found.extend(page)
        return found

    async def linked_contacts(self) -> AsyncIterator[list[ExternalContact]]:
        """Every contact with a Heed customer id, one query page (up to 2,000) at a time."""
        async for page in self._query(f"{self._select()} WHERE {self.fields.customer_id} != null"):
            yield page

    def _select(self) -> str:
        columns = dict.fromkeys(["Id", self.fields.customer_id, *self.fields.contact.values(), self.fields.modified])
        return f"SELECT {', '.join(columns)} FROM Contact"

    async def _query(self, soql: str) -> AsyncIterator[list[ExternalContact]]:
        response = await self._call("GET", f"{self._base}/query", "query", params={"q": soql})
        while True:
            answer = response.json()
            yield [self._contact(record) for record in answer.get("records") or []]
            next_url = answer.get("nextRecordsUrl")
            if answer.get("done", True) or not next_url:
                return
            response = await self._call("GET", str(next_url), "query more")

    def _contact(self, record: Mapping[str, Any]) -> ExternalContact:
        values: dict[str, str | None] = {}
        for sf_name, heed_name in self._to_heed.items():
            if sf_name in record:
                value = record[sf_name]
                values[heed_name] = None if value is None else str(value)
        if values.get("display_name") == self.fields.no_name:
            values["display_name"] = None
        raw_customer = record.get(self.fields.customer_id)
        try:
            customer_id = uuid.UUID(str(raw_customer)) if raw_customer else None
        except ValueError:
            customer_id = None  # typed by hand in Salesforce: not one of ours
        modified = record.get(self.fields.modified)
        return ExternalContact(external_id=str(record["Id"]), customer_id=customer_id, fields=values,
                               changed_at=_parse_time(modified) if modified else self._clock.now())

    # ---- transport ----

    async def _call(self, method: str, url: str, what: str, *, json: Any = None,
                    params: Mapping[str, str] | None = None) -> httpx.Response:
        """One request with the limit guard, bounded retries and one token refresh; a 2xx or raise."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._held_until:
            raise CrmUnavailable(f"Salesforce {what} held back: {self._usage_text()}",
                                 retry_after_s=self._held_until - loop.time())
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            token = self._token
            try:
                response = await self._client.request(method, url, json=json, params=params,
                                                      headers={"Authorization": f"Bearer {token}"})
            except (httpx.TimeoutException, httpx.TransportError) as error:
                if attempt < self._attempts:
                    await asyncio.sleep(self._backoff_s * 2 ** (attempt - 1))
                    continue
                raise CrmUnavailable(f"Salesforce {what}: no answer after {attempt} attempts "
                                     f"({type(error).__name__})", retry_after_s=30.0) from None
            self._note_usage(response, loop.time())
            status = response.status_code
            if 200 <= status < 300:
                return response
            errors = _errors(response)
            codes = {code for code, _, _ in errors}
            if status == 401:  # INVALID_SESSION_ID: expired or revoked
                if self._refresh is not None and not refreshed:
                    refreshed = True
                    await self._refresh_token(token)
                    continue
                # not the request's fault and nothing was changed: retry once the token is renewed
                raise CrmUnavailable(f"Salesforce {what}: session expired or invalid (401 INVALID_SESSION_ID)",
                                     retry_after_s=300.0)
            if status == 403 and "REQUEST_LIMIT_EXCEEDED" in codes:
                self._held_until = loop.time() + max(self._hold_s, LIMIT_EXCEEDED_RETRY_S)
                raise CrmUnavailable(f"Salesforce {what}: REQUEST_LIMIT_EXCEEDED ({self._usage_text()})",
                                     retry_after_s=max(self._hold_s, LIMIT_EXCEEDED_RETRY_S))
            if status >= 500:
                if attempt < self._attempts:
                    await asyncio.sleep(self._backoff_s * 2 ** (attempt - 1))
                    continue
                raise CrmUnavailable(f"Salesforce {what}: {status} after {attempt} attempts", retry_after_s=30.0)
            raise CrmRejected(f"Salesforce refused {what} ({status}): "
                              + self._describe(errors, token, _sent_values(json)))

    async def _refresh_token(self, stale: str) -> None:
        assert self._refresh is not None
        async with self._refreshing:
            if self._token == stale:  # another request may have renewed it meanwhile
                self._token = await self._refresh()

    def _note_usage(self, response: httpx.Response, now: float) -> None:
        match = _LIMIT_INFO.search(response.headers.get("Sforce-Limit-Info", ""))
        if not match:
            return
        used, limit = int(match[1]), int(match[2])
        self._usage = (used, limit)
        if limit and used >= self._reserve_share * limit:
            self._held_until = max(self._held_until, now + self._hold_s)
            log.warning("Salesforce API usage %d/%d reached %.0f%% of the daily limit: holding calls for %.0f s",
                        used, limit, self._reserve_share * 100, self._hold_s)

    def _usage_text(self) -> str:
        if self._usage is None:
            return "daily API limit reached"
        used, limit = self._usage
        return f"API usage {used}/{limit}, reserve from {self._reserve_share:.0%}"

    @staticmethod
    def _describe(errors: list[tuple[str, str, list[str]]], token: str, sent: Iterable[str]) -> str:
        if not errors:
            return "no error detail"
        secrets = sorted({token, *sent}, key=len, reverse=True)
        parts = []
        for code, message, fields in errors:
            for secret in secrets:
                if len(secret) >= 3:
                    message = message.replace(secret, "[redacted]")
            parts.append(f"{code}{' on ' + ', '.join(fields) if fields else ''}: {message}")
        return "; ".join(parts)


def _errors(response: httpx.Response) -> list[tuple[str, str, list[str]]]:
    """Salesforce's error array `[{"errorCode", "message", "fields"}]` as (code, message, fields)."""
    try:
        body = response.json()
    except ValueError:
        return []
    items = body if isinstance(body, list) else [body] if isinstance(body, dict) else []
    return [(str(i.get("errorCode") or "UNKNOWN"), str(i.get("message") or ""),
             [str(f) for f in i.get("fields") or []]) for i in items if isinstance(i, dict)]


def _sent_values(body: Any) -> list[str]:
    """Every string value in a request body: what an error message must not echo."""
    if isinstance(body, str):
        return [body]
    if isinstance(body, Mapping):
        return [v for value in body.values() for v in _sent_values(value)]
    if isinstance(body, list):
        return [v for value in body for v in _sent_values(value)]
    return []


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse_time(value: str) -> datetime:
    """Salesforce's dateTime ("2024-05-08T21:20:00.000+0000") as an aware datetime."""
    return datetime.fromisoformat(value).astimezone(UTC)
