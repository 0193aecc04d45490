"""The secure verification page in a real browser: Debian's chromium, driven by Playwright, against
crm-sync's own HTTP app served by uvicorn on loopback, with the real broker and PostgreSQL.

A customer opens a freshly issued link, proves who they are and types a detail; the page thanks
them in their language and script, the database holds only ciphertext, the customer and case are
verified and heed.crm.verifications says so without the detail. Expired, reused and wrongly
answered links are refused as a customer would see it. `make browser` installs chromium and the
CJK and Thai fonts.

Served over plain HTTP here; production serves the page behind TLS (see verify_page.py).
"""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright
from pydantic import SecretStr

from heed import secure_link
from heed.contracts import topics
from heed.contracts.events import CustomerVerified
from heed.runtime.db import create_pool
from heed_crm_sync.adapters.verifications import PostgresContactPoints
from heed_crm_sync.app import CrmSyncService
from heed_crm_sync.data_keys import DataKeys
from heed_crm_sync.settings import CrmSyncSettings
from tests.harness import columns_holding, count, wait_for
from tests.integration.test_dlq import records_on

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
LINK_KEY, DATA_KEY = bytes(range(32, 64)), bytes(range(32))
PHONE, ORDER = "+886 912 345 678", "TW-2026-0042"
SECRET = "請改寄到台北市信義區松仁路 100 號 12 樓"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Site:
    base_url: str
    dsn: str
    bootstrap: str
    customer_id: uuid.UUID

    def link(self, language: str | None, *, expires_in: timedelta = timedelta(hours=1),
             case_id: uuid.UUID | None = None) -> tuple[str, uuid.UUID, uuid.UUID]:
        """A freshly issued link for a new case: (url, case id, link id)."""
        case_id, link_id = case_id or uuid.uuid4(), uuid.uuid4()
        url = secure_link.issue(LINK_KEY, case_id=case_id, customer_id=self.customer_id, link_id=link_id,
                                expires_at=datetime.now(UTC) + expires_in, base_url=f"{self.base_url}/verify",
                                language=language)
        return url, case_id, link_id


