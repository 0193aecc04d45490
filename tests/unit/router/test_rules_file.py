"""The rules file operations edit: the shipped example, errors that name the line and rule, hot reload."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from heed.contracts.events import (
    Author,
    Category,
    Channel,
    CustomerTier,
    HandlingMode,
    Mention,
    RawMention,
    Urgency,
)
from heed_classifier.domain.classifier import Classifier
from heed_ingest.domain.generic import parse_generic
from heed_ingest.domain.normalise import build_mentions
from heed_router.adapters.rules_file import RulesFile, load_rules, shipped_rules_path
from heed_router.app import RouterService
from heed_router.domain.rules import RulesError, parse_rules, route
from heed_router.settings import RouterSettings
from tests.unit.factories import classification, mention
from tests.unit.router.builtin_rules import BUILT_IN_RULES, SHIPPED_RULES

SAMPLE = Path(__file__).resolve().parents[3] / "deploy" / "samples" / "mentions.jsonl"

VALID = """\
order: first_match
sla_policies:
  fast: {due: 15m, warning_share: 0.5}
  slow: {due: 4h}
rules:
  - id: vip-complaints
    match: {category: [complaint], tier: [vip]}
    department: care-escalations
    mode: private
    priority: 90
    sla: fast
  - id: rest
    department: customer-service
    mode: acknowledge
    priority: 10
    sla: slow
