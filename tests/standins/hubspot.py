"""HubSpot CRM v3 stand-in: contacts and notes upserted by a unique property, batch read, search with
filterGroups and `after` paging, note → contact associations (v4), HubSpot's error bodies, the rolling
10-second rate limit with its X-HubSpot-RateLimit-* headers, scripted 5xx, and signed webhooks.

It counts every request by endpoint (`requests`) and every effect (`counts`: contacts created and
updated, notes created and updated, associations created, requests rate-limited, refused, failed), and
every API write of each property (`property_writes`, and `property_changes` for the writes that changed
the value), so a test can prove "appears once" and "written back zero times".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "pat-na1-00000000-0000-4000-8000-standin00001"
PORTAL_ID = 62515
OBJECT_TYPE_IDS = {"contacts": "0-1", "notes": "0-46"}
# what each object knows; a property outside these is refused as HubSpot refuses a missing property
PROPERTIES = {
    "contacts": {"email", "phone", "firstname", "lastname", "hubspot_owner_id", "heed_customer_id", "heed_tier",
                 "heed_preferences", "heed_marketing_consent", "hs_object_id", "createdate", "lastmodifieddate"},
    "notes": {"hs_timestamp", "hs_note_body", "hubspot_owner_id", "heed_interaction_id", "hs_object_id",
              "hs_createdate", "hs_lastmodifieddate"},
}
UNIQUE = {"contacts": {"heed_customer_id", "email"}, "notes": {"heed_interaction_id"}}
READ_ONLY = {"hs_object_id", "createdate", "lastmodifieddate", "hs_createdate", "hs_lastmodifieddate"}
MODIFIED = {"contacts": "lastmodifieddate", "notes": "hs_lastmodifieddate"}
CREATED = {"contacts": "createdate", "notes": "hs_createdate"}
DATE_PROPERTIES = {"createdate", "lastmodifieddate", "hs_createdate", "hs_lastmodifieddate", "hs_timestamp"}
NOTE_TO_CONTACT = 202
BATCH_MAX = 100
SEARCH_PAGE_MAX = 200
SEARCH_WINDOW = 10_000


class Refusal(Exception):
    def __init__(self, status: int, message: str, category: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.category, self.extra = status, message, category, extra


@dataclass(frozen=True)
class SignedWebhook:
    """A webhook delivery as HubSpot sends it: POST `body` to `url` with `headers`."""

    url: str
    body: bytes
    headers: dict[str, str]


class HubSpotStandIn:
    def __init__(self, token: str = TOKEN, max_per_window: int = 100, window_ms: int = 10_000) -> None:
        self.token = token
        self._defaults = (max_per_window, window_ms)
        self._ids = itertools.count(1001)
        self._events = itertools.count(1)
        self.reset()

    def reset(self) -> None:
        self.objects: dict[str, dict[str, dict[str, str | None]]] = {"contacts": {}, "notes": {}}
        self.associations: set[tuple[str, str, int]] = set()  # (note id, contact id, association type id)
        self.requests: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.property_writes: Counter[str] = Counter()  # "contacts.heed_tier" → API writes of it
        self.property_changes: Counter[str] = Counter()  # … of those, the ones that changed the value
        self.max_per_window, self.window_ms = self._defaults
        self._recent: deque[float] = deque()
        self._failures: list[int] = []
        self._last_ms = 0

    # ---- the test's script ----

    def limit(self, max_per_window: int, window_ms: int = 10_000) -> None:
        """HubSpot's rolling rate limit: at most `max_per_window` requests in any `window_ms`."""
        self.max_per_window, self.window_ms = max_per_window, window_ms

    def fail(self, requests: int = 1, status: int = 502) -> None:
        """Answer the next `requests` authenticated requests with this 5xx."""
        self._failures.extend([status] * requests)

    def add_contact(self, properties: dict[str, str | None]) -> str:
        """A contact created in HubSpot itself (by a sales rep or an import), not through the API."""
        contact_id = self._create("contacts", {})
        self.objects["contacts"][contact_id].update(properties)
        return contact_id

    def set_property(self, contact_id: str, prop: str, value: str | None) -> dict[str, Any]:
        """Change a contact as a sales rep does in HubSpot's UI; the webhook event HubSpot sends for it."""
        contact = self.objects["contacts"][contact_id]
        contact[prop] = value
        occurred = self._now_ms()
        contact["lastmodifieddate"] = _iso(occurred)
        return {"eventId": next(self._events), "subscriptionId": 1, "portalId": PORTAL_ID, "appId": 1,
                "occurredAt": occurred, "subscriptionType": "contact.propertyChange", "attemptNumber": 0,
                "objectId": int(contact_id), "propertyName": prop, "propertyValue": value or "",
                "changeSource": "CRM_UI", "sourceId": "userId:1"}

    def signed_webhook(self, target_url_path: str, events: list[dict[str, Any]], client_secret: str,
                       timestamp_ms: int | None = None) -> SignedWebhook:
        """The delivery of `events` to crm-sync. HubSpot signs the full URL it calls, so pass the URL as
        crm-sync's endpoint sees it (`http://127.0.0.1:PORT/…`); a bare path is signed as given."""
        body = json.dumps(events).encode()
        timestamp = str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)
        # HubSpot decodes these percent-encodings in the URI before signing
        uri = re.sub(r"%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)",
                     lambda m: bytes.fromhex(m.group(1)).decode(), target_url_path, flags=re.IGNORECASE)
        source = b"POST" + uri.encode() + body + timestamp.encode()
        signature = base64.b64encode(hmac.new(client_secret.encode(), source, hashlib.sha256).digest()).decode()
        return SignedWebhook(target_url_path, body, {
            "Content-Type": "application/json", "X-HubSpot-Signature-v3": signature,
            "X-HubSpot-Request-Timestamp": timestamp, "X-HubSpot-Signature-Version": "v3"})

    # ---- what tests read ----

    def contact_of(self, customer_id: uuid.UUID | str) -> tuple[str, dict[str, str | None]] | None:
        for contact_id, props in self.objects["contacts"].items():
            if props.get("heed_customer_id") == str(customer_id):
                return contact_id, props
        return None

    def notes_on(self, contact_id: str) -> list[dict[str, str | None]]:
        return [self.objects["notes"][note] for note, contact, _ in sorted(self.associations) if contact == contact_id]

    # ---- routes ----

    def routes(self) -> list[Route]:
        return [
            Route("/crm/v3/objects/{object_type}/batch/upsert", self.batch_upsert, methods=["POST"]),
            Route("/crm/v3/objects/{object_type}/batch/read", self.batch_read, methods=["POST"]),
            Route("/crm/v3/objects/{object_type}/search", self.search, methods=["POST"]),
            Route("/crm/v4/associations/{from_type}/{to_type}/batch/create", self.associate, methods=["POST"]),
        ]

    async def batch_upsert(self, request: Request) -> Response:
        return await self._serve(request, "POST /crm/v3/objects/:type/batch/upsert", self._upsert)

    async def batch_read(self, request: Request) -> Response:
        return await self._serve(request, "POST /crm/v3/objects/:type/batch/read", self._read)

    async def search(self, request: Request) -> Response:
        return await self._serve(request, "POST /crm/v3/objects/:type/search", self._search)

    async def associate(self, request: Request) -> Response:
        return await self._serve(request, "POST /crm/v4/associations/:from/:to/batch/create", self._associate)

    async def _serve(self, request: Request, endpoint: str, handle: Any) -> Response:
        self.requests[endpoint] += 1
        if request.headers.get("authorization", "") != f"Bearer {self.token}":
            self.counts["unauthorized"] += 1
            return self._error(401, "Authentication credentials not found. This API supports OAuth 2.0 "
                                    "authentication and you can find more details at "
                                    "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                               "INVALID_AUTHENTICATION")
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= self.window_ms / 1000:
            self._recent.popleft()
        if len(self._recent) >= self.max_per_window:
            self.counts["rate limited"] += 1
            return JSONResponse({"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                                 "errorType": "RATE_LIMIT", "correlationId": str(uuid.uuid4()),
                                 "policyName": "TEN_SECONDLY_ROLLING"}, status_code=429, headers=self._limits(0))
        self._recent.append(now)
        remaining = self.max_per_window - len(self._recent)
        if self._failures:
            self.counts["failed"] += 1
            return self._error(self._failures.pop(0), "internal error", "INTERNAL_ERROR", remaining)
        try:
            body = await request.json()
        except ValueError:
            return self._error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR", remaining)
        try:
            if not isinstance(body, dict):
                raise Refusal(400, "Invalid input JSON: expected an object", "VALIDATION_ERROR")
            status, answer = handle(request.path_params, body)
        except Refusal as refusal:
            return self._error(refusal.status, refusal.message, refusal.category, remaining, **refusal.extra)
        return JSONResponse(answer, status_code=status, headers=self._limits(remaining))

    # ---- HubSpot's behaviour ----

    def _upsert(self, params: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        object_type = self._object_type(params["object_type"])
        inputs = self._inputs(body)
        keys: set[tuple[str, str]] = set()
        for item in inputs:  # validate the whole batch before writing any of it, as HubSpot does
            id_property, key = item.get("idProperty"), item.get("id")
            if id_property not in UNIQUE[object_type] or not isinstance(key, str) or not key:
                raise Refusal(400, "idProperty must name a unique property and id its value", "VALIDATION_ERROR")
            if (id_property, key) in keys:
                raise Refusal(400, "Duplicate IDs found in batch input", "VALIDATION_ERROR")
            keys.add((id_property, key))
            props = item.get("properties") or {}
            self._validate(object_type, props)
            email = props.get("email") if object_type == "contacts" else None
            if email and self._find(object_type, id_property, key) is None:
                clash = self._find("contacts", "email", email)
                if clash is not None:
                    raise Refusal(409, f"Contact already exists. Existing ID: {clash}", "CONFLICT")
        results = []
        for item in inputs:
            id_property, key, props = item["idProperty"], item["id"], dict(item.get("properties") or {})
            props[id_property] = key
            found = self._find(object_type, id_property, key)
            created = found is None
            object_id = self._create(object_type, props) if found is None else found
            self._write(object_type, object_id, props)
            self.counts[f"{object_type} {'created' if created else 'updated'}"] += 1
            results.append({**self._shape(object_type, object_id, list(props)), "new": created})
        return 200, _batch(results)

    def _read(self, params: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        object_type = self._object_type(params["object_type"])
        id_property = body.get("idProperty") or "hs_object_id"
        wanted = [p for p in body.get("properties") or [] if isinstance(p, str)]
        results, missing = [], []
        for item in self._inputs(body):
            key = str(item.get("id", ""))
            object_id = key if id_property == "hs_object_id" else self._find(object_type, id_property, key)
            if object_id in self.objects[object_type]:
                results.append(self._shape(object_type, object_id, wanted))
            else:
                missing.append(key)
        if not missing:
            return 200, _batch(results)
        error = {"status": "error", "category": "OBJECT_NOT_FOUND", "context": {"ids": missing},
                 "message": f"Could not get some {object_type.upper().rstrip('S')} objects, they may be deleted "
                            "or not exist. Check that ids are valid."}
        return 207, {**_batch(results), "numErrors": len(missing), "errors": [error]}

    def _search(self, params: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        object_type = self._object_type(params["object_type"])
        limit = body.get("limit", 10)
        after = int(body.get("after") or 0)
        if not isinstance(limit, int) or not 0 < limit <= SEARCH_PAGE_MAX:
            raise Refusal(400, f"limit must be between 1 and {SEARCH_PAGE_MAX}", "VALIDATION_ERROR")
        if after + limit > SEARCH_WINDOW:
            raise Refusal(400, "The search API cannot page past 10000 results", "VALIDATION_ERROR")
        groups = body.get("filterGroups") or []
        matches = [object_id for object_id, props in self.objects[object_type].items()
                   if not groups or any(all(_matches(props, f) for f in group.get("filters") or [])
                                        for group in groups)]
        for sort in (body.get("sorts") or [])[:1]:
            prop, descending = sort.get("propertyName"), sort.get("direction") == "DESCENDING"
            matches.sort(key=lambda i: _ordered(prop, self.objects[object_type][i].get(prop)), reverse=descending)
        if not body.get("sorts"):
            matches.sort(key=int)
        page = matches[after:after + limit]
        wanted = [p for p in body.get("properties") or [] if isinstance(p, str)]
        answer: dict[str, Any] = {"total": len(matches),
                                  "results": [self._shape(object_type, i, wanted) for i in page]}
        if after + limit < len(matches):
            answer["paging"] = {"next": {"after": str(after + limit), "link": None}}
        return 200, answer

    def _associate(self, params: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if (params["from_type"], params["to_type"]) != ("notes", "contacts"):
            raise Refusal(400, "Only notes to contacts are served by this stand-in", "VALIDATION_ERROR")
        links = []
        for item in self._inputs(body):
            note, contact = str((item.get("from") or {}).get("id")), str((item.get("to") or {}).get("id"))
            types = item.get("types") or []
            if note not in self.objects["notes"] or contact not in self.objects["contacts"]:
                raise Refusal(400, "One or more objects in the association do not exist", "VALIDATION_ERROR")
            if not types or any(t.get("associationCategory") != "HUBSPOT_DEFINED"
                                or t.get("associationTypeId") != NOTE_TO_CONTACT for t in types):
                raise Refusal(400, "The association type is not valid from notes to contacts", "VALIDATION_ERROR")
            links.append((note, contact, NOTE_TO_CONTACT))
        results = []
        for link in links:
            if link not in self.associations:
                self.associations.add(link)
                self.counts["associations created"] += 1
            results.append({"fromObjectTypeId": OBJECT_TYPE_IDS["notes"], "fromObjectId": int(link[0]),
                            "toObjectTypeId": OBJECT_TYPE_IDS["contacts"], "toObjectId": int(link[1]),
                            "labels": []})
        return 201, _batch(results)

    # ---- the store ----

    def _object_type(self, name: str) -> str:
        if name not in self.objects:
            raise Refusal(400, f"Unable to infer object type from: {name}", "VALIDATION_ERROR")
        return name

    def _inputs(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
            raise Refusal(400, "Invalid input JSON: inputs must be an array of objects", "VALIDATION_ERROR")
        if len(inputs) > BATCH_MAX:
            raise Refusal(400, f"Batch input cannot be larger than {BATCH_MAX}", "VALIDATION_ERROR")
        return inputs

    def _validate(self, object_type: str, props: dict[str, Any]) -> None:
        problems = []
        for prop, value in props.items():
            if prop not in PROPERTIES[object_type]:
                problems.append({"isValid": False, "message": f'Property "{prop}" does not exist',
                                 "error": "PROPERTY_DOESNT_EXIST", "name": prop})
            elif prop in READ_ONLY:
                problems.append({"isValid": False, "message": f'"{prop}" is a read only property; its value '
                                 "cannot be set.", "error": "READ_ONLY_VALUE", "name": prop})
            elif prop == "email" and value and "@" not in str(value):
                # HubSpot quotes the value it refused: the adapter must not pass it on
                problems.append({"isValid": False, "message": f"Email address {value} is invalid",
                                 "error": "INVALID_EMAIL", "name": prop})
        if problems:
            raise Refusal(400, f"Property values were not valid: {json.dumps(problems)}", "VALIDATION_ERROR")

    def _find(self, object_type: str, prop: str, value: str) -> str | None:
        for object_id, props in self.objects[object_type].items():
            if props.get(prop) == value:
                return object_id
        return None

    def _create(self, object_type: str, props: dict[str, Any]) -> str:
        object_id = str(next(self._ids))
        stamp = _iso(self._now_ms())
        self.objects[object_type][object_id] = {"hs_object_id": object_id, CREATED[object_type]: stamp,
                                                MODIFIED[object_type]: stamp}
        return object_id

    def _write(self, object_type: str, object_id: str, props: dict[str, Any]) -> None:
        stored = self.objects[object_type][object_id]
        changed = False
        for prop, value in props.items():
            value = None if value in ("", None) else str(value)
            self.property_writes[f"{object_type}.{prop}"] += 1
            if stored.get(prop) != value:
                self.property_changes[f"{object_type}.{prop}"] += 1
                stored[prop] = value
                changed = True
        if changed:
            stored[MODIFIED[object_type]] = _iso(self._now_ms())

    def _shape(self, object_type: str, object_id: str, wanted: list[str]) -> dict[str, Any]:
        props = self.objects[object_type][object_id]
        shown = dict.fromkeys(["hs_object_id", CREATED[object_type], MODIFIED[object_type], *wanted])
        return {"id": object_id, "properties": {p: props.get(p) for p in shown}, "archived": False,
                "createdAt": props[CREATED[object_type]], "updatedAt": props[MODIFIED[object_type]]}

    def last_stamp(self) -> datetime:
        """The newest modification time handed out: ahead of the wall clock after a burst of writes."""
        return datetime.fromtimestamp(self._last_ms / 1000, UTC)

    def _now_ms(self) -> int:
        # strictly increasing, so "changed since" is never ambiguous within one test
        self._last_ms = max(int(time.time() * 1000), self._last_ms + 1)
        return self._last_ms

    def _limits(self, remaining: int) -> dict[str, str]:
        return {"X-HubSpot-RateLimit-Interval-Milliseconds": str(self.window_ms),
                "X-HubSpot-RateLimit-Max": str(self.max_per_window),
                "X-HubSpot-RateLimit-Remaining": str(max(0, remaining))}

    def _error(self, status: int, message: str, category: str, remaining: int | None = None,
               **extra: Any) -> JSONResponse:
        body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category,
                **extra}
        return JSONResponse(body, status_code=status,
                            headers=self._limits(remaining) if remaining is not None else None)


def _batch(results: list[dict[str, Any]]) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"status": "COMPLETE", "results": results, "requestedAt": now, "startedAt": now, "completedAt": now}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ordered(prop: Any, value: str | None) -> tuple[int, float, str]:
    """A sort key: missing values first, dates and numbers by value, other strings as they are."""
    if value is None:
        return (0, 0.0, "")
    number = _as_number(prop, value)
    return (1, number, "") if number is not None else (2, 0.0, value)


def _as_number(prop: Any, value: str) -> float | None:
    if prop in DATE_PROPERTIES and not value.isdigit():
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000
        except ValueError:
            return None
    try:
        return float(value)
    except ValueError:
        return None


def _matches(props: dict[str, str | None], condition: dict[str, Any]) -> bool:
    prop, operator, wanted = condition.get("propertyName"), condition.get("operator"), condition.get("value")
    have = props.get(prop) if isinstance(prop, str) else None
    if operator == "HAS_PROPERTY":
        return have is not None
    if operator == "NOT_HAS_PROPERTY":
        return have is None
    if operator not in ("EQ", "NEQ", "GT", "GTE", "LT", "LTE"):
        raise Refusal(400, f"Unsupported filter operator: {operator}", "VALIDATION_ERROR")
    if operator == "NEQ":
        return have is None or str(have).lower() != str(wanted).lower()
    if have is None or wanted is None:
        return False
    if operator == "EQ":
        return str(have).lower() == str(wanted).lower()  # HubSpot's EQ on strings ignores case
    left, right = _as_number(prop, have), _as_number(prop, str(wanted))
    if left is None or right is None:
        return False
    return {"GT": left > right, "GTE": left >= right, "LT": left < right, "LTE": left <= right}[operator]
