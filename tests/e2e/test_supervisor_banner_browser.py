"""The crisis-alert banner's own behaviour in real Chromium: the console served by uvicorn over in-memory
ports, its open alerts changed underneath the page — the banner appears when an incident opens, follows
it as it grows and goes when it resolves, all without a reload. (The spike through the real pipeline is
tests/e2e/test_supervisor_console_browser.py; the router's detector resolves an incident only after ten
calm minutes, too long for a test, so resolution is driven here.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from heed_router.console.app import ConsolePorts, console_app
from tests.e2e.test_verify_page_browser import chromium
from tests.unit.router.fake_accounts import FakeAccounts
from tests.unit.router.fake_desk import T0, FakeDesk, summary
from tests.unit.router.fake_supervision import FakeSupervision
from tests.unit.router.test_console_supervisor import ALERT, FIGURES

pytestmark = pytest.mark.e2e

PASSWORD = "wang-console-password"


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                                           timeout_graceful_shutdown=1))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def test_the_banner_appears_grows_and_goes_without_a_reload():
    accounts = FakeAccounts()
    accounts.add("wang", PASSWORD, "supervisor", ("billing",), "en")
    supervision = FakeSupervision(FIGURES)
    desk = FakeDesk().add(summary(1))
    app = console_app(ConsolePorts(desk=lambda: desk, accounts=lambda: accounts, customers=lambda: None,
                                   replies=lambda: None, now=lambda: T0, departments=lambda: ["billing"],
                                   supervision=lambda: supervision), poll_s=0.05, heartbeat_s=5)
    async with serving(Starlette(routes=[Mount("/console", app=app)])) as base, chromium() as browser:
        page = await browser.new_page()
        await page.goto(f"{base}/console/login")
        await page.fill('input[name="name"]', "wang")
        await page.fill('input[name="password"]', PASSWORD)
        await page.click("#sign-in")
        await page.wait_for_url(f"{base}/console/queue/billing")
        banner, alert = page.locator("#alert-banner"), page.locator("#alert-banner .alert")
        await page.wait_for_selector("#alert-banner.live", state="attached")
        assert await banner.is_hidden()

        supervision.alerts = [ALERT]  # an incident opens
        await alert.wait_for(state="visible", timeout=10_000)
        assert "billing" in await banner.inner_text() and await alert.get_attribute("data-total") == "60"
        assert await banner.locator("a.example").get_attribute("href") == "/console/cases/c1"
        assert await banner.get_attribute("role") == "alert"

        supervision.alerts = [{**ALERT, "version": 2, "total_count": 90, "window_count": 30}]  # it grows
        await page.locator('#alert-banner .alert[data-total="90"]').wait_for(timeout=10_000)

        supervision.alerts = []  # it resolves
        await banner.wait_for(state="hidden", timeout=10_000)
        assert await alert.count() == 0
        assert page.url == f"{base}/console/queue/billing"  # never reloaded
        await page.close()
