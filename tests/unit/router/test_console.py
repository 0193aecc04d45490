"""The console over in-memory ports: nothing without a session (pages redirect, data 401), the
login's CSRF and rate limit, cookie flags, CSRF on every command, the audit trail, take next,
answering with the preview, the customer panel and the agent's language."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import httpx

from heed.contracts.events import CaseStatus, Visibility
from heed_router.console.app import COOKIE, ConsolePorts, console_app
from heed_router.domain.accounts import LoginLimits
from tests.unit.router.fake_accounts import FakeAccounts
from tests.unit.router.fake_desk import T0, FakeDesk, summary

PASSWORD = "correct horse battery"


class FakeRecords:
    async def profile(self, identity: str) -> dict[str, Any] | None:
        return {"customer_id": str(uuid.UUID(int=7)), "tier": "vip", "owner": "agent:li", "identities": [
            {"channel": "weibo", "platform_id": identity.partition(":")[2], "handle": "chen"}],
            "preferences": [{"kind": "pillow", "value": "feather", "status": "confirmed"}],
            "consent": {"follow_up": {"granted": True}}, "cases": 3, "csat": 4.5}

    async def timeline(self, customer_id: str, limit: int = 200) -> list[dict[str, Any]]:
        return [{"at": T0.isoformat(), "type": "mention", "case_id": str(uuid.UUID(int=1)), "text": "扣款兩次",
                 "visibility": "public"}]


class FakeReplies:
    def __init__(self) -> None:
        self.previews: list[dict[str, Any]] = []

    async def snippets(self, **kw: Any) -> dict[str, Any]:
        return {"language": "zh", "script": "Hant", "items": [{"id": "answer", "kind": "template", "text": "您好"}]}

    async def preview(self, **kw: Any) -> dict[str, Any]:
        self.previews.append(kw)
        return {"text": kw["text"].replace("为", "為"), "language": "zh", "script": "Hant", "length": 3,
                "limit": 140, "ok": True, "reasons": []}

    async def secure_link(self, **kw: Any) -> dict[str, Any]:
        return {"text": "請由此驗證 https://care.example.com/verify/x", "expires_at": T0.isoformat()}


class World:
    def __init__(self, *, production: bool = False, limits: LoginLimits = LoginLimits()) -> None:
        self.desk = FakeDesk().add(*[summary(i) for i in range(3)], summary(9, department="sales"))
        self.accounts = FakeAccounts(limits=limits)
        self.accounts.add("li", PASSWORD, "agent", ("billing",), "zh-Hant")
        self.accounts.add("demo", "demo-console-password", "admin", (), "en", demo=True)
        self.replies = FakeReplies()
        self.now = T0
        self.app = console_app(ConsolePorts(
            desk=lambda: self.desk, accounts=lambda: self.accounts, customers=lambda: FakeRecords(),
            replies=lambda: self.replies, now=lambda: self.now, production=production,
            departments=lambda: ["billing", "sales"]), poll_s=0.01, heartbeat_s=0.05)

    def client(self, base: str = "http://127.0.0.1") -> httpx.AsyncClient:
        outer = _mounted(self.app)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=outer), base_url=base, follow_redirects=False)


def _mounted(app: Any) -> Any:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    return Starlette(routes=[Mount("/console", app=app)])


async def login(client: httpx.AsyncClient, name: str = "li", password: str = PASSWORD) -> httpx.Response:
    form = await client.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    return await client.post("/console/login", data={"name": name, "password": password, "csrf": csrf.group(1)})


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def test_nothing_without_a_session_pages_go_to_login_and_data_is_401():
    async with World().client() as c:
        page = await c.get("/console/queue/billing", headers={"accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"] == "/console/login?next=/console/queue/billing"
        for path in ("/console/queue/billing/rows", "/console/queue/billing/stream",
                     f"/console/cases/{uuid.UUID(int=1)}/delivery"):
            refused = await c.get(path)
            assert refused.status_code == 401 and "sign in" in refused.json()["error"]
        posted = await c.post("/console/queue/billing/next", data={"csrf": "x"})
        assert posted.status_code == 401


async def test_login_sets_a_session_cookie_http_only_same_site_and_secure_off_loopback():
    world = World()
    async with world.client() as c:
        done = await login(c)
        assert done.status_code == 303 and done.headers["location"] == "/console/"
        cookie = next(h for h in done.headers.get_list("set-cookie") if h.startswith(COOKIE)).lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie  # plain-http dev
        home = await c.get("/console/", headers={"accept": "text/html"})
        assert home.headers["location"] == "/console/queue/billing"
    async with world.client("https://care.example.com") as c:
        cookie = next(h for h in (await login(c)).headers.get_list("set-cookie") if h.startswith(COOKIE)).lower()
        assert "secure" in cookie
    assert world.accounts.actions() == ["login", "login"]


async def test_a_login_form_without_its_csrf_token_is_refused():
    world = World()
    async with world.client() as c:
        await c.get("/console/login")
        forged = await c.post("/console/login", data={"name": "li", "password": PASSWORD, "csrf": "forged"})
        assert forged.status_code == 403 and "CSRF" in forged.json()["error"]
        assert COOKIE not in forged.cookies


async def test_wrong_passwords_are_rate_limited_per_account():
    world = World(limits=LoginLimits(per_account=3, per_address=100))
    async with world.client() as c:
        for _ in range(3):
            refused = await login(c, password="wrong password!!")
            assert refused.headers["location"] == "/console/login?problem=refused"
        throttled = await login(c)  # even the right password waits out the window
        assert throttled.headers["location"] == "/console/login?problem=throttled"
        world.now = T0 + timedelta(minutes=16)
        assert (await login(c)).headers["location"] == "/console/"
    assert world.accounts.actions() == ["login_refused"] * 3 + ["login_throttled", "login"]


async def test_the_demo_login_is_refused_in_production():
    async with World(production=True).client("https://care.example.com") as c:
        assert (await login(c, "demo", "demo-console-password")).headers["location"].endswith("problem=refused")
    async with World().client() as c:
        assert (await login(c, "demo", "demo-console-password")).headers["location"] == "/console/"


async def test_every_command_needs_the_sessions_csrf_token():
    world = World()
    async with world.client() as c:
        await login(c)
        page = await c.get("/console/queue/billing")
        assert page.status_code == 200 and "接下一個" in page.text  # li reads the console in Traditional Chinese
        case_id = uuid.UUID(int=1)
        forged = await c.post(f"/console/cases/{case_id}/answer", data={"text": "hi", "visibility": "public",
                                                                       "csrf": "forged"})
        missing = await c.post(f"/console/cases/{case_id}/notes", data={"text": "hi"})
        header = await c.post(f"/console/cases/{case_id}/preview", json={"text": "hi"},
                              headers={"x-csrf-token": "forged"})
        assert [r.status_code for r in (forged, missing, header)] == [403, 403, 403]
        assert world.desk.answers == [] and world.desk.notes == []


async def test_take_next_claims_the_fair_pick_and_opens_it_with_an_audit_row():
    world = World()
    async with world.client() as c:
        await login(c)
        csrf = csrf_of((await c.get("/console/queue/billing")).text)
        taken = await c.post("/console/queue/billing/next", data={"csrf": csrf})
        assert taken.headers["location"] == f"/console/cases/{uuid.UUID(int=1)}"
        assert world.desk.cases[uuid.UUID(int=1)].claimed_by == "agent:li"
        other = await c.get("/console/queue/sales")
        assert other.status_code == 403  # not li's department
    assert ("li", "take_next", uuid.UUID(int=1), "billing") in world.accounts.trail


async def test_the_case_page_shows_the_customer_panel_and_answers_go_through_the_desk():
    world = World()
    async with world.client() as c:
        await login(c)
        case_id = uuid.UUID(int=1)
        page = await c.get(f"/console/cases/{case_id}")
        assert page.status_code == 200
        assert "pillow: feather" in page.text and "扣款兩次" in page.text and "vip" in page.text
        assert 'id="correct-classification"' in page.text  # the correction form (test_console_correct.py)
        csrf = csrf_of(page.text)
        shown = await c.post(f"/console/cases/{case_id}/preview", json={"text": "已为您处理", "visibility": "public"},
                             headers={"x-csrf-token": csrf})
        assert shown.json()["text"] == "已為您处理" and world.replies.previews[0]["channel"] == "weibo"
        assert world.replies.previews[0]["customer"] == "weibo:u0"
        sent = await c.post(f"/console/cases/{case_id}/answer",
                            data={"text": "已为您处理", "visibility": "public", "csrf": csrf})
        assert sent.headers["location"] == f"/console/cases/{case_id}?done=answer"
        assert world.desk.answers == [(case_id, "agent:li", "已为您处理", Visibility.PUBLIC)]
        link = await c.post(f"/console/cases/{case_id}/secure-link", data={"csrf": csrf})
        assert link.status_code == 303
        assert world.desk.answers[-1][2].startswith("請由此驗證") and world.desk.answers[-1][3] is Visibility.PRIVATE
        resolved = await c.post(f"/console/cases/{case_id}/resolve", data={"csrf": csrf})
        assert resolved.headers["location"].endswith("done=resolve")
        assert world.desk.cases[case_id].status is CaseStatus.RESOLVED
    assert [a for a in world.accounts.actions() if a != "open_case"] == [
        "login", "answer", "secure_link", "resolve"]


async def test_the_agent_chooses_the_consoles_language():
    world = World()
    async with world.client() as c:
        await login(c)
        csrf = csrf_of((await c.get("/console/queue/billing")).text)
        await c.post("/console/language", data={"language": "th", "csrf": csrf, "back": "/console/queue/billing"})
        assert "รับเคสถัดไป" in (await c.get("/console/queue/billing")).text
        refused = await c.post("/console/language", data={"language": "fr", "csrf": csrf})
        assert refused.status_code == 422


async def test_the_queue_page_renders_the_position_its_stream_resumes_from():
    world = World()
    async with world.client() as c:
        await login(c)
        await world.desk.claim(uuid.UUID(int=2), "agent:mei")  # one change before the page
        page = await c.get("/console/queue/billing")
        assert 'data-after="1"' in page.text
        assert (await c.get("/console/queue/sales/stream")).status_code == 403  # not li's queue


async def _stream_ends_when(world: World, end: Any) -> None:
    """Open li's queue stream, end the session with `end(client)` while it is open, and require the
    stream to stop (within 2 s) rather than keep sending the queue's changes."""
    import asyncio

    async with world.client() as c:
        await login(c)
        stream = asyncio.create_task(c.get("/console/queue/billing/stream"))
        await asyncio.sleep(0.1)
        assert not stream.done()  # a live session's stream stays open
        await end(c)
        done = await asyncio.wait_for(stream, timeout=2)
        assert done.status_code == 200


