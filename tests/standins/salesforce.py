"""Salesforce REST stand-in: Contact and Task upsert by external id (one record, or sObject
Collections), `sobjects/Contact/updated`, and the SOQL queries the crm-sync adapter sends, with
`nextRecordsUrl` paging, the `Sforce-Limit-Info` header and the org's daily API limit.

Mounted under "/salesforce": the adapter's instance URL is the stand-in's base URL + "/salesforce".
`writes` counts what a test asserts "once" and "zero times" with: contacts and tasks created and
updated, and every field written ("Contact.Email"); `writes_to` counts the upserts that wrote each
record, by its Id. `set_field` is a sales rep editing a contact in Salesforce's own pages: it moves
LastModifiedDate and SystemModstamp, so `updated` reports the contact, and is not an API write.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.standins.base import StandIn

SYSTEM_FIELDS = {"Id", "CreatedDate", "LastModifiedDate", "SystemModstamp"}
SCHEMA: dict[str, set[str]] = {
    "Contact": SYSTEM_FIELDS | {"FirstName", "LastName", "Email", "Phone", "OwnerId", "HasOptedOutOfEmail",
                                "Heed_Customer_Id__c", "Heed_Tier__c", "Heed_Preferences__c",
                                "Heed_Marketing_Consent__c"},
    "Task": SYSTEM_FIELDS | {"WhoId", "Subject", "Description", "ActivityDate", "Status", "Priority",
                             "Heed_Interaction_Id__c"},
}
EXTERNAL_ID = {"Contact": "Heed_Customer_Id__c", "Task": "Heed_Interaction_Id__c"}
KEY_PREFIX = {"Contact": "003", "Task": "00T"}
PLURAL = {"Contact": "contacts", "Task": "tasks"}
REPLICATION_DAYS = 30
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_QUERY = re.compile(r"^SELECT\s+(?P<columns>\w+(?:\s*,\s*\w+)*)\s+FROM\s+Contact\s+WHERE\s+"
                    r"(?:(?P<linked>Heed_Customer_Id__c\s*!=\s*null)|Id\s+IN\s*\((?P<ids>[^)]*)\))\s*$",
                    re.IGNORECASE)

Errors = list[dict[str, Any]]


def sf_time(moment: datetime) -> str:
    """Salesforce's dateTime format: 2024-05-08T21:20:15.000+0000."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _error(code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    return {"errorCode": code, "message": message, "fields": fields or []}


