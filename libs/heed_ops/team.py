"""A SIMULATED care team for `heed demo`: agents who work the departments' queues through the cases
API (take next by the fair rule, answer in the customer's language, resolve), and customers who
answer the follow-up with a rating. Nothing here is a real person; the demo's output says so.

The team answers only a share of each queue, so the cases it leaves show SLA warnings and breaches
firing; everything it does goes through the router's public API, as a console or another service
would, never into a table.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

QUEUE_STATUSES = ("new", "acknowledged", "pending_department")
PRIVATE_CHANNELS = ("whatsapp", "messenger", "wechat")

ANSWERS = {
    "en": "Thanks for your patience. We have looked into this and fixed it on our side; "
          "if anything is still not right, reply here and we will pick it up at once.",
    "zh": "感谢您的耐心等待。我们已经核实并处理好了这个问题；如果还有任何不妥，请直接在这里回复，我们会马上跟进。",
    "th": "ขอบคุณที่รอค่ะ เราตรวจสอบและแก้ไขเรื่องนี้ให้เรียบร้อยแล้ว หากยังมีอะไรไม่เรียบร้อย ตอบกลับที่นี่ได้เลยค่ะ",
}

DEMO_SLA_SECONDS = {"crisis": 50, "fast": 60, "standard": 75, "sales": 90, "relaxed": 120, "spam": 600}


def demo_rules(shipped: Path, out: Path) -> Path:
    """The shipped rules with SLAs, follow-ups and windows shortened to seconds, so a demo of a few
    minutes shows warnings, breaches and follow-ups; written to `out`."""
    table: dict[str, Any] = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    for name, policy in table["sla_policies"].items():
        policy["due"] = f"{DEMO_SLA_SECONDS.get(name, 90)}s"
    for rule in table["rules"]:
        if rule.get("follow_up"):
            rule["follow_up"] = "5s"
    table["lifecycle"] = {**table.get("lifecycle", {}), "reopen_window": "5m", "claim_timeout": "2m"}
    out.write_text("# heed demo: the shipped rules with SLAs in seconds (see heed_ops/team.py)\n"
                   + yaml.safe_dump(table, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


@dataclass
class TeamReport:
    """What the simulated team and customers did."""

    agents: list[str]
    taken: int = 0
    answered: int = 0
    answer_failed: int = 0
    resolved: int = 0
    left_waiting: int = 0
    ratings_sent: int = 0
    by_department: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"simulated": True, **self.__dict__}


def _share(case_id: str, share: float) -> bool:
    """A stable pseudo-random choice per case, so two demos tell the same story."""
    return int(hashlib.sha256(case_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


class Team:
    """Agents (one token each) working the queues through the cases API at `api`."""

    def __init__(self, api: str, tokens: dict[str, str], *, answer_share: float = 0.7,
                 say: Callable[[str], None] = lambda _: None) -> None:
        self.clients = {name: httpx.AsyncClient(base_url=api, timeout=30,
                                                headers={"authorization": f"Bearer {token}"})
                        for name, token in tokens.items()}
        self.answer_share = answer_share
        self.say = say
        self.report = TeamReport(agents=[f"agent:{name} (simulated)" for name in tokens])

    async def aclose(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self.clients.values()))

    @property
    def lead(self) -> httpx.AsyncClient:
        return next(iter(self.clients.values()))

    async def cases(self, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
            page = (await self.lead.get("/v1/cases", params=query)).raise_for_status().json()
            found += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return found

    async def work_queues(self) -> list[str]:
        """Each department's queue: the agents take the next case by turns and answer a share of
        them; returns the answered case ids."""
        waiting = await self.cases(status=list(QUEUE_STATUSES))
        departments: dict[str, int] = {}
        for case in waiting:
            departments[case["department"]] = departments.get(case["department"], 0) + 1
        answered: list[str] = []
        agents = list(self.clients.items())
        turn = 0
        for department, queued in sorted(departments.items()):
            quota = round(queued * self.answer_share)
            for _ in range(quota):
                name, client = agents[turn % len(agents)]
                turn += 1
                response = await client.post(f"/v1/departments/{department}/next")
                if response.status_code == 204:
                    break
                case = response.raise_for_status().json()
                self.report.taken += 1
                text = ANSWERS.get((case.get("language") or "en").split("-")[0], ANSWERS["en"])
                done = await client.post(f"/v1/cases/{case['case_id']}/answer", json={"text": text})
                if done.status_code == 200:
                    answered.append(case["case_id"])
                    self.report.answered += 1
                    self.report.by_department[department] = self.report.by_department.get(department, 0) + 1
                else:
                    self.say(f"  {name}: answer refused ({done.status_code}): {done.json().get('error')}")
        self.report.left_waiting = len(waiting) - self.report.answered
        return answered

    async def resolve_when_delivered(self, case_ids: Iterable[str], timeout: float = 90) -> list[dict[str, Any]]:
        """Resolve each answered case once its answer reached the customer; returns the resolved cases."""
        pending = set(case_ids)
        resolved: list[dict[str, Any]] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while pending and asyncio.get_running_loop().time() < deadline:
            for case_id in sorted(pending):
                case = (await self.lead.get(f"/v1/cases/{case_id}")).raise_for_status().json()
                if case["status"] == "awaiting_customer":
                    done = await self.lead.post(f"/v1/cases/{case_id}/resolve",
                                                json={"reason": "answered (simulated agent)"})
                    if done.status_code == 200:
                        resolved.append(case)
                        self.report.resolved += 1
                    pending.discard(case_id)
                elif case["status"] == "pending_department":  # the answer could not be sent
                    self.report.answer_failed += 1
                    pending.discard(case_id)
            if pending:
                await asyncio.sleep(0.5)
        return resolved

    async def followed_up(self, case_ids: Iterable[str], timeout: float = 60) -> list[dict[str, Any]]:
        """Wait for each resolved case's follow-up to be sent; returns those cases (with details)."""
        pending, sent = set(case_ids), []
        deadline = asyncio.get_running_loop().time() + timeout
        while pending and asyncio.get_running_loop().time() < deadline:
            for case_id in sorted(pending):
                case = (await self.lead.get(f"/v1/cases/{case_id}")).raise_for_status().json()
                if case.get("follow_up_sent_at"):
                    sent.append(case)
                    pending.discard(case_id)
            if pending:
                await asyncio.sleep(0.5)
        return sent


def rating_of(case_id: str) -> int:
    """The simulated customer's rating: mostly satisfied, some not."""
    return (5, 5, 4, 4, 5, 3, 4, 2, 5, 1)[int(hashlib.sha256(case_id.encode()).hexdigest()[:2], 16) % 10]


def rating_lines(cases: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each customer's answer to the follow-up, as a mention in the case's thread (sample format)."""
    lines = []
    for case in cases:
        channel, _, author = case["customer"].partition(":")
        lines.append({
            "channel": channel, "native_id": f"rating-{uuid.UUID(case['case_id']).hex[:12]}",
            "author": {"id": author, "handle": author, "name": None, "followers": 0},
            "text": str(rating_of(case["case_id"])), "in_reply_to": case["thread_root"],
            "created_at": datetime.now(UTC).isoformat(),
            **({"visibility": "private", "kind": "direct_message"} if channel in PRIVATE_CHANNELS
               else {"visibility": "public", "kind": "reply"}),
        })
    return lines


def write_lines(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path
