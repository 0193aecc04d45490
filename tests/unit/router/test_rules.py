from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from heed.contracts.events import Category, Complexity, CustomerTier, HandlingMode, IssueType, Urgency
from heed_router.domain.rules import (
    _LATIN_WORD,
    Match,
    Rule,
    RuleTable,
    SlaPolicy,
    _fold,
    _prefix_tree,
    keyword_patterns,
    mentions_any,
    route,
)
from tests.unit.factories import classification, mention
from tests.unit.router.builtin_rules import SHIPPED_RULES


def decide(c, tier=CustomerTier.STANDARD, text="hi"):
    return route(SHIPPED_RULES, mention(text), c, tier)


def test_each_complaint_issue_goes_to_its_department_with_a_holding_reply():
    expected = {IssueType.BILLING: "billing", IssueType.SHIPPING_DELIVERY: "logistics",
                IssueType.PRODUCT_QUALITY: "product-quality", IssueType.SERVICE_ATTITUDE: "customer-service",
                IssueType.FACILITIES_HYGIENE: "facilities"}
    for issue, department in expected.items():
        d = decide(classification(Category.COMPLAINT, issue_type=issue))
        assert (d.department, d.mode) == (department, HandlingMode.HOLDING), issue


def test_general_questions_are_answered_within_15_minutes_and_complex_ones_get_a_holding_reply():
    general = decide(classification(Category.QUESTION, complexity=Complexity.GENERAL))
    complex_ = decide(classification(Category.QUESTION, complexity=Complexity.COMPLEX))
    assert (general.mode, general.sla) == (HandlingMode.ANSWER, timedelta(minutes=15))
    assert complex_.mode is HandlingMode.HOLDING


def test_pii_and_angry_customers_move_to_private_and_spam_is_ignored():
    assert decide(classification(Category.QUESTION, pii=["phone"])).mode is HandlingMode.PRIVATE
    angry = decide(classification(Category.COMPLAINT, urgency=Urgency.HIGH, issue_type=IssueType.BILLING))
    assert (angry.mode, angry.department) == (HandlingMode.PRIVATE, "care-escalations")
    assert decide(classification(Category.SPAM)).mode is HandlingMode.IGNORE


def test_vip_customers_get_higher_priority_and_half_the_sla():
    c = classification(Category.QUESTION)
    standard, vip = decide(c), decide(c, CustomerTier.VIP)
    assert vip.priority == standard.priority + 20
    assert vip.sla == standard.sla / 2


POLICIES = {"fast": SlaPolicy(due=timedelta(minutes=10))}
REST = Rule(id="rest", department="cs", mode=HandlingMode.ANSWER, sla="fast", priority=1)


def test_keyword_rules_match_case_insensitively():
    table = RuleTable(sla_policies=POLICIES, rules=[
        Rule(id="recall", match=Match(keywords=["Recall"]), department="legal", mode=HandlingMode.HOLDING,
             sla="fast", priority=99),
        REST,
    ])
    assert route(table, mention("is there a RECALL?"), classification(), CustomerTier.STANDARD).rule_id == "recall"
    assert route(table, mention("thanks"), classification(), CustomerTier.STANDARD).rule_id == "rest"


def test_rule_tables_are_validated():
    with pytest.raises(ValidationError, match="unique"):
        RuleTable(sla_policies=POLICIES, rules=[REST, REST])
    with pytest.raises(ValidationError, match="catch-all"):
        RuleTable(sla_policies=POLICIES, rules=[Rule(id="q", match=Match(category=[Category.QUESTION]),
                                                     department="cs", mode=HandlingMode.ANSWER, sla="fast",
                                                     priority=1)])
    with pytest.raises(ValidationError, match="unknown SLA policy 'slow'"):
        RuleTable(sla_policies=POLICIES, rules=[REST.model_copy(update={"sla": "slow"})])
    with pytest.raises(ValidationError):
        SlaPolicy(due=timedelta(0))


def _flat(keywords: list[str]) -> re.Pattern[str]:
    """The keyword pattern as a plain alternation, each keyword alone: what the prefix tree must equal."""
    alternatives = []
    for keyword in keywords:
        folded = _fold(keyword.strip())
        if _LATIN_WORD.match(folded):
            alternatives.append(r"(?<![0-9a-z])" + re.escape(folded) + r"(?![0-9a-z])")
        elif folded:
            alternatives.append(re.escape(folded))
    return re.compile("|".join(alternatives))


_ALPHABET = "abs eu'-律师消协ＬA.?*(|"  # Latin words, CJK, full width, and regex metacharacters


@settings(max_examples=300, deadline=None)
@given(keywords=st.lists(st.text(_ALPHABET, min_size=1, max_size=6).filter(str.strip), min_size=1, max_size=12),
       texts=st.lists(st.text(_ALPHABET, max_size=20), min_size=1, max_size=8))
def test_the_prefix_tree_matches_a_text_exactly_when_one_keyword_alone_would(keywords: list[str], texts: list[str]):
    tree = keyword_patterns(keywords)
    flat = _flat(keywords)
    for text in texts:
        assert mentions_any(tree, text) == bool(flat.search(_fold(text))), (keywords, text)


def test_the_prefix_tree_shares_prefixes_and_keeps_whole_words():
    written = _prefix_tree(["lawyer", "lawyers", "lawsuit", "sue", "sue you"])
    assert written == r"(?:law(?:suit|yer(?:s)?)|sue(?:\ you)?)"
    patterns = keyword_patterns(["lawyer", "sue", "律师"])
    assert [mentions_any(patterns, t) for t in ("my LAWYER", "pursue", "suex", "找律师", "lawyers")] == \
        [True, False, False, True, False]
