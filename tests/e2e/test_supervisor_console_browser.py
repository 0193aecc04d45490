"""The console's supervisor views in real Chromium, on the five services as processes: a case answered,
resolved and rated through the cases API gives the reports figures; an agent is refused the supervisor
views; a spike of negative mentions through the whole pipeline (ingest → classifier → router's crisis
detector) makes the alert banner appear on the supervisor's open page without a reload, with its count
and links to example mentions' cases; the reports page draws its charts with the figures `heed report`
prints for the same database; the SLA and agents' load pages render. Writes docs/img/console-reports.png
(shown in the README)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from playwright.async_api import Page

from heed_ingest.replay import replay_file
from heed_ops import agents
from heed_ops.console import console_env
from heed_ops.processes import ServiceProcesses, free_base_port
from heed_ops.team import demo_rules
from heed_router.adapters.rules_file import shipped_rules_path
from tests.e2e.test_verify_page_browser import chromium
from tests.harness import client_publisher, count, rows, wait_for, write_jsonl

pytestmark = pytest.mark.e2e

PASSWORD = "wang-console-password"
API_TOKEN = "li-token-0123456789abcdef"
IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
SPIKE = 60  # the router's detector opens an incident on far fewer on a quiet baseline (docs/CASES.md)


def _mention(i: int, author: str, text: str, **extra: object) -> dict[str, object]:
    return {"channel": "weibo", "native_id": f"sup-{i}", "text": text,
            "author": {"id": author, "handle": author, "name": author, "followers": 10},
            "created_at": "2026-11-23T08:00:00+00:00", **extra}


ORDINARY = [_mention(1, "u-1", "我的订单三天了还没发货，什么时候能到？"),
            _mention(2, "u-2", "请问你们的会员积分怎么兑换？"),
            _mention(3, "u-3", "我的快递一直没有更新物流信息，请帮我查一下。")]
SPIKE_TEXTS = ("扣款两次了！打了{n}次电话都没人处理，太离谱了，马上退款！",
               "I was charged twice for the same booking ({n}), this is unacceptable, refund me now!",
               "你們重複扣款兩次！第{n}次投訴了，完全沒人處理，太離譜了。")


async def _login(page: Page, base: str, name: str, password: str) -> None:
    await page.goto(f"{base}/console/login")
    await page.fill('input[name="name"]', name)
    await page.fill('input[name="password"]', password)
    await page.click("#sign-in")
    await page.wait_for_url(f"{base}/console/queue/**")


async def _values(page: Page, selector: str) -> dict[str, float]:
    found: dict[str, float] = await page.eval_on_selector_all(
        selector, "els => Object.fromEntries(els.map(e => [(e.dataset.day ? e.dataset.day + '/' : '')"
                  " + e.dataset.label, Number(e.dataset.value)]))")
    return found


def test_a_supervisor_sees_the_alert_live_and_the_reports_charts(database_url, fresh_broker, tmp_path: Path):
    dsn = database_url
    env = {"HEED_KAFKA_BOOTSTRAP": fresh_broker, "HEED_DATABASE_URL": dsn, "HEED_INGEST_API_TOKENS": "t",
           "HEED_RESPONDER_TICK_S": "0.5", "HEED_ROUTER_TIMER_POLL_S": "0.2",
           "HEED_API_TOKENS": f"li:agent:{API_TOKEN}",
           "HEED_ROUTER_RULES": str(demo_rules(shipped_rules_path(), tmp_path / "rules.yaml"))}
    processes = ServiceProcesses(env=env, log_dir=tmp_path / "logs", base_port=free_base_port())
    processes.env.update(console_env(processes))
    base = f"http://127.0.0.1:{processes.port('router')}"
    processes.start_all()
    try:
        processes.wait_ready(timeout=120)

        async def ordinary_day() -> str:
            """Three cases; one taken, answered, resolved and rated 5 through the cases API."""
            async with client_publisher(fresh_broker) as publisher:
                await replay_file(write_jsonl(tmp_path / "ordinary.jsonl", ORDINARY), publisher)

                async def queued() -> bool:
                    return (await count(dsn, "SELECT count(*) FROM router.cases") == len(ORDINARY)
                            and await count(dsn, "SELECT count(*) FROM router.cases c JOIN router.routed r ON"
                                                 " r.mention_id = c.first_mention_id WHERE r.native_id = 'sup-1'"
                                                 " AND c.status = 'pending_department'") == 1)

                await wait_for(queued, timeout=120)
                [first] = await rows(dsn, "SELECT c.case_id, c.department FROM router.cases c JOIN router.routed r"
                                           " ON r.mention_id = c.first_mention_id WHERE r.native_id = 'sup-1'")
                async with httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {API_TOKEN}"}) as api:
                    case = f"/v1/cases/{first['case_id']}"
                    assert (await api.post(f"{case}/claim")).status_code == 200
                    answer = {"text": "已经为您加急发货，明天送达。"}
                    assert (await api.post(f"{case}/answer", json=answer)).status_code == 200

                    async def delivered() -> bool:
                        return (await api.get(case)).json()["status"] == "awaiting_customer"

                    await wait_for(delivered, timeout=90)
                    assert (await api.post(f"{case}/resolve", json={"reason": "shipped"})).status_code == 200

                    async def followed_up() -> bool:
                        return (await api.get(case)).json()["follow_up_sent_at"] is not None

                    await wait_for(followed_up, timeout=90)
                    rating = _mention(4, "u-1", "5", in_reply_to="sup-1", created_at="2026-11-23T09:00:00+00:00")
                    await replay_file(write_jsonl(tmp_path / "rating.jsonl", [rating]), publisher)

                    async def rated() -> bool:
                        return (await api.get(case)).json()["rating"] == 5

                    await wait_for(rated, timeout=90)
            return str(first["department"])

        department = asyncio.run(ordinary_day())
        rules = yaml.safe_load(Path(env["HEED_ROUTER_RULES"]).read_text(encoding="utf-8"))["rules"]
        departments = sorted({rule["department"] for rule in rules})  # a supervisor of every queue
        asyncio.run(agents.add(dsn, "wang", PASSWORD, "supervisor", departments, "en"))
        asyncio.run(agents.add(dsn, "mei", PASSWORD, "agent", [department], "en"))
        assert asyncio.run(count(dsn, "SELECT count(*) FROM router.alerts")) == 0

        async def spike() -> None:
            lines = [_mention(100 + n, f"angry-{n}", SPIKE_TEXTS[n % len(SPIKE_TEXTS)].format(n=n))
                     for n in range(SPIKE)]
            async with client_publisher(fresh_broker) as publisher:
                await replay_file(write_jsonl(tmp_path / "spike.jsonl", lines), publisher)

        async def in_browser() -> dict[str, Any]:
            async with chromium() as browser:
                agent = await (await browser.new_context()).new_page()
                await _login(agent, base, "mei", PASSWORD)
                assert await agent.locator("#alert-banner").count() == 0  # no banner, no supervisor links
                assert await agent.locator('a[href="/console/reports"]').count() == 0
                for path in ("/console/reports", "/console/sla", "/console/agents", "/console/reports.json"):
                    refused = await agent.goto(f"{base}{path}")
                    assert refused is not None and refused.status == 403, path

                context = await browser.new_context(viewport={"width": 1400, "height": 1000})
                page = await context.new_page()
                await _login(page, base, "wang", PASSWORD)
                opened_at = page.url
                banner = page.locator("#alert-banner")
                await page.wait_for_selector("#alert-banner.live", state="attached")  # the stream is connected
                assert await banner.is_hidden()  # nothing open yet
                await spike()
                alert = banner.locator(".alert")
                await alert.first.wait_for(state="visible", timeout=180_000)  # live: the page was never reloaded
                assert page.url == opened_at

                async def all_routed() -> bool:  # the reports below read a settled database
                    return await count(dsn, "SELECT count(*) FROM router.routed WHERE native_id LIKE 'sup-1__'") \
                        == SPIKE

                await wait_for(all_routed, timeout=180)
                text = await banner.inner_text()
                total = int(await alert.first.get_attribute("data-total") or 0)
                examples = await banner.locator("a.example").evaluate_all("els => els.map(e => e.pathname)")

                await page.goto(f"{base}/console/reports?since=1d&by=department")
                charts = {chart: await _values(page, f"#{chart} g.bar")
                          for chart in ("chart-response-rate", "chart-first-response", "chart-sla-department",
                                        "chart-sla-channel", "chart-csat")}
                charts["chart-volume"] = await _values(page, "#chart-volume rect.segment")
                titles = await page.locator("svg.chart > title").all_inner_texts()
                await page.locator("#alert-banner .alert").first.wait_for(state="visible")
                await page.screenshot(path=str(IMG / "console-reports.png"), full_page=True)
                shown = json.loads(await (await context.request.get(f"{base}/console/reports.json?since=1d"
                                                                     "&by=department")).text())
                await page.goto(f"{base}/console/sla")
                sla_sections = await page.locator("section.sla-department").count()
                await page.goto(f"{base}/console/agents")
                load_rows = await page.locator("#agent-load tbody tr").count()
                await context.close()
                return {"text": text, "total": total, "examples": examples, "charts": charts, "titles": titles,
                        "json": shown, "sla_sections": sla_sections, "load_rows": load_rows}

        seen = asyncio.run(in_browser())
        # the banner: the incident the router recorded, its count and links to its example mentions' cases
        [incident] = asyncio.run(rows(dsn, "SELECT DISTINCT ON (alert_id) * FROM router.alerts"
                                            " ORDER BY alert_id, version DESC"))
        assert incident["topic"] in str(seen["text"]) and seen["total"] >= 15
        example_cases = {str(r["case_id"]) for r in asyncio.run(rows(
            dsn, "SELECT case_id FROM router.routed WHERE mention_id = ANY($1::uuid[])",
            incident["example_mention_ids"]))}
        linked = {p.rsplit("/", 1)[1] for p in seen["examples"]}
        assert linked and linked <= example_cases
        # the charts, with data
        charts: dict[str, dict[str, float]] = seen["charts"]
        assert charts["chart-response-rate"] and max(charts["chart-response-rate"].values()) > 0
        assert sum(charts["chart-first-response"].values()) >= 1
        assert max(charts["chart-sla-department"].values()) > 0 and max(charts["chart-sla-channel"].values()) > 0
        assert charts["chart-csat"]["5 ★"] == 1
        assert sum(charts["chart-volume"].values()) >= SPIKE + len(ORDINARY)
        assert len(seen["titles"]) == 6
        # and the figures are `heed report`'s for the same database
        report = json.loads(subprocess.run(
            [sys.executable, "-c", "import sys; from heed_ops.cli import main; sys.exit(main())",
             "report", "--json", "--since", str(seen["json"]["since"]), "--by", "department"],
            capture_output=True, text=True, timeout=120, check=True,
            env={**os.environ, "HEED_DATABASE_URL": dsn}).stdout)
        shown: dict[str, Any] = seen["json"]
        for key in ("first_response_distribution", "volume_by_category", "alerts"):
            assert shown[key] == report[key], key
        # (not SLA compliance or backlog: demo SLAs fall due and cases move between the two reads; the
        # whole of case_figures is compared on a still database in tests/integration/router/test_supervision.py)
        for key in ("cases", "answered", "response_rate", "csat"):
            assert shown["case_figures"][key] == report["case_figures"][key], key
        assert charts["chart-csat"]["5 ★"] == report["case_figures"]["csat"]["distribution"]["5"]
        assert seen["load_rows"] == 2  # wang and mei
        assert seen["sla_sections"] >= 1  # demo SLAs run out in seconds
    finally:
        processes.stop_all()
        time.sleep(0.1)