"""


def _problem(text: str) -> str:
    with pytest.raises(RulesError) as raised:
        parse_rules(text, "routing-rules.yaml")
    return str(raised.value)


HOSPITALITY_RULES = ("food-beverage", "room", "booking")


def test_the_shipped_file_decides_as_the_built_in_rules_did_on_the_classified_sample():
    raw = RawMention(event_id=uuid.uuid4(),
                     source="replay", body=SAMPLE.read_bytes(), received_at=datetime(2026, 11, 20, tzinfo=UTC))
    mentions = build_mentions([(raw, d) for d in parse_generic(SAMPLE.read_bytes(), ndjson=True)], {})
    classifications = Classifier.load().classify_batch(mentions)
    assert len(mentions) >= 300
    crisis = []
    for m, c in zip(mentions, classifications, strict=True):
        for tier in CustomerTier:
            new, old = route(SHIPPED_RULES, m, c, tier), route(BUILT_IN_RULES, m, c, tier)
            if new.rule_id in HOSPITALITY_RULES:
                # issue types added after the built-in rules (issue 12): they went to the general rule
                assert old.rule_id in ("complaint", "question", "question-complex"), m.native_id
                continue
            if new.rule_id == "pr-crisis":
                # a threat the built-in rules already escalated; now public relations owns it
                assert old.mode in (HandlingMode.PRIVATE, HandlingMode.HOLDING), m.native_id
                crisis.append(m.native_id)
                continue
            assert (new.rule_id, new.department, new.mode, new.sla, new.priority) == (
                old.rule_id, old.department, old.mode, old.sla, old.priority), m.native_id
    # the sample's threats (lawyers, 12315, the press, a scalding) reach public relations: a few, not many
    assert 5 <= len(crisis) // len(CustomerTier) <= 20


@pytest.mark.parametrize("text", [
    "My lawyer will be in touch about this. Sue you? Absolutely.",
    "Third time the dryer sparked. I'm going to the news with this, the media should know",
    "再不处理我就找媒体曝光，并且起诉你们",
    "你們再不回覆我就找律師，順便投訴到消委會",
    "ถ้าไม่รับผิดชอบจะฟ้องและออกสื่อแน่นอน",
    "my kid got an electric shock from the kettle and we went to HOSPITAL",
])
def test_a_threat_of_lawyers_media_or_harm_goes_to_public_relations_first_with_a_short_sla(text):
    d = route(SHIPPED_RULES, mention(text), classification(Category.COMPLAINT, urgency=Urgency.HIGH),
              CustomerTier.STANDARD)
    assert (d.rule_id, d.department, d.mode) == ("pr-crisis", "pr-crisis", HandlingMode.PRIVATE)
    assert d.priority >= 95 and d.sla <= timedelta(minutes=10)


@pytest.mark.parametrize("text", ["Is there an issue with my order?", "The staff were so courteous", "我想问一下价格"])
def test_ordinary_words_do_not_look_like_a_threat(text):
    assert route(SHIPPED_RULES, mention(text), classification(), CustomerTier.STANDARD).rule_id != "pr-crisis"


def test_a_valid_file_gives_policies_and_rules_in_file_order():
    table = parse_rules(VALID, "routing-rules.yaml")
    assert [r.id for r in table.in_order] == ["vip-complaints", "rest"]
    assert table.sla_policies["fast"].due == timedelta(minutes=15)
    d = route(table, mention("late again"), classification(Category.COMPLAINT), CustomerTier.VIP)
    assert (d.rule_id, d.sla_policy, d.sla_warning_share) == ("vip-complaints", "fast", 0.5)


def test_priority_order_tries_the_highest_priority_first():
    text = VALID.replace("order: first_match", "order: priority").replace("priority: 10", "priority: 95")
    table = parse_rules(text, "routing-rules.yaml")
    assert [r.id for r in table.in_order] == ["rest", "vip-complaints"]


def test_conditions_on_everything_a_mention_carries():
    text = VALID.replace("match: {category: [complaint], tier: [vip]}", """match:
      category: [complaint]
      issue_type: [billing]
      urgency: [high]
      sentiment: {max: -0.3}
      channel: [weibo]
      language: [zh]
      script: [Hans]
      account: ["@lumo"]
      listening: ["executive:Li Wei"]
      followers_min: 10000
      tier: [vip]
      owner: [kam]
      keywords: [退款]""")
    table = parse_rules(text, "routing-rules.yaml")
    m = mention("我要退款", Channel.WEIBO, account="@Lumo", matched=["Lumo", "executive:li wei"],
                author=Author(platform_id="u1", followers=20000))
    c = classification(Category.COMPLAINT, issue_type="billing", urgency=Urgency.HIGH, sentiment=-0.8,
                       language="zh", script="Hans")
    assert route(table, m, c, CustomerTier.VIP, "kam").rule_id == "vip-complaints"
    misses: list[tuple[Mention, object, CustomerTier, str | None]] = [
        (m, c, CustomerTier.VIP, "someone-else"),
        (m, c, CustomerTier.STANDARD, "kam"),
        (m.model_copy(update={"author": Author(platform_id="u1", followers=5)}), c, CustomerTier.VIP, "kam"),
        (m.model_copy(update={"matched": ["Lumo"]}), c, CustomerTier.VIP, "kam"),
        (m.model_copy(update={"channel": Channel.X}), c, CustomerTier.VIP, "kam"),
        (m, c.model_copy(update={"sentiment": 0.1}), CustomerTier.VIP, "kam"),
        (m, c.model_copy(update={"script": "Hant"}), CustomerTier.VIP, "kam"),
        (m.model_copy(update={"text": "谢谢"}), c, CustomerTier.VIP, "kam"),
    ]
    for miss_m, miss_c, tier, owner in misses:
        assert route(table, miss_m, miss_c, tier, owner).rule_id == "rest"  # type: ignore[arg-type]


def test_an_unknown_value_names_its_line_and_rule():
    problem = _problem(VALID.replace("category: [complaint]", "category: [complain]"))
    assert problem.startswith("routing-rules.yaml line 7, rule 'vip-complaints': unknown category 'complain'")


def test_unknown_keys_are_errors_wherever_they_are():
    assert _problem(VALID.replace("category: [complaint]", "categroy: [complaint]")).startswith(
        "routing-rules.yaml line 7, rule 'vip-complaints': unknown key 'categroy'")
    assert _problem(VALID.replace("    department: customer-service", "    dept: customer-service")) \
        .splitlines()[0] == "routing-rules.yaml line 12, rule 'rest': missing key 'department'"
    assert "line 1: unknown key 'rulez'" in _problem("rulez: []\n" + VALID)


def test_table_level_problems_name_the_rule_they_are_about():
    assert _problem(VALID.replace("sla: fast", "sla: quick")) == (
        "routing-rules.yaml line 6, rule 'vip-complaints': unknown SLA policy 'quick' (defined: fast, slow)")
    assert _problem(VALID.replace("id: rest", "id: vip-complaints")).startswith(
        "routing-rules.yaml line 12, rule 'vip-complaints': rule id 'vip-complaints' is used twice")
    assert _problem(VALID.replace("    department: customer-service", "    match: {channel: [x]}\n"
                                  "    department: customer-service")).startswith(
        "routing-rules.yaml line 12, rule 'rest': the last rule must match everything")


def test_bad_values_and_bad_yaml_name_their_line():
    assert _problem(VALID.replace("priority: 90", "priority: 190")).startswith(
        "routing-rules.yaml line 10, rule 'vip-complaints': priority:")
    assert _problem(VALID.replace("due: 4h", "due: soon")).startswith(
        "routing-rules.yaml line 4: a duration is a number of minutes or like 30s, 15m, 4h, 1d; got 'soon'")
    assert _problem(VALID.replace("mode: private", "mode: [private")).startswith(
        "routing-rules.yaml line 1")
    assert "not valid YAML" in _problem(VALID.replace("mode: private", "mode: [private"))
    assert _problem("") == "routing-rules.yaml line 1: expected a mapping with `sla_policies` and `rules`"


def _edit(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    stat = path.stat()  # a later mtime even on a file system with coarse timestamps
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_an_edit_is_swapped_in_and_a_bad_edit_keeps_the_last_good_table(tmp_path, caplog):
    path = tmp_path / "routing-rules.yaml"
    path.write_text(VALID, encoding="utf-8")
    rules = RulesFile(path)
    first = rules.current()
    assert rules.check() is False and rules.current() is first

    _edit(path, VALID.replace("department: care-escalations", "department: vip-desk"))
    assert rules.check() is True
    assert rules.current().rules[0].department == "vip-desk" and rules.problem is None

    good = rules.current()
    _edit(path, VALID.replace("mode: private", "mode: privat"))
    assert rules.check() is False
    assert rules.current() is good
    assert rules.problem is not None and "line 9, rule 'vip-complaints': unknown mode 'privat'" in rules.problem
    assert "keeping the last good version" in caplog.text

    _edit(path, VALID)
    assert rules.check() is True and rules.problem is None
    assert rules.current().rules[0].department == "care-escalations"


def test_a_configmap_update_by_symlink_swap_is_picked_up_even_with_the_same_size_and_time(tmp_path):
    # the layout the kubelet writes: file → ..data/file, ..data → a timestamped directory, swapped atomically
    first, second = tmp_path / "..2026_11_23_1", tmp_path / "..2026_11_23_2"
    first.mkdir()
    second.mkdir()
    (first / "routing-rules.yaml").write_text(VALID, encoding="utf-8")
    edited = VALID.replace("department: care-escalations", "department: care-escalation2")
    assert len(edited) == len(VALID)
    (second / "routing-rules.yaml").write_text(edited, encoding="utf-8")
    stat = (first / "routing-rules.yaml").stat()
    os.utime(second / "routing-rules.yaml", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    (tmp_path / "..data").symlink_to(first.name)
    (tmp_path / "routing-rules.yaml").symlink_to("..data/routing-rules.yaml")
    rules = RulesFile(tmp_path / "routing-rules.yaml")
    assert rules.current().rules[0].department == "care-escalations"

    (tmp_path / "..data_tmp").symlink_to(second.name)
    os.replace(tmp_path / "..data_tmp", tmp_path / "..data")
    assert rules.check() is True
    assert rules.current().rules[0].department == "care-escalation2"


def test_a_bad_file_at_start_stops_the_router(tmp_path):
    path = tmp_path / "routing-rules.yaml"
    path.write_text(VALID.replace("mode: private", "mode: privat"), encoding="utf-8")
    with pytest.raises(RulesError, match="line 9, rule 'vip-complaints'"):
        RouterService(RouterSettings(kafka_bootstrap="127.0.0.1:1", router_rules=path))
    with pytest.raises(RulesError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")


async def test_readyz_says_rules_false_and_why_while_an_edit_is_refused(tmp_path):
    path = tmp_path / "routing-rules.yaml"
    path.write_text(VALID, encoding="utf-8")
    service = RouterService(RouterSettings(kafka_bootstrap="127.0.0.1:1", router_rules=path))
    assert service.rules_file is not None
    _edit(path, VALID.replace("category: [complaint]", "category: [complain]"))
    service.rules_file.check()
    assert service.rules().rules[0].match.category == [Category.COMPLAINT]  # the last good table
    transport = httpx.ASGITransport(app=service.internal_asgi())
    async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
        response = await client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["checks"]["rules"] is False
    assert body["reasons"]["rules"].startswith("routing-rules.yaml line 7, rule 'vip-complaints': unknown category")


def test_the_router_uses_the_shipped_example_by_default():
    assert shipped_rules_path().name == "routing-rules.yaml"
    assert RouterService(RouterSettings(kafka_bootstrap="127.0.0.1:1")).rules() == SHIPPED_RULES