async def test_the_queue_stream_stops_when_the_agent_signs_out():
    world = World()

    async def sign_out(c: httpx.AsyncClient) -> None:
        csrf = csrf_of((await c.get("/console/queue/billing")).text)
        assert (await c.post("/console/logout", data={"csrf": csrf})).status_code == 303

    await _stream_ends_when(world, sign_out)


async def test_the_queue_stream_stops_when_the_agent_is_disabled():
    import dataclasses

    world = World()

    async def disable(c: httpx.AsyncClient) -> None:
        agent, password = world.accounts.agents["li"]
        world.accounts.agents["li"] = (dataclasses.replace(agent, disabled=True), password)

    await _stream_ends_when(world, disable)


async def test_every_answer_carries_the_security_headers_and_customer_data_is_never_cached():
    world = World()
    async with world.client() as c:
        await login(c)
        answers = [await c.get("/console/queue/billing"), await c.get("/console/queue/billing/rows"),
                   await c.get(f"/console/cases/{uuid.UUID(int=1)}/delivery"), await c.get("/console/"),
                   await c.get("/console/queue/sales/rows")]
        assert [a.status_code for a in answers] == [200, 200, 200, 303, 403]
        assert "u0" in answers[1].text  # the rows name customers
        for a in answers:
            assert a.headers["cache-control"] == "no-store"
            assert a.headers["x-frame-options"] == "DENY" and a.headers["x-content-type-options"] == "nosniff"
            policy = a.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in policy and "base-uri 'none'" in policy and "unsafe-inline" not in policy
    async with world.client() as c:
        refused = await c.get("/console/queue/billing/rows")
        assert refused.status_code == 401 and refused.headers["cache-control"] == "no-store"
        script = await c.get("/console/static/console.js")
        assert script.status_code == 200 and script.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in script.headers  # plain-http development
    async with World(production=True).client("https://care.example.com") as c:
        for answer in (await c.get("/console/login"), await c.get("/console/queue/billing/rows")):
            assert answer.headers["strict-transport-security"].startswith("max-age=")


