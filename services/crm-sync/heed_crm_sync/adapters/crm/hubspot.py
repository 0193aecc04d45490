"""HubSpot CRM v3 as an `ExternalCrm`, over `httpx.AsyncClient` with a private-app bearer token.

HubSpot's official `hubspot-api-client` is generated synchronous code over urllib3: every call would
block crm-sync's event loop, so this adapter speaks the documented REST API itself.

- Contacts are upserted in batches of 100 (`/crm/v3/objects/contacts/batch/upsert`) keyed by the unique
  custom contact property `heed_customer_id`, so a push repeated after a crash updates the same contact.
- Interactions are notes upserted by the unique custom note property `heed_interaction_id`
  (`/crm/v3/objects/notes/batch/upsert`; its inputs take no associations), then associated to the contact
  with `/crm/v4/associations/notes/contacts/batch/create`, which leaves an existing association as it is:
  a repeated push updates the one note and its one association.
- Reads: `/crm/v3/objects/contacts/batch/read`, and `/crm/v3/objects/contacts/search` (filterGroups,
  `after` paging, 100 a page) for linked contacts and for changes since a time (`lastmodifieddate`).

Every request here is safe to repeat, so a timeout, a 5xx or a 429 is retried (a bounded number of
attempts; a 429 after the wait HubSpot's headers name); when attempts run out the call raises
CrmUnavailable. Any other 4xx raises CrmRejected, whose message carries the status, HubSpot's error
category and correlation id and the names of our properties it mentions, never the token or a value.

Heed field → HubSpot contact property (configurable): email→email, phone→phone, display_name→firstname
(HubSpot has no full-name property; Heed's display name is one string, kept whole in firstname),
tier→heed_tier, owner→hubspot_owner_id, preferences→heed_preferences,
marketing_consent→heed_marketing_consent. The heed_* properties are custom and must exist in the portal.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from heed_crm_sync.domain.hubspot_webhooks import customer_id_in
from heed_crm_sync.ports import (
    SYNC_FIELDS,
    ContactPush,
    CrmRejected,
    CrmUnavailable,
    ExternalContact,
    InteractionPush,
)

# httpx logs each request's URL at INFO and httpcore its headers (the bearer token) at DEBUG
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

DEFAULT_PROPERTIES: Mapping[str, str] = {
    "email": "email", "phone": "phone", "display_name": "firstname", "tier": "heed_tier",
    "owner": "hubspot_owner_id", "preferences": "heed_preferences", "marketing_consent": "heed_marketing_consent",
}
CUSTOMER_ID_PROPERTY = "heed_customer_id"
INTERACTION_ID_PROPERTY = "heed_interaction_id"
MODIFIED_PROPERTY = "lastmodifieddate"  # HubSpot's own: when any property of the contact last changed
BATCH_LIMIT = 100  # inputs per batch call and results per search page, HubSpot's maximum for both
SEARCH_WINDOW = 10_000  # HubSpot's search answers at most this many results for one query, however paged
# HubSpot's default association types: 202 is note → contact (HUBSPOT_DEFINED), as in its notes guide
NOTE_TO_CONTACT = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}

T = TypeVar("T")


class HubSpotCrm:
    """ExternalCrm over HubSpot's CRM v3 REST API."""

    name = "hubspot"

    def __init__(self, base_url: str, token: str, *, timeout_s: float = 10.0, attempts: int = 4,
                 properties: Mapping[str, str] | None = None, customer_id_property: str = CUSTOMER_ID_PROPERTY,
                 interaction_id_property: str = INTERACTION_ID_PROPERTY, backoff_s: float = 0.5,
                 max_wait_s: float = 30.0) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        mapping = dict(DEFAULT_PROPERTIES if properties is None else properties)
        unknown = set(mapping) - set(SYNC_FIELDS)
        if unknown:
            raise ValueError(f"not Heed sync fields: {', '.join(sorted(unknown))}")
        self.properties = mapping
        self.customer_id_property = customer_id_property
        self.interaction_id_property = interaction_id_property
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self._token = token
        self._field_of = {prop: field for field, prop in mapping.items()}
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout_s,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})

    # ---- ExternalCrm ----

    async def push_contacts(self, contacts: Sequence[ContactPush]) -> dict[uuid.UUID, str]:
        merged: dict[uuid.UUID, dict[str, str | None]] = {}
        for push in contacts:  # one input per contact: HubSpot refuses a batch naming an id twice
            merged.setdefault(push.customer_id, {}).update(push.fields)
        ids: dict[uuid.UUID, str] = {}
        for chunk in _chunks(list(merged.items()), BATCH_LIMIT):
            properties = [{**self._to_properties(fields), self.customer_id_property: str(customer_id)}
                          for customer_id, fields in chunk]
            inputs = [{"idProperty": self.customer_id_property, "id": str(customer_id), "properties": props}
                      for (customer_id, _), props in zip(chunk, properties, strict=True)]
            try:
                answer = await self._post("/crm/v3/objects/contacts/batch/upsert", {"inputs": inputs},
                                          "upserting contacts")
            except ContactExists as clash:
                if len(chunk) != 1:
                    raise  # the caller pushes a refused batch again one contact at a time
                answer = await self._link_existing(chunk[0][0], properties[0], clash)
            results = _results(answer)
            for position, result in enumerate(results):
                customer_id = customer_id_in(result.get("properties", {}).get(self.customer_id_property))
                if customer_id is None and len(results) == len(chunk):
                    customer_id = chunk[position][0]  # the id property was not echoed: inputs' order
                if customer_id is not None:
                    ids[customer_id] = str(result["id"])
        return ids

    async def _link_existing(self, customer_id: uuid.UUID, properties: dict[str, str],
                             clash: ContactExists) -> dict[str, Any]:
        """A contact with this customer's email already exists in HubSpot (made there, by a form or a
        person): HubSpot refuses a second one (409, "Existing ID"). When that contact carries no Heed id, or
        this customer's, it is this customer's record: it gets the Heed id and the fields, upserted by
        email, so both systems share one record. A contact linked to another Heed customer stays refused."""
        email = properties.get(self.properties.get("email", "email"))
        found = await self.contacts([clash.existing_id])
        if not email or not found or found[0].customer_id not in (None, customer_id):
            raise clash
        return await self._post("/crm/v3/objects/contacts/batch/upsert",
                                {"inputs": [{"idProperty": "email", "id": email, "properties": properties}]},
                                "linking the existing contact with this email")

    async def push_interactions(self, items: Sequence[InteractionPush]) -> None:
        latest = {item.interaction_id: item for item in items}
        for chunk in _chunks(list(latest.values()), BATCH_LIMIT):
            inputs = [{"idProperty": self.interaction_id_property, "id": str(item.interaction_id),
                       "properties": {
                           self.interaction_id_property: str(item.interaction_id),
                           "hs_timestamp": _iso(item.occurred_at),
                           "hs_note_body": f"{item.subject}\n\n{item.body}" if item.body else item.subject,
                       }} for item in chunk]
            answer = await self._post("/crm/v3/objects/notes/batch/upsert", {"inputs": inputs}, "upserting notes")
            note_of: dict[str, str] = {}
            for result in _results(answer):
                interaction = result.get("properties", {}).get(self.interaction_id_property)
                if interaction:
                    note_of[str(interaction)] = str(result["id"])
            missing = [item for item in chunk if str(item.interaction_id) not in note_of]
            if missing:
                raise CrmUnavailable(f"HubSpot did not answer for {len(missing)} of {len(chunk)} notes")
            links = [{"from": {"id": note_of[str(item.interaction_id)]}, "to": {"id": item.external_contact_id},
                      "types": [NOTE_TO_CONTACT]} for item in chunk]
            await self._post("/crm/v4/associations/notes/contacts/batch/create", {"inputs": links},
                             "associating notes with contacts")

    async def changed_contacts(self, since: datetime) -> tuple[list[ExternalContact], datetime]:
        """Contacts whose `lastmodifieddate` is at or after `since`, oldest first, and the newest such
        time seen (or `since`). One query answers at most 10,000: the rest come on the next call."""
        newest = since
        changes: list[ExternalContact] = []
        body = {"filterGroups": [{"filters": [
                    {"propertyName": MODIFIED_PROPERTY, "operator": "GTE", "value": str(_epoch_ms(since))}]}],
                "sorts": [{"propertyName": MODIFIED_PROPERTY, "direction": "ASCENDING"}]}
        async for page in self._search(body, "searching changed contacts"):
            for contact in page:
                changes.append(contact)
                newest = max(newest, contact.changed_at)
        return changes, newest

    async def contacts(self, external_ids: Sequence[str]) -> list[ExternalContact]:
        found: list[ExternalContact] = []
        for chunk in _chunks(list(dict.fromkeys(external_ids)), BATCH_LIMIT):
            answer = await self._post("/crm/v3/objects/contacts/batch/read",
                                      {"inputs": [{"id": contact_id} for contact_id in chunk],
                                       "properties": self._read_properties()}, "reading contacts")
            found.extend(self._contact(result) for result in _results(answer))  # unknown ids are left out
        return found

    async def linked_contacts(self) -> AsyncIterator[list[ExternalContact]]:
        # search pages end at 10,000 results: start again after the highest object id seen so far
        last_id = 0
        while True:
            filters: list[dict[str, str]] = [{"propertyName": self.customer_id_property, "operator": "HAS_PROPERTY"}]
            if last_id:
                filters.append({"propertyName": "hs_object_id", "operator": "GT", "value": str(last_id)})
            body = {"filterGroups": [{"filters": filters}],
                    "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]}
            seen = 0
            async for page in self._search(body, "searching linked contacts"):
                seen += len(page)
                last_id = max([last_id, *(int(contact.external_id) for contact in page)])
                yield page
            if seen < SEARCH_WINDOW:
                return

    async def aclose(self) -> None:
        await self._client.aclose()

    # ---- HubSpot's shapes ----

    def _to_properties(self, fields: Mapping[str, str | None]) -> dict[str, str]:
        # HubSpot clears a property given an empty string
        return {self.properties[field]: value or "" for field, value in fields.items() if field in self.properties}

    def _read_properties(self) -> list[str]:
        return [*self.properties.values(), self.customer_id_property, MODIFIED_PROPERTY]

    def _contact(self, result: Mapping[str, Any]) -> ExternalContact:
        props = result.get("properties") or {}
        fields = {self._field_of[prop]: (value or None) for prop, value in props.items() if prop in self._field_of}
        changed = _parse_time(props.get(MODIFIED_PROPERTY)) or _parse_time(result.get("updatedAt"))
        return ExternalContact(external_id=str(result["id"]), customer_id=customer_id_in(props.get(
            self.customer_id_property)), fields=fields, changed_at=changed or datetime.now(UTC))

    async def _search(self, body: dict[str, Any], doing: str) -> AsyncIterator[list[ExternalContact]]:
        after: str | None = None
        while True:
            page_body = {**body, "properties": self._read_properties(), "limit": BATCH_LIMIT,
                         **({"after": after} if after else {})}
            answer = await self._post("/crm/v3/objects/contacts/search", page_body, doing)
            page = [self._contact(result) for result in _results(answer)]
            if page:
                yield page
            after = str(((answer.get("paging") or {}).get("next") or {}).get("after") or "") or None
            if after is None or not page or (after.isdigit() and int(after) >= SEARCH_WINDOW):
                return

    # ---- HTTP ----

    async def _post(self, path: str, body: dict[str, Any], doing: str) -> dict[str, Any]:
        """POST with bounded retries; the JSON answer of a 2xx."""
        for attempt in range(1, self.attempts + 1):
            last = attempt == self.attempts
            try:
                response = await self._client.post(path, json=body)
            except httpx.TimeoutException:
                if last:
                    raise CrmUnavailable(f"HubSpot did not answer in time while {doing}") from None
                await asyncio.sleep(self._backoff(attempt))
                continue
            except httpx.TransportError as error:
                if last:
                    raise CrmUnavailable(f"HubSpot could not be reached while {doing} "
                                         f"({type(error).__name__})") from None
                await asyncio.sleep(self._backoff(attempt))
                continue
            status = response.status_code
            if status < 300:
                answer = response.json()
                return answer if isinstance(answer, dict) else {}
            if status == 429:
                wait = _rate_limit_wait(response) or self._backoff(attempt)
                if last or wait > self.max_wait_s:
                    raise CrmUnavailable(f"HubSpot's rate limit was reached while {doing}", retry_after_s=wait)
                await asyncio.sleep(wait)
                continue
            if status >= 500:
                if last:
                    raise CrmUnavailable(f"HubSpot answered {status} while {doing}",
                                         retry_after_s=max(10.0, self._backoff(attempt)))
                await asyncio.sleep(self._backoff(attempt))
                continue
            existing = _existing_id(response) if status == 409 else None
            if existing is not None:
                raise ContactExists(self._reason(response, body, doing), existing)
            raise CrmRejected(self._reason(response, body, doing))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _backoff(self, attempt: int) -> float:
        return float(min(self.backoff_s * 2 ** (attempt - 1), self.max_wait_s))

    def _reason(self, response: httpx.Response, body: Mapping[str, Any], doing: str) -> str:
        """Why HubSpot refused, from its error JSON: status, category and correlation id, and the names of
        the properties we sent that its message mentions. Its message itself may quote the values sent
        (an invalid email, a phone), so it is not repeated."""
        try:
            error = response.json()
        except ValueError:
            error = {}
        if not isinstance(error, dict):
            error = {}
        parts = [f"HubSpot refused {doing}: HTTP {response.status_code}"]
        category = error.get("category") or error.get("errorType")
        if isinstance(category, str):
            parts.append(f"category {category}")
        message = str(error.get("message") or "") + " " + " ".join(
            str(item.get("message", "")) + str(item.get("in", "")) for item in error.get("errors") or []
            if isinstance(item, dict))
        named = sorted(prop for prop in _sent_properties(body)
                       if prop and re.search(rf"(?<![\w-]){re.escape(prop)}(?![\w-])", message))
        if named:
            parts.append(f"about {', '.join(named)}")
        if response.status_code in (401, 403):
            parts.append("check the private app's token and its crm.objects scopes")
        correlation = error.get("correlationId")
        if isinstance(correlation, str):
            parts.append(f"correlationId {correlation}")
        return "; ".join(parts).replace(self._token, "<token>") if self._token else "; ".join(parts)


class ContactExists(CrmRejected):
    """HubSpot refused to create a contact because one with the same unique value (the email) exists."""

    def __init__(self, message: str, existing_id: str) -> None:
        super().__init__(message)
        self.existing_id = existing_id


_EXISTING_ID = re.compile(r"Existing ID: ?(\d+)")


def _existing_id(response: httpx.Response) -> str | None:
    """The id in HubSpot's 409 CONFLICT message ("Contact already exists. Existing ID: 123"), if it names one."""
    try:
        error = response.json()
    except ValueError:
        return None
    if not isinstance(error, dict) or error.get("category") != "CONFLICT":
        return None
    found = _EXISTING_ID.search(str(error.get("message") or ""))
    return found.group(1) if found else None


def _sent_properties(body: Mapping[str, Any]) -> set[str]:
    names: set[str] = set(body.get("properties") or [])
    for item in body.get("inputs") or []:
        if isinstance(item, dict):
            names.update(item.get("properties") or {})
            if isinstance(item.get("idProperty"), str):
                names.add(item["idProperty"])
    for group in body.get("filterGroups") or []:
        names.update(f.get("propertyName", "") for f in group.get("filters") or [])
    return names


def _rate_limit_wait(response: httpx.Response) -> float | None:
    """Seconds to wait before the next request, as HubSpot's 429 names it: `Retry-After` when given,
    else the rolling window (`X-HubSpot-RateLimit-Interval-Milliseconds`) when nothing remains in it."""
    headers = response.headers
    try:
        if "retry-after" in headers:
            return max(0.0, float(headers["retry-after"]))
        interval = headers.get("x-hubspot-ratelimit-interval-milliseconds")
        remaining = headers.get("x-hubspot-ratelimit-remaining", "0")
        if interval is not None and int(remaining) <= 0:
            return int(interval) / 1000
    except ValueError:
        return None
    return None


def _results(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    results = answer.get("results")
    return [r for r in results if isinstance(r, dict) and "id" in r] if isinstance(results, list) else []


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_time(value: Any) -> datetime | None:
    """HubSpot's datetimes: ISO 8601 (`2024-01-15T10:30:00.000Z`) or epoch milliseconds."""
    if not isinstance(value, str) or not value:
        return None
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value) / 1000, UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