class SalesforceStandIn(StandIn):
    def reset(self) -> None:
        super().reset()
        self.records: dict[str, dict[str, dict[str, Any]]] = {"Contact": {}, "Task": {}}
        self.writes: Counter[str] = Counter()
        self.writes_to: Counter[str] = Counter()  # record Id → upserts that wrote it (created or updated)
        self.api_used = 0
        self.daily_limit = 15_000
        self.page_size = 2000  # records per query page (Salesforce's default batch)
        self.update_status = 200  # 204: answer an upsert that updated as API versions before 46.0 did
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._cursors: dict[str, list[dict[str, Any]]] = {}
        self._serial = itertools.count(1)

    def routes(self) -> list[Route]:
        data = "/services/data/{version}"
        return [
            Route(f"{data}/sobjects/{{sobject}}/updated/", self.updated, methods=["GET"]),
            Route(f"{data}/sobjects/{{sobject}}/updated", self.updated, methods=["GET"]),
            Route(f"{data}/sobjects/{{sobject}}/{{field}}/{{value}}", self.upsert_one, methods=["PATCH"]),
            Route(f"{data}/sobjects/{{sobject}}/{{field}}/{{value}}", self.read_by_external_id, methods=["GET"]),
            Route(f"{data}/composite/sobjects/{{sobject}}/{{field}}", self.upsert_collection, methods=["PATCH"]),
            Route(f"{data}/query", self.query, methods=["GET"]),
            Route(f"{data}/query/", self.query, methods=["GET"]),
            Route(f"{data}/query/{{locator}}", self.query_more, methods=["GET"]),
        ]

    # the test's script and what tests read

    @property
    def contacts(self) -> dict[str, dict[str, Any]]:
        return self.records["Contact"]

    @property
    def tasks(self) -> dict[str, dict[str, Any]]:
        return self.records["Task"]

    def contact_of(self, customer_id: object) -> dict[str, Any] | None:
        """The contact carrying this Heed customer id, if there is one."""
        return next((c for c in self.contacts.values() if c.get("Heed_Customer_Id__c") == str(customer_id)), None)

    def tasks_on(self, contact_id: str) -> list[dict[str, Any]]:
        return [t for t in self.tasks.values() if t.get("WhoId") == contact_id]

    def add_contact(self, **values: Any) -> str:
        """A contact that exists in the org already (a rep created it, or an import)."""
        record_id = self._new_id("Contact")
        self.contacts[record_id] = {**values, "Id": record_id, **self._stamps(created=True)}
        return record_id

    def set_field(self, contact_id: str, field: str, value: Any) -> None:
        """A sales rep changes a contact in Salesforce: `updated` reports it from now on."""
        if field not in SCHEMA["Contact"] - SYSTEM_FIELDS:
            raise KeyError(f"Contact has no writable field {field!r}")
        self.contacts[contact_id][field] = value
        self.contacts[contact_id].update(self._stamps())

    def api_calls(self) -> int:
        """Every request received, whatever its answer."""
        return sum(self.requests.values())

    # the gate every route passes

    def _headers(self) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={self.api_used}/{self.daily_limit}"}

    def _answer(self, body: Any, status: int = 200) -> Response:
        if body is None:
            return Response(status_code=status, headers=self._headers())
        return JSONResponse(body, status_code=status, headers=self._headers())

    def _gate(self, request: Request, kind: str) -> Response | None:
        self.requests[kind] += 1
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
        if token not in self.tokens or token in self.expired:
            return self._answer([_error("INVALID_SESSION_ID", "Session expired or invalid")], 401)
        if self.api_used >= self.daily_limit:
            return self._answer([_error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")], 403)
        self.api_used += 1
        status = self.take_failure()
        if status is not None:
            return self._answer([_error("SERVER_UNAVAILABLE", "Service temporarily unavailable.")], status)
        return None

    # records

    def _new_id(self, sobject: str) -> str:
        return f"{KEY_PREFIX[sobject]}{next(self._serial):015d}"

    def _stamps(self, created: bool = False) -> dict[str, str]:
        now = sf_time(self.clock())
        return {"LastModifiedDate": now, "SystemModstamp": now, **({"CreatedDate": now} if created else {})}

    def _unknown_fields(self, sobject: str, values: dict[str, Any]) -> Response | None:
        unknown = [f for f in values if f not in SCHEMA[sobject] - SYSTEM_FIELDS and f != "attributes"]
        if unknown:
            return self._answer([_error("INVALID_FIELD", f"No such column '{unknown[0]}' on sobject of type {sobject}",
                                        [unknown[0]])], 400)
        return None

    def _find(self, sobject: str, key: str) -> dict[str, Any] | None:
        field = EXTERNAL_ID[sobject]
        return next((r for r in self.records[sobject].values() if r.get(field) == key), None)

    def _check(self, sobject: str, values: dict[str, Any], existing: dict[str, Any] | None) -> Errors:
        """Record-level validation, as Salesforce's per-record errors."""
        errors: Errors = []
        email = values.get("Email")
        if sobject == "Contact" and email is not None and not _EMAIL.match(str(email)):
            errors.append(_error("INVALID_EMAIL_ADDRESS", f"Email: invalid email address: {email}", ["Email"]))
        if sobject == "Contact" and not (values.get("LastName") if "LastName" in values or existing is None
                                         else existing.get("LastName")):
            errors.append(_error("REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]", ["LastName"]))
        if sobject == "Task" and values.get("WhoId") is not None and values["WhoId"] not in self.contacts:
            errors.append(_error("INVALID_CROSS_REFERENCE_KEY", "Name ID: id value of incorrect type", ["WhoId"]))
        return errors

    def _apply(self, sobject: str, key: str, values: dict[str, Any],
               existing: dict[str, Any] | None) -> tuple[str, bool]:
        for field in values:
            self.writes[f"{sobject}.{field}"] += 1
        if existing is None:
            record_id = self._new_id(sobject)
            self.records[sobject][record_id] = {**values, EXTERNAL_ID[sobject]: key, "Id": record_id,
                                                **self._stamps(created=True)}
            self.writes[f"{PLURAL[sobject]} created"] += 1
            self.writes_to[record_id] += 1
            return record_id, True
        existing.update(values)
        existing.update(self._stamps())
        self.writes[f"{PLURAL[sobject]} updated"] += 1
        self.writes_to[str(existing["Id"])] += 1
        return str(existing["Id"]), False

    def _open(self, request: Request, what: str) -> tuple[str, Response | None]:
        """Gate the request, then check its sObject and external-id field; the sObject, or the answer."""
        sobject = request.path_params["sobject"]
        refused = self._gate(request, f"{request.method} {sobject} {what}")
        if refused:
            return sobject, refused
        if sobject not in SCHEMA:
            return sobject, self._answer([_error("NOT_FOUND", "The requested resource does not exist")], 404)
        if request.path_params["field"] != EXTERNAL_ID[sobject]:
            return sobject, self._answer([_error("NOT_FOUND", "Provided external ID field does not exist or is not "
                                                              "accessible: " + request.path_params["field"])], 404)
        return sobject, None

    async def _json(self, request: Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            return None

    # routes

    async def upsert_one(self, request: Request) -> Response:
        sobject, refused = self._open(request, "upsert")
        if refused:
            return refused
        values = await self._json(request)
        if not isinstance(values, dict):
            return self._answer([_error("JSON_PARSER_ERROR", "The request body is not a JSON object")], 400)
        if "Id" in values or EXTERNAL_ID[sobject] in values:
            field = "Id" if "Id" in values else EXTERNAL_ID[sobject]
            return self._answer([_error("INVALID_FIELD", f"{field} not specified in an update call", [field])], 400)
        unknown = self._unknown_fields(sobject, values)
        if unknown:
            return unknown
        key = request.path_params["value"]
        existing = self._find(sobject, key)
        errors = self._check(sobject, values, existing)
        if errors:
            return self._answer(errors, 400)
        record_id, created = self._apply(sobject, key, values, existing)
        await self.maybe_hang()
        if created:
            return self._answer({"id": record_id, "success": True, "errors": [], "created": True}, 201)
        if self.update_status == 204:
            return self._answer(None, 204)
        return self._answer({"id": record_id, "success": True, "errors": [], "created": False})

    async def read_by_external_id(self, request: Request) -> Response:
        sobject, refused = self._open(request, "by external id")
        if refused:
            return refused
        record = self._find(sobject, request.path_params["value"])
        if record is None:
            return self._answer([_error("NOT_FOUND", "The requested resource does not exist")], 404)
        wanted = request.query_params.get("fields")
        columns = [c.strip() for c in wanted.split(",")] if wanted else sorted(SCHEMA[sobject])
        return self._answer(self._project(sobject, record, columns))

    async def upsert_collection(self, request: Request) -> Response:
        sobject, refused = self._open(request, "collection upsert")
        if refused:
            return refused
        body = await self._json(request)
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            return self._answer([_error("JSON_PARSER_ERROR", "records must be a list of objects")], 400)
        if len(records) > 200:
            return self._answer([_error("EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 "
                                                             "records into this call")], 400)
        for record in records:
            if (record.get("attributes") or {}).get("type") != sobject:
                return self._answer([_error("INVALID_TYPE", "Each record must have attributes.type " + sobject)], 400)
            unknown = self._unknown_fields(sobject, record)
            if unknown:
                return unknown
        field = EXTERNAL_ID[sobject]
        checked = []
        for record in records:
            values = {k: v for k, v in record.items() if k not in ("attributes", field)}
            key = record.get(field)
            existing = self._find(sobject, str(key)) if key else None
            errors = ([_error("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{field}]", [field])]
                      if not key else self._check(sobject, values, existing))
            checked.append((str(key), values, existing, errors))
        roll_back = bool(body.get("allOrNone")) and any(errors for *_, errors in checked)
        results = []
        for key, values, existing, errors in checked:
            if errors or roll_back:
                errors = errors or [_error("ALL_OR_NONE_OPERATION_ROLLED_BACK", "Record rolled back because not all "
                                                                                "records were valid")]
                results.append({"success": False, "errors": [{"statusCode": e["errorCode"], "message": e["message"],
                                                              "fields": e["fields"]} for e in errors]})
                continue
            record_id, created = self._apply(sobject, key, values, existing)
            results.append({"id": record_id, "success": True, "errors": [], "created": created})
        await self.maybe_hang()
        return self._answer(results)

    async def updated(self, request: Request) -> Response:
        refused = self._gate(request, f"GET {request.path_params['sobject']} updated")
        if refused:
            return refused
        sobject = request.path_params["sobject"]
        if sobject not in SCHEMA:
            return self._answer([_error("NOT_FOUND", "The requested resource does not exist")], 404)
        try:
            # the documented behaviour: seconds are ignored
            start, end = (datetime.fromisoformat(request.query_params[p]).astimezone(UTC).replace(second=0,
                                                                                                  microsecond=0)
                          for p in ("start", "end"))
        except (KeyError, ValueError):
            return self._answer([_error("MALFORMED_QUERY", "start and end must be ISO 8601 date-times")], 400)
        if start >= end:
            return self._answer([_error("INVALID_REPLICATION_DATE", "start must be before end")], 400)
        if start < self.clock() - timedelta(days=REPLICATION_DAYS):
            return self._answer([_error("INVALID_REPLICATION_DATE", "start is more than 30 days ago")], 400)
        ids = [record_id for record_id, record in self.records[sobject].items()
               if start <= datetime.fromisoformat(record["SystemModstamp"]) < end]
        return self._answer({"ids": ids, "latestDateCovered": sf_time(end)})

    async def query(self, request: Request) -> Response:
        refused = self._gate(request, "GET query")
        if refused:
            return refused
        soql = request.query_params.get("q", "")
        match = _QUERY.match(soql.strip())
        if not match:
            return self._answer([_error("MALFORMED_QUERY", "The stand-in reads only the adapter's Contact queries")],
                                400)
        columns = [c.strip() for c in match["columns"].split(",")]
        unknown = [c for c in columns if c not in SCHEMA["Contact"]]
        if unknown:
            return self._answer([_error("INVALID_FIELD", f"No such column '{unknown[0]}' on entity 'Contact'")], 400)
        if match["linked"]:
            found = [r for r in self.contacts.values() if r.get("Heed_Customer_Id__c")]
        else:
            wanted = re.findall(r"'([A-Za-z0-9]+)'", match["ids"])
            found = [self.contacts[i] for i in wanted if i in self.contacts]
        version = request.path_params["version"]
        rows = [self._project("Contact", r, columns, version) for r in found]
        cursor = f"01gSTANDIN{next(self._serial):08d}"
        self._cursors[cursor] = rows
        return self._page(version, cursor, 0)

    async def query_more(self, request: Request) -> Response:
        refused = self._gate(request, "GET query more")
        if refused:
            return refused
        cursor, _, offset = request.path_params["locator"].rpartition("-")
        if cursor not in self._cursors or not offset.isdigit():
            return self._answer([_error("INVALID_QUERY_LOCATOR", "invalid query locator")], 400)
        return self._page(request.path_params["version"], cursor, int(offset))

    def _page(self, version: str, cursor: str, offset: int) -> Response:
        rows = self._cursors[cursor]
        end = offset + self.page_size
        body: dict[str, Any] = {"totalSize": len(rows), "done": end >= len(rows), "records": rows[offset:end]}
        if end < len(rows):
            body["nextRecordsUrl"] = f"/services/data/{version}/query/{cursor}-{end}"
        return self._answer(body)

    @staticmethod
    def _project(sobject: str, record: dict[str, Any], columns: list[str], version: str = "v60.0") -> dict[str, Any]:
        return {"attributes": {"type": sobject, "url": f"/services/data/{version}/sobjects/{sobject}/{record['Id']}"},
                **{c: record.get(c) for c in columns}}