async def test_next_and_back_never_send_the_browser_to_another_host():
    world = World()
    # served at the root (behind a proxy that strips a prefix) as well as under /console
    for prefix, client in (("", httpx.AsyncClient(transport=httpx.ASGITransport(app=world.app),
                                                   base_url="http://127.0.0.1")),
                           ("/console", world.client())):
        async with client as c:
            for far in ("//evil.example/x", "/\\evil.example/x", "/\t/evil.example/x", "https://evil.example/"):
                form = await c.get(f"{prefix}/login", params={"next": far})
                csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
                assert csrf is not None and "evil.example" not in form.text
                done = await c.post(f"{prefix}/login", data={"name": "li", "password": PASSWORD, "csrf": csrf.group(1),
                                                             "next": far})
                assert done.headers["location"] == f"{prefix}/"
                token = csrf_of((await c.get(f"{prefix}/queue/billing")).text)
                back = await c.post(f"{prefix}/language", data={"language": "en", "csrf": token, "back": far})
                assert back.headers["location"] == f"{prefix}/"
            kept = await c.post(f"{prefix}/language", data={"language": "en", "csrf": token,
                                                           "back": f"{prefix}/queue/billing"})
            assert kept.headers["location"] == f"{prefix}/queue/billing"


async def test_a_login_ends_the_session_the_browser_held_before():
    world = World()
    async with world.client() as c:
        await login(c)
        before = c.cookies[COOKIE]
        await login(c)
        assert c.cookies[COOKIE] != before
    async with world.client() as stale:
        stale.cookies.set(COOKIE, before)
        assert (await stale.get("/console/queue/billing/rows")).status_code == 401


