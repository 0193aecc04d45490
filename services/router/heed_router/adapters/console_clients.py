"""The console's HTTP clients: crm-sync's customers API (the 360 panel, the thread's words) and the
responder's answering API (snippets, previews, secure links). Each with a bearer token from the
environment; the router never reads another service's tables."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from heed.contracts.events import customer_id_for


class ServiceUnavailable(RuntimeError):
    """The other service did not answer as expected; the message names the service and the status,
    never the request's contents."""


class _Client:
    service = ""

    def __init__(self, base_url: str, token: str, timeout_s: float = 5.0) -> None:
        self.http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s,
                                      headers={"authorization": f"Bearer {token}"})

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise ServiceUnavailable(f"{self.service} did not answer ({type(error).__name__})") from None

    def _json(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise ServiceUnavailable(f"{self.service} answered {response.status_code}: "
                                     f"{_problem(response)}")
        return response.json()

    async def aclose(self) -> None:
        await self.http.aclose()


def _problem(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", ""))[:300]
    except ValueError:
        return ""


class HttpCustomerRecords(_Client):
    """The CustomerRecords port over crm-sync's /v1 (a token with the read scope)."""

    service = "crm-sync"

    async def profile(self, identity: str) -> dict[str, Any] | None:
        channel, _, platform_id = identity.partition(":")
        response = await self._call("GET", f"/v1/customers/{customer_id_for(channel, platform_id)}")
        if response.status_code == 404:
            return None
        found: dict[str, Any] = self._json(response)
        return found

    async def timeline(self, customer_id: str, limit: int = 200) -> list[dict[str, Any]]:
        response = await self._call("GET", f"/v1/customers/{customer_id}/timeline", params={"limit": limit})
        if response.status_code == 404:
            return []
        return list(self._json(response).get("entries", []))


class HttpReplyDesk(_Client):
    """The ReplyDesk port over the responder's /v1."""

    service = "responder"

    async def snippets(self, *, language: str, script: str | None, account: str | None, department: str,
                       customer: str) -> dict[str, Any]:
        params = {"language": language, "department": department, "customer": customer}
        params.update({k: v for k, v in (("script", script), ("account", account)) if v})
        found: dict[str, Any] = self._json(await self._call("GET", "/v1/snippets", params=params))
        return found

    async def preview(self, *, text: str, channel: str, visibility: str, language: str, script: str | None,
                      account: str | None, customer: str) -> dict[str, Any]:
        found: dict[str, Any] = self._json(await self._call("POST", "/v1/preview", json={
            "text": text, "channel": channel, "visibility": visibility, "language": language, "script": script,
            "account": account, "customer": customer}))
        return found

    async def secure_link(self, *, case_id: uuid.UUID, customer: str, department: str, language: str,
                          script: str | None, account: str | None) -> dict[str, Any]:
        found: dict[str, Any] = self._json(await self._call("POST", "/v1/secure-link", json={
            "case_id": str(case_id), "customer": customer, "department": department, "language": language,
            "script": script, "account": account}))
        return found