@pytest.fixture(scope="module")
def crm_site(stack) -> Iterator[Site]:
    """crm-sync's public HTTP app (its lifespan starts the service) under uvicorn in a thread of its own."""
    dsn, port = stack.new_database(), _port()
    service = CrmSyncService(CrmSyncSettings(
        kafka_bootstrap=stack.kafka_bootstrap, database_url=dsn, http_port=port,
        crm_data_key=SecretStr(base64.b64encode(DATA_KEY).decode()),
        secure_link_key=SecretStr(base64.b64encode(LINK_KEY).decode())))
    server = uvicorn.Server(uvicorn.Config(service.asgi(), host="127.0.0.1", port=port, lifespan="on",
                                           log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, name="crm-sync-http", daemon=True)
    thread.start()
    try:
        asyncio.run(wait_for(_started(server, thread), timeout=60, every=0.1))
        customer_id = asyncio.run(_seed_customer(dsn))
        yield Site(f"http://127.0.0.1:{port}", dsn, stack.kafka_bootstrap, customer_id)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _started(server: uvicorn.Server, thread: threading.Thread) -> Any:
    async def check() -> bool:
        assert thread.is_alive(), "crm-sync's HTTP server stopped while starting"
        return bool(server.started)
    return check


async def _seed_customer(dsn: str) -> uuid.UUID:
    """A customer with an order and a phone on record, written as a CRM import would."""
    customer_id = uuid.uuid4()
    pool = await create_pool(dsn, "crm")
    try:
        await pool.execute("INSERT INTO customers (customer_id, display_name) VALUES ($1, '陳小姐')", customer_id)
        contacts = PostgresContactPoints(pool, DataKeys([DATA_KEY]))
        await contacts.add_phone(customer_id, PHONE, source="test")
        await contacts.add_order(customer_id, ORDER, source="test")
    finally:
        await pool.close()
    return customer_id


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium and the page's fonts")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()


async def fonts_of(page: Page, selector: str) -> dict[str, int]:
    """The platform fonts chromium drew `selector`'s text with: family → glyphs."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("DOM.enable")
    await cdp.send("CSS.enable")
    root = await cdp.send("DOM.getDocument")
    node = await cdp.send("DOM.querySelector", {"nodeId": root["root"]["nodeId"], "selector": selector})
    fonts = await cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})
    return {f["familyName"]: f["glyphCount"] for f in fonts["fonts"]}


async def fill_in(page: Page, *, order: str = ORDER, last4: str = "5678", details: str = SECRET) -> None:
    """Type into the form as the customer would."""
    await page.fill("#order_number", order)
    await page.fill("#last4", last4)
    await page.fill("#details", details)


async def send(page: Page) -> str:
    """Send the form; which page came back."""
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    return str(await page.get_attribute("body", "data-page"))


async def crm_value(dsn: str, sql: str, *args: object) -> Any:
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "crm"})
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def test_a_customer_verifies_in_traditional_chinese_and_only_ciphertext_is_kept(crm_site):
    url, case_id, link_id = crm_site.link("zh-Hant")
    async with chromium() as browser:
        page = await browser.new_page(locale="en-US")  # the link's language wins over the browser's
        opened = await page.goto(url)
        assert opened is not None and opened.status == 200
        headers = opened.headers
        assert "default-src 'none'" in headers["content-security-policy"]
        assert (headers["referrer-policy"], headers["cache-control"], headers["x-frame-options"]) == (
            "no-referrer", "no-store", "DENY")
        assert await page.get_attribute("html", "lang") == "zh-Hant"
        assert await page.inner_text("h1") == "確認您的身分"
        # the heading is drawn with the Traditional Chinese face, not a fallback box font
        assert any(family.startswith("Noto Sans CJK TC") and glyphs == 6
                   for family, glyphs in (await fonts_of(page, "h1")).items())

        await fill_in(page, order="tw-2026-0042")  # as typed: case and dashes do not matter
        assert await send(page) == "verified"
        assert await page.inner_text("h1") == "謝謝，您的身分已驗證"

        # reused: the same link opened again is refused
        again = await page.goto(url)
        assert again is not None and again.status == 410
        assert await page.inner_text("h1") == "此連結已使用過"

    assert await columns_holding(crm_site.dsn, "crm", SECRET) == []
    assert await columns_holding(crm_site.dsn, "crm", "松仁路") == []
    assert await count(crm_site.dsn, "SELECT count(*) FROM crm.sensitive_details WHERE case_id = $1", case_id) == 1
    assert await crm_value(crm_site.dsn, "SELECT verified_at IS NOT NULL FROM customers WHERE customer_id = $1",
                           crm_site.customer_id)
    assert await crm_value(crm_site.dsn, "SELECT count(*) FROM case_verifications WHERE case_id = $1", case_id) == 1

    async def announced() -> bool:
        return await crm_value(crm_site.dsn, "SELECT published_at IS NOT NULL FROM case_verifications"
                                             " WHERE link_id = $1", link_id) is True
    await wait_for(announced, timeout=30)
    records = [r for r in await records_on(crm_site.bootstrap, topics.CRM_VERIFICATIONS)
               if r.value is not None and str(link_id).encode() in r.value]
    assert len(records) == 1 and records[0].key == str(case_id).encode()
    event = CustomerVerified.model_validate_json(records[0].value or b"")
    assert (event.customer_id, event.case_id, event.details_received) == (crm_site.customer_id, case_id, True)
    assert SECRET.encode() not in (records[0].value or b"")


async def test_a_link_that_expires_while_the_form_is_open_shows_the_expired_page_and_stores_nothing(crm_site):
    url, case_id, link_id = crm_site.link("th", expires_in=timedelta(seconds=3))
    async with chromium() as browser:
        page = await browser.new_page()
        await page.goto(url)
        assert await page.get_attribute("body", "data-page") == "form"
        assert any(family in ("Waree", "Loma", "Garuda") and glyphs > 0
                   for family, glyphs in (await fonts_of(page, "h1")).items())
        await fill_in(page)
        await asyncio.sleep(3.5)  # the customer stepped away
        assert await send(page) == "expired"
        assert await page.inner_text("h1") == "ลิงก์นี้หมดอายุแล้ว"
    for table in ("sensitive_details", "case_verifications"):
        assert await count(crm_site.dsn, f"SELECT count(*) FROM crm.{table} WHERE case_id = $1", case_id) == 0
    assert await count(crm_site.dsn, "SELECT count(*) FROM crm.used_links WHERE link_id = $1", link_id) == 0


async def test_a_wrong_last_4_counts_an_attempt_and_says_how_many_are_left(crm_site):
    url, case_id, link_id = crm_site.link(None)
    async with chromium() as browser:
        page = await browser.new_page(locale="en-GB", extra_http_headers={"accept-language": "en-GB,en;q=0.9"})
        await page.goto(url)
        await fill_in(page, last4="1234")
        assert await send(page) == "form"
        assert await page.inner_text("[role=alert]") == "Those details don't match our records. Attempts left: 4."
        # nothing typed is sent back into the page
        assert await page.input_value("#details") == "" and SECRET not in await page.content()
    assert await crm_value(crm_site.dsn, "SELECT failures FROM link_attempts WHERE link_id = $1", link_id) == 1
    assert await count(crm_site.dsn, "SELECT count(*) FROM crm.sensitive_details WHERE case_id = $1", case_id) == 0
