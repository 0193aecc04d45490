"""Correcting the classifier from the case view, over the in-memory ports: the form offers the
contract's values in the agent's language, a correction goes to the desk's `correct` with the
session's CSRF token and leaves an audit row, the page then shows what was corrected, by whom and
when, and a form that corrects nothing, names a value the contract lacks or another department's
case is refused with nothing recorded."""

from __future__ import annotations

import re
import uuid

from heed.contracts.events import Category, IssueType, Urgency
from tests.unit.router.test_console import World, csrf_of, login

CASE = uuid.UUID(int=1)


def _options(html: str, select_id: str) -> list[str]:
    found = re.search(rf'<select name="[a-z_]+" id="{select_id}">(.*?)</select>', html, re.S)
    assert found is not None, select_id
    return re.findall(r'<option value="([^"]*)"', found.group(1))


async def test_the_form_offers_the_contracts_values_in_the_agents_language():
    world = World()
    async with world.client() as c:
        await login(c)  # li reads the console in Traditional Chinese
        page = (await c.get(f"/console/cases/{CASE}")).text
    assert _options(page, "correct-category") == ["", *[v.value for v in Category]]
    assert _options(page, "correct-issue-type") == ["", *[v.value for v in IssueType]]
    assert _options(page, "correct-urgency") == ["", *[v.value for v in Urgency]]
    assert "facilities_hygiene" in _options(page, "correct-issue-type")
    assert '<option value="billing">帳單扣款</option>' in page and '<option value="complaint">客訴</option>' in page
    assert 'id="corrections"' not in page  # nothing corrected yet


async def test_a_correction_reaches_the_desk_is_audited_and_shows_on_the_case():
    world = World()
    async with world.client() as c:
        await login(c)
        csrf = csrf_of((await c.get(f"/console/cases/{CASE}")).text)
        done = await c.post(f"/console/cases/{CASE}/corrections", data={
            "csrf": csrf, "category": "", "issue_type": "service_attitude", "urgency": "high", "language": ""})
        assert done.status_code == 303 and done.headers["location"] == f"/console/cases/{CASE}?done=correct"
        page = (await c.get(f"/console/cases/{CASE}")).text
    kept = {(x.field.value, x.corrected, x.actor) for x in world.desk.corrections[CASE]}
    assert kept == {("issue_type", "service_attitude", "agent:li"), ("urgency", "high", "agent:li")}
    assert world.desk.cases[CASE].urgency is Urgency.HIGH  # a corrected urgency becomes the case's
    shown = re.search(r'<ul id="corrections">(.*?)</ul>', page, re.S)
    assert shown is not None
    assert "服務態度" in shown.group(1) and "agent:li" in shown.group(1) and "2026-" in shown.group(1)
    assert 'data-field="issue_type" data-corrected="service_attitude"' in shown.group(1)
    trail = [row for row in world.accounts.trail if row[1].startswith("correct")]
    assert trail == [("li", "correct", CASE, "issue_type=service_attitude; urgency=high")]


async def test_a_correction_without_the_sessions_csrf_token_is_refused():
    world = World()
    async with world.client() as c:
        await login(c)
        forged = await c.post(f"/console/cases/{CASE}/corrections", data={"csrf": "forged", "issue_type": "billing"})
        missing = await c.post(f"/console/cases/{CASE}/corrections", data={"issue_type": "billing"})
    assert [forged.status_code, missing.status_code] == [403, 403]
    assert world.desk.corrections == {}


async def test_corrections_that_say_nothing_or_name_no_contract_value_are_refused():
    world = World()
    async with world.client() as c:
        await login(c)
        csrf = csrf_of((await c.get(f"/console/cases/{CASE}")).text)
        empty = await c.post(f"/console/cases/{CASE}/corrections", data={"csrf": csrf, "issue_type": ""})
        unknown = await c.post(f"/console/cases/{CASE}/corrections", data={"csrf": csrf, "issue_type": "weather"})
        bad_tag = await c.post(f"/console/cases/{CASE}/corrections", data={"csrf": csrf, "language": "French!"})
        other_mention = await c.post(f"/console/cases/{CASE}/corrections", data={
            "csrf": csrf, "issue_type": "billing", "mention_id": str(uuid.UUID(int=5))})
        sales = await c.post(f"/console/cases/{uuid.UUID(int=10)}/corrections", data={"csrf": csrf,
                                                                                      "issue_type": "billing"})
    assert empty.status_code == 303 and "problem=" in empty.headers["location"]
    assert unknown.status_code == 422 and "issue_type" in unknown.json()["error"]
    assert bad_tag.status_code == 422 and "language" in bad_tag.json()["error"]
    assert other_mention.status_code == 303 and "problem=" in other_mention.headers["location"]  # the desk's 404
    assert sales.status_code == 403  # not li's department
    assert world.desk.corrections == {}
    assert [row[1] for row in world.accounts.trail if row[1].startswith("correct")] == ["correct_refused"]
