"""The agent console in real Chromium, on the five services as processes, sending through the
Facebook Graph stand-in: nothing without a session, log in, the queue updates live, take next gets
the fair pick, a Traditional-Chinese complaint shows its classification and the customer's
preferences, the agent corrects its issue type (shown on the page, in the cases API's case and
received once on heed.classifier.corrections and in the classifier's table), the answer's preview
is in Traditional and is exactly what the platform receives, once (counted at the stand-in),
resolving schedules the follow-up, and a forged CSRF token is refused.
Writes docs/img/console-queue.png and docs/img/console-case.png (shown in the README)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page

from heed.contracts import topics
from heed_ingest.replay import replay_file
from heed_ops import agents
from heed_ops.console import console_env
from heed_ops.processes import ServiceProcesses, free_base_port
from tests.e2e.test_verify_page_browser import chromium
from tests.harness import client_publisher, count, rows, wait_for, write_jsonl
from tests.integration.test_dlq import records_on
from tests.standins import standins_in_thread

pytestmark = pytest.mark.e2e

PAGE = "lumo_tw"  # the brand's Taiwan page: its replies follow Taiwan usage
PASSWORD = "mei-console-password"
READER_TOKEN = "dashboard-reader-token-0123456789"
IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
COMPLAINT_AUTHOR = "fb-tw-1"
COMPLAINT = "你們又重複扣款兩次！我已經打了三次電話都沒人處理，太離譜了。我習慣用羽毛枕，下次入住請準備。"
# the same customer again on another post (a second case), then another customer: the fair rule
# serves the other customer before the first one's second case, although that one waited longer
OTHERS = [(COMPLAINT_AUTHOR, "你們又重複扣款兩次！我已經打了三次電話都沒人處理，太離譜了。這是另一筆訂單。"),
          ("fb-tw-2", "你們又重複扣款兩次！我已經打了三次電話都沒人處理，太離譜了。請馬上退款。"),
          ("fb-en-3", "I was charged twice for the same booking, what is my refund status?")]
ANSWER = "我们已经为您办理退款，款项会在三个工作日内退回您的账户，造成不便深感抱歉。"  # typed in Simplified


def _line(author: str, text: str, i: int) -> dict[str, object]:
    return {"channel": "facebook", "native_id": f"fb-post-{i}", "text": text, "account": PAGE,
            "author": {"id": author, "handle": author, "name": author, "followers": 10},
            "created_at": f"2026-11-23T08:0{i}:00+00:00"}


async def _login(page: Page, base: str) -> None:
    await page.goto(f"{base}/console/")
    assert "/console/login" in page.url  # no session: the login page
    await page.fill('input[name="name"]', "mei")
    await page.fill('input[name="password"]', PASSWORD)
    await page.click("#sign-in")
    await page.wait_for_url(f"{base}/console/queue/**")


def test_an_agent_works_a_case_in_the_console(database_url, fresh_broker, tmp_path: Path):
    dsn = database_url
    with standins_in_thread() as stand_ins:
        stand_ins.graph.grant_page("page-token", PAGE)
        env = {"HEED_KAFKA_BOOTSTRAP": fresh_broker, "HEED_DATABASE_URL": dsn, "HEED_INGEST_API_TOKENS": "t",
               "HEED_API_TOKENS": f"dashboard:reader:{READER_TOKEN}",
               "HEED_RESPONDER_CHANNEL_ADAPTER": "platforms", "HEED_RESPONDER_TICK_S": "0.5",
               "HEED_GRAPH_BASE_URL": f"{stand_ins.url}/graph",
               "HEED_FACEBOOK_PAGES": json.dumps({PAGE: {"access_token": "page-token"}})}
        processes = ServiceProcesses(env=env, log_dir=tmp_path / "logs", base_port=free_base_port())
        processes.env.update(console_env(processes))
        base = f"http://127.0.0.1:{processes.port('router')}"
        processes.start_all()
        try:
            processes.wait_ready(timeout=120)
            lines = [_line(COMPLAINT_AUTHOR, COMPLAINT, 1)] + [_line(a, t, i + 2) for i, (a, t) in enumerate(OTHERS)]

            async def seed() -> None:
                # one at a time, each routed before the next: the queue's "oldest" is the order they arrived
                async with client_publisher(fresh_broker) as publisher:
                    for n, line in enumerate(lines, start=1):
                        await replay_file(write_jsonl(tmp_path / f"mention-{n}.jsonl", [line]), publisher)

                        async def routed(n: int = n) -> bool:
                            return await count(dsn, "SELECT count(*) FROM router.cases") == n

                        await wait_for(routed, timeout=90)

                async def settled() -> bool:  # every automatic reply went out and crm-sync has the customer
                    return (await count(dsn, "SELECT count(*) FROM router.cases") == len(lines)
                            and await count(dsn, "SELECT count(*) FROM responder.replies WHERE status IN"
                                                 " ('pending', 'sending')") == 0
                            and await count(dsn, "SELECT count(*) FROM responder.replies") >= len(lines)
                            and await count(dsn, "SELECT count(*) FROM crm.preferences") >= 1)

                await wait_for(settled, timeout=120)

            asyncio.run(seed())
            first, again, other = asyncio.run(rows(
                dsn, "SELECT c.case_id, c.department, c.urgency_rank, c.customer FROM router.cases c"
                     " JOIN router.routed r ON r.mention_id = c.first_mention_id WHERE r.native_id = ANY($1::text[])"
                     " ORDER BY r.native_id", ["fb-post-1", "fb-post-2", "fb-post-3"]))
            complaint, department = first, first["department"]
            # the three wait in one queue with one urgency (the classifier read them alike), oldest first
            assert {r["department"] for r in (first, again, other)} == {department}
            assert {r["urgency_rank"] for r in (first, again, other)} == {first["urgency_rank"]}
            assert first["customer"] == again["customer"] != other["customer"]
            asyncio.run(agents.add(dsn, "mei", PASSWORD, "agent", [department], "en"))

            # a logged-out request is refused: data 401, a page redirects to the login page
            with httpx.Client(base_url=base) as anonymous:
                assert anonymous.get(f"/console/queue/{department}/rows").status_code == 401
                page_redirect = anonymous.get(f"/console/cases/{complaint['case_id']}", headers={"accept": "text/html"})
                assert page_redirect.status_code == 303 and "/console/login" in page_redirect.headers["location"]
            graph_before = sum(stand_ins.graph.requests.values())

            async def in_browser() -> dict[str, str]:
                async with chromium() as browser:
                    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
                    page = await context.new_page()
                    await _login(page, base)
                    assert page.url == f"{base}/console/queue/{department}"
                    watcher = await context.new_page()  # a second screen on the same queue, updated live
                    await watcher.goto(f"{base}/console/queue/{department}")
                    await watcher.wait_for_selector("#live.on")
                    queued = await page.locator("#queue tbody tr").count()
                    assert queued >= 1
                    await page.wait_for_timeout(1100)  # the countdowns tick
                    await page.screenshot(path=str(IMG / "console-queue.png"), full_page=True)

                    taken = []
                    for _ in range(2):
                        await page.goto(f"{base}/console/queue/{department}")
                        await page.click("#take-next")
                        await page.wait_for_url(f"{base}/console/cases/**")
                        taken.append(page.url.rsplit("/", 1)[1].split("?")[0])
                        claimed_row = watcher.locator(f'#queue tbody tr[data-case="{taken[-1]}"]')
                        await claimed_row.filter(has_text="agent:mei").wait_for(timeout=15_000)  # live, no reload

                    await page.goto(f"{base}/console/cases/{complaint['case_id']}")
                    if await page.locator("#claim").count():
                        await page.click("#claim")
                        await page.wait_for_load_state()
                    assert "complaint" in await page.inner_text("#category")
                    assert "Traditional" in await page.inner_text("#language")
                    assert (await page.inner_text("#explanation")).strip() not in ("", "—")
                    assert "feather" in await page.inner_text("#preferences")
                    assert COMPLAINT in await page.inner_text("#thread")

                    # correct the issue type the classifier gave: the page shows what, by whom, when
                    said = (await page.inner_text("#issue-type")).strip()
                    corrected = "service_attitude" if said != "service_attitude" else "billing"
                    await page.select_option("#correct-issue-type", corrected)
                    await page.click("#correct")
                    await page.wait_for_url("**done=correct")
                    shown = page.locator(f'#corrections li[data-field="issue_type"][data-corrected="{corrected}"]')
                    assert await shown.count() == 1
                    assert "agent:mei" in await shown.inner_text()
                    assert await shown.locator("time").get_attribute("datetime")

                    await page.fill("#answer-text", ANSWER)
                    await page.locator("#preview-text").filter(has_text="們").wait_for(timeout=15_000)
                    preview = await page.inner_text("#preview-text")
                    guard = await page.inner_text("#guard")
                    await page.screenshot(path=str(IMG / "console-case.png"), full_page=True)

                    # a forged CSRF token is refused, with the session's own cookie
                    forged = await page.evaluate(
                        """async (url) => (await fetch(url, {method: "POST", body: new URLSearchParams(
                               {text: "forged", csrf: "forged-token"})})).status""",
                        f"{base}/console/cases/{complaint['case_id']}/notes")
                    assert forged == 403

                    await page.click("#send")
                    await page.wait_for_url("**done=answer")
                    await page.locator("#delivery li.delivery-sent").wait_for(timeout=60_000)
                    await page.fill("#note-text", "VIP: refund approved by billing")
                    await page.click("#add-note")
                    await page.wait_for_url("**done=note")
                    note = page.locator("#thread li.internal")
                    assert "VIP: refund approved by billing" in await note.inner_text()
                    await page.select_option('select[name="language"]', "zh-Hant")  # the agent's own language
                    await page.locator("#resolve", has_text="解決").wait_for()
                    await page.click("#resolve")
                    await page.wait_for_url("**done=resolve")
                    await context.close()
                    return {"taken": ",".join(taken), "preview": preview, "guard": guard, "corrected": corrected}

            seen = asyncio.run(in_browser())
            # oldest first, then turns across customers: the other customer before the first one's second case
            assert seen["taken"] == f"{first['case_id']},{other['case_id']}"
            assert "為" in seen["preview"] and "們" in seen["preview"] and "们" not in seen["preview"]
            assert seen["guard"] == "The reply guard lets it go."
            delivered = [m for m in stand_ins.graph.messages if m.text == seen["preview"]]
            assert len(delivered) == 1  # exactly what the preview showed, received once
            assert sum(stand_ins.graph.requests.values()) - graph_before == 1  # and nothing else was sent
            case_id = complaint["case_id"]
            assert asyncio.run(count(dsn, "SELECT count(*) FROM router.case_timers WHERE case_id = $1"
                                          " AND kind = 'follow_up' AND fired_at IS NULL", case_id)) == 1
            trail = asyncio.run(rows(dsn, "SELECT action FROM router.agent_audit a JOIN router.agents g"
                                           " USING (agent_id) WHERE g.name = 'mei' ORDER BY seq"))
            actions = [r["action"] for r in trail]
            assert {"login", "take_next", "answer", "note", "language", "resolve", "correct"} <= set(actions)

            # the correction arrived where it must: the router's case, the topic and the classifier's table
            with httpx.Client(base_url=base, headers={"authorization": f"Bearer {READER_TOKEN}"}) as api:
                detail = api.get(f"/v1/cases/{case_id}").json()
            assert [(c["field"], c["corrected"], c["actor"]) for c in detail["corrections"]] == [
                ("issue_type", seen["corrected"], "agent:mei")]

            async def stored() -> bool:
                return await count(dsn, "SELECT count(*) FROM classifier.corrections") >= 1

            asyncio.run(wait_for(stored, timeout=60))
            kept = asyncio.run(rows(dsn, "SELECT mention_id, field, value, actor FROM classifier.corrections"))
            assert [(r["mention_id"], r["field"], r["value"], r["actor"]) for r in kept] == [
                (uuid.UUID(detail["first_mention_id"]), "issue_type",
                 seen["corrected"], "agent:mei")]
            published = asyncio.run(records_on(fresh_broker, topics.CLASSIFIER_CORRECTIONS))
            events = [json.loads(r.value) for r in published]
            assert [(e["mention_id"], e["corrected"]["issue_type"]) for e in events] == [
                (detail["first_mention_id"], seen["corrected"])]
        finally:
            processes.stop_all()
            time.sleep(0.1)