async def _served_login_outcomes(trusted_proxies: str) -> list[str]:
    """Three wrong logins from 127.0.0.1 through the router as uvicorn serves it, each naming another
    client in X-Forwarded-For, with a limit of two failures per address."""
    from heed.runtime.service import public_config
    from heed_router.app import RouterService
    from heed_router.bootstrap import Overrides
    from heed_router.settings import RouterSettings

    accounts = FakeAccounts(limits=LoginLimits(per_account=100, per_address=2))
    service = RouterService(RouterSettings(kafka_bootstrap="127.0.0.1:1", console_trusted_proxies=trusted_proxies),
                            overrides=Overrides(accounts=accounts))
    config = public_config(service)
    config.load()  # the app as uvicorn serves it, with whatever middleware it adds
    transport = httpx.ASGITransport(app=config.loaded_app, client=("127.0.0.1", 50000))
    outcomes = []
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        for i in range(3):
            form = await c.get("/console/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert csrf is not None
            tried = await c.post("/console/login", headers={"x-forwarded-for": f"198.51.100.{i}"},
                                 data={"name": f"someone{i}", "password": "a guess", "csrf": csrf.group(1)})
            outcomes.append(tried.headers["location"].rpartition("=")[2])
    return outcomes


async def test_the_served_router_counts_logins_by_the_connection_not_a_forged_x_forwarded_for():
    # a client on the same host (make run, a sidecar): uvicorn would believe its X-Forwarded-For by default
    assert await _served_login_outcomes("") == ["refused", "refused", "throttled"]
    # HEED_CONSOLE_TRUSTED_PROXIES names the proxy: then each forwarded client is counted on its own
    assert await _served_login_outcomes("127.0.0.1") == ["refused", "refused", "refused"]


async def test_a_malformed_preview_request_is_answered_422_not_a_server_error():
    world = World()
    async with world.client() as c:
        await login(c)
        case_id = uuid.UUID(int=1)
        csrf = csrf_of((await c.get(f"/console/cases/{case_id}")).text)
        headers = {"x-csrf-token": csrf, "content-type": "application/json"}
        for body in ("not json", "[1, 2]", '{"text": "hi", "visibility": "everyone"}', '{"text": 5}'):
            refused = await c.post(f"/console/cases/{case_id}/preview", content=body, headers=headers)
            assert refused.status_code == 422 and refused.json()["error"]
        shown = await c.post(f"/console/cases/{case_id}/preview", content='{"text": "hi"}', headers=headers)
        assert shown.status_code == 200 and world.replies.previews[-1]["visibility"] == "public"


async def test_only_the_console_puts_words_in_a_pages_alert_box():
    world = World()
    case_id = uuid.UUID(int=1)
    lure = "Your password expired: enter it at care-example.help"
    async with world.client() as c:
        await login(c)
        csrf = csrf_of((await c.get(f"/console/cases/{case_id}")).text)
        blank = await c.post(f"/console/cases/{case_id}/answer", data={"text": "   ", "visibility": "public",
                                                                      "csrf": csrf})
        shown = await c.get(blank.headers["location"])  # the console's own problem is shown
        assert "the answer is blank" in shown.text
        for forged in (f"/console/cases/{case_id}?problem={lure}",
                       f"/console/cases/{case_id}?problem={lure}&sig=0123456789abcdef",
                       f"/console/queue/billing?problem={lure}"):
            page = await c.get(forged)
            assert page.status_code == 200 and "care-example.help" not in page.text
    async with world.client() as other:  # another session's link does not carry over either
        await login(other)
        assert "the answer is blank" not in (await other.get(blank.headers["location"])).text


async def test_a_customers_markup_is_shown_as_text_never_run(monkeypatch: Any):
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">'

    async def timeline(self: FakeRecords, customer_id: str, limit: int = 200) -> list[dict[str, Any]]:
        return [{"at": T0.isoformat(), "type": "mention", "case_id": str(uuid.UUID(int=1)), "text": hostile,
                 "visibility": "public"}]

    async def profile(self: FakeRecords, identity: str) -> dict[str, Any]:
        return {"customer_id": str(uuid.UUID(int=7)), "tier": hostile, "owner": None, "identities": [
            {"channel": "weibo", "platform_id": "u0", "handle": hostile}],
            "preferences": [{"kind": "pillow", "value": hostile, "status": "confirmed"}],
            "consent": {}, "cases": 1, "csat": None}

    monkeypatch.setattr(FakeRecords, "timeline", timeline)
    monkeypatch.setattr(FakeRecords, "profile", profile)
    async with World().client() as c:
        await login(c)
        page = await c.get(f"/console/cases/{uuid.UUID(int=1)}")
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert page.text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # thread, tier, handle, preference
