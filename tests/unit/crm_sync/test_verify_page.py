"""The verification page's HTTP side over fakes: what a browser receives for each kind of link and
form, in which language, and with which security headers."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from heed import secure_link
from heed_crm_sync.data_keys import DataKeys
from heed_crm_sync.handlers import VerificationPolicy
from heed_crm_sync.verify_page import VerifyPage
from tests.unit.crm_sync.fakes import FakePublisher, FakeVerifications
from tests.unit.fakes import FixedClock

LINK_KEY, DATA_KEY = b"l" * 32, b"d" * 32
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
CUSTOMER = uuid.uuid4()


class Site:
    def __init__(self, *, configured: bool = True, hsts: bool = False, base_url: str = "http://127.0.0.1") -> None:
        keys = DataKeys([DATA_KEY])
        self.store = FakeVerifications()
        self.store.add_phone(keys, CUSTOMER, "+66 81 234 5678")
        self.store.add_order(keys, CUSTOMER, "TH-1001")
        self.clock = FixedClock(NOW)
        policy = VerificationPolicy(data_keys=keys, link_keys=[LINK_KEY]) if configured else None
        self.page = VerifyPage(verifications=lambda: self.store, publisher=FakePublisher(), clock=self.clock,
                               policy=policy, hsts=hsts)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.page.app()), base_url=base_url)

    def link(self, language: str | None = None, expires_in: timedelta = timedelta(hours=1)) -> str:
        return "/" + secure_link.sign(LINK_KEY, secure_link.LinkClaims(uuid.uuid4(), CUSTOMER, uuid.uuid4(),
                                                                        NOW + expires_in, language))

    async def post(self, path: str, *, order: str = "TH-1001", last4: str = "5678", details: str = "ที่อยู่ใหม่",
                   form_token: str | None = None, **headers: str) -> httpx.Response:
        if form_token is None:
            form_token = token_in((await self.client.get(path)).text)
        return await self.client.post(path, data={"order_number": order, "last4": last4, "details": details,
                                                  "form_token": form_token}, headers=headers)


def token_in(html: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def page_of(response: httpx.Response) -> str:
    found = re.search(r'<body data-page="([a-z]+)"', response.text)
    assert found
    return found.group(1)


async def test_the_form_carries_every_security_header_and_a_style_nonce_that_matches_its_policy():
    site = Site()
    response = await site.client.get(site.link("th"))
    assert response.status_code == 200 and page_of(response) == "form"
    headers = response.headers
    nonce = re.search(r"style-src 'nonce-([^']+)'", headers["content-security-policy"])
    assert nonce and f'<style nonce="{nonce.group(1)}">' in response.text
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "<script" not in response.text
    assert (headers["referrer-policy"], headers["cache-control"], headers["x-frame-options"],
            headers["x-content-type-options"], headers["content-language"]) == (
        "no-referrer", "no-store", "DENY", "nosniff", "th")
    assert "strict-transport-security" not in headers  # plain HTTP and no setting
    assert '<html lang="th">' in response.text and "หมายเลขคำสั่งซื้อ" in response.text


@pytest.mark.parametrize(("hsts", "base_url", "sent"), [(True, "http://127.0.0.1", True),
                                                         (False, "https://care.example.com", True),
                                                         (False, "http://127.0.0.1", False)])
async def test_hsts_goes_out_over_https_or_when_the_setting_says_so(hsts, base_url, sent):
    site = Site(hsts=hsts, base_url=base_url)
    response = await site.client.get(site.link())
    assert ("strict-transport-security" in response.headers) is sent


async def test_without_a_language_in_the_link_the_browsers_is_used():
    site = Site()
    response = await site.client.get(site.link(), headers={"accept-language": "zh-TW,zh;q=0.9"})
    assert '<html lang="zh-Hant">' in response.text and "訂單編號" in response.text


async def test_an_expired_link_shows_the_expired_page_in_the_links_language_and_keeps_nothing():
    site = Site()
    path = site.link("zh-Hans", expires_in=timedelta(minutes=10))
    token = token_in((await site.client.get(path)).text)
    site.clock.time = NOW + timedelta(minutes=10)
    for response in (await site.client.get(path), await site.post(path, form_token=token)):
        assert (response.status_code, page_of(response)) == (410, "expired")
        assert "此链接已过期" in response.text
    assert site.store.failures == {} and site.store.used == {} and site.store.details == {}


async def test_a_changed_link_shows_the_invalid_page():
    site = Site()
    path = site.link()
    changed = path[:40] + ("A" if path[40] != "A" else "B") + path[41:]
    response = await site.client.get(changed)
    assert (response.status_code, page_of(response)) == (404, "invalid")


async def test_verified_then_reused_the_second_visit_is_refused():
    site = Site()
    path = site.link("th")
    response = await site.post(path)
    assert (response.status_code, page_of(response)) == (200, "verified")
    assert "ยืนยันตัวตนเรียบร้อยแล้ว" in response.text
    again = await site.client.get(path)
    assert (again.status_code, page_of(again)) == (410, "used")


async def test_a_wrong_last_4_says_how_many_tries_are_left_and_never_echoes_what_was_typed():
    site = Site()
    path = site.link("en")
    response = await site.post(path, last4="9999", order="<b>TH-1001</b>", details="secret-address")
    assert (response.status_code, page_of(response)) == (422, "form")
    assert "Attempts left: 4." in response.text
    assert "secret-address" not in response.text and "9999" not in response.text


async def test_five_wrong_tries_lock_the_link():
    site = Site()
    path = site.link("en")
    pages = [page_of(await site.post(path, last4="0000")) for _ in range(5)]
    assert pages == ["form", "form", "form", "form", "locked"]
    assert page_of(await site.client.get(path)) == "locked"


async def test_a_form_posted_from_another_site_or_without_our_token_counts_nothing():
    site = Site()
    path = site.link("en")
    cross = await site.post(path, **{"sec-fetch-site": "cross-site"})
    forged = await site.post(path, form_token="forged")
    assert [(r.status_code, page_of(r)) for r in (cross, forged)] == [(403, "form"), (403, "form")]
    assert "This page was open too long" in forged.text
    assert site.store.failures == {} and site.store.used == {}


async def test_an_incomplete_form_is_refused_without_counting_and_a_huge_one_is_not_read():
    site = Site()
    path = site.link("en")
    response = await site.post(path, last4="12")
    assert (response.status_code, page_of(response)) == (400, "form")
    huge = await site.client.post(path, content=b"details=" + b"x" * 100_000,
                                  headers={"content-type": "application/x-www-form-urlencoded"})
    assert huge.status_code == 400
    assert site.store.failures == {}


async def test_without_keys_the_page_says_it_is_unavailable():
    site = Site(configured=False)
    response = await site.client.get("/anything", headers={"accept-language": "th"})
    assert (response.status_code, page_of(response)) == (503, "unavailable")
    assert "ยังยืนยันตัวตนไม่ได้ในขณะนี้" in response.text


async def test_the_page_describes_itself_in_an_openapi_document_that_no_token_can_shadow():
    site = Site()
    response = await site.client.get("/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    document = response.json()
    operations = document["paths"]["/verify/{token}"]
    assert set(operations) == {"get", "post"}
    assert operations["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"][
        "required"] == ["form_token", "order_number", "last4"]
    assert {"200", "410", "422"} <= set(operations["post"]["responses"])
