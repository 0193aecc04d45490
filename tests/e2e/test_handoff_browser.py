"""A sensitive public post, end to end: the five services as processes, the customer's post gets a
public acknowledgement without details and a private message with the secure link; the customer
opens the link in real Chromium, proves who they are and types a detail; the case says
`verified` and crm-sync keeps only ciphertext. Counted at the sandbox channel; `make browser`
installs chromium and its fonts."""

from __future__ import annotations

import asyncio
import base64
import re
import time
from pathlib import Path

import asyncpg
import pytest

from heed.contracts.events import customer_id_for
from heed.runtime.db import create_pool
from heed_crm_sync.adapters.verifications import PostgresContactPoints
from heed_crm_sync.data_keys import DataKeys
from heed_ingest.replay import replay_file
from heed_ops.processes import ServiceProcesses, free_base_port
from tests.e2e.test_verify_page_browser import chromium, fill_in, send
from tests.harness import client_publisher, columns_holding, count, wait_for, write_jsonl

pytestmark = pytest.mark.e2e

LINK_KEY, DATA_KEY = bytes(range(64, 96)), bytes(range(96, 128))
PHONE, ORDER = "0912 345 678", "TW-2026-0042"
SECRET = "請改寄到台北市信義區松仁路 100 號 12 樓"
POST = f"你們重複扣款兩次！訂單 {ORDER}，我的電話 {PHONE}，請馬上處理"
AUTHOR = "fb-user-77"


async def _fetch(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def _seed_contact_points(dsn: str) -> None:
    """The phone and order on record, as a CRM import or an agent would have written them."""
    pool = await create_pool(dsn, "crm")
    try:
        contacts = PostgresContactPoints(pool, DataKeys([DATA_KEY]))
        customer = customer_id_for("facebook", AUTHOR)
        await contacts.add_phone(customer, PHONE, source="test")
        await contacts.add_order(customer, ORDER, source="test")
    finally:
        await pool.close()


def test_a_sensitive_post_ends_with_a_verified_customer_and_encrypted_details(database_url, fresh_broker,
                                                                                tmp_path: Path):
    dsn = database_url
    base = free_base_port()
    processes = ServiceProcesses(env={
        "HEED_KAFKA_BOOTSTRAP": fresh_broker, "HEED_DATABASE_URL": dsn, "HEED_INGEST_API_TOKENS": "t",
        "HEED_SECURE_LINK_KEY": base64.b64encode(LINK_KEY).decode(),
        "HEED_CRM_DATA_KEY": base64.b64encode(DATA_KEY).decode()}, log_dir=tmp_path / "logs", base_port=base)
    crm_url = f"http://127.0.0.1:{processes.port('crm-sync')}"
    processes.env["HEED_RESPONDER_VERIFY_URL"] = f"{crm_url}/verify"
    processes.start_all()
    try:
        processes.wait_ready(timeout=120)
        line: dict[str, object] = {
            "channel": "facebook", "native_id": "fb-comment-1", "text": POST, "account": "lumo_tw",
            "author": {"id": AUTHOR, "handle": "chen", "name": "陳小姐", "followers": 120000},
            "created_at": "2026-11-23T08:00:00+00:00"}

        async def scenario() -> tuple[str, str, str]:
            async with client_publisher(fresh_broker) as publisher:
                await replay_file(write_jsonl(tmp_path / "post.jsonl", [line]), publisher)

            async def customer_known() -> bool:
                return await count(dsn, "SELECT count(*) FROM crm.customers WHERE customer_id = $1",
                                   customer_id_for("facebook", AUTHOR)) == 1

            async def both_sent() -> bool:
                return await count(dsn, "SELECT count(*) FROM responder.sandbox_messages") == 2

            await wait_for(customer_known, timeout=90)
            await _seed_contact_points(dsn)
            await wait_for(both_sent, timeout=60)
            rows = await _fetch(dsn, "SELECT r.kind, s.visibility, s.text, r.case_id::text AS case_id"
                                     " FROM responder.sandbox_messages s JOIN responder.replies r USING (reply_id)")
            by_kind = {r["kind"]: r for r in rows}
            return by_kind["auto"]["text"], by_kind["handoff"]["text"], by_kind["handoff"]["case_id"]

        public, private, case_id = asyncio.run(scenario())
        # the thread sees the brand answer, without the link or anything the customer wrote
        assert "http" not in public and "0912" not in public and ORDER not in public
        assert "私訊" in public or "私信" in public  # it says a private message was sent
        [url] = re.findall(r"https?://\S+/verify/[A-Za-z0-9_-]+", private)
        assert url.startswith(crm_url)

        async def in_browser() -> str:
            async with chromium() as browser:
                page = await browser.new_page()
                opened = await page.goto(url)
                assert opened is not None and opened.status == 200
                assert await page.get_attribute("html", "lang") == "zh-Hant"
                await fill_in(page, order=ORDER, last4="5678", details=SECRET)
                return await send(page)

        assert asyncio.run(in_browser()) == "verified"

        async def case_verified() -> bool:
            return await count(dsn, "SELECT count(*) FROM router.case_events WHERE case_id = $1::uuid"
                                    " AND kind = 'verified'", case_id) == 1

        asyncio.run(wait_for(case_verified, timeout=60))
        assert asyncio.run(columns_holding(dsn, "crm", SECRET)) == []
        assert asyncio.run(count(dsn, "SELECT count(*) FROM crm.sensitive_details WHERE case_id = $1::uuid",
                                 case_id)) == 1
        assert asyncio.run(count(dsn, "SELECT count(*) FROM crm.customers WHERE customer_id = $1"
                                      " AND verified_at IS NOT NULL", customer_id_for("facebook", AUTHOR))) == 1
    finally:
        processes.stop_all()
        time.sleep(0.1)
