"""The routing table as it was built into the router before issue 9 moved it to
`deploy/config/routing-rules.yaml`: kept to prove the shipped file decides as it did."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from heed.contracts.events import Category as C
from heed.contracts.events import Complexity, HandlingMode, Urgency
from heed.contracts.events import HandlingMode as M
from heed.contracts.events import IssueType as Issue
from heed_router.adapters.rules_file import load_rules, shipped_rules_path
from heed_router.domain.rules import Match, Rule, RuleTable, SlaPolicy

# id, department, mode, SLA minutes, priority, match
BUILT_IN: list[tuple[str, str, HandlingMode, int, int, dict[str, Any]]] = [
    ("spam", "moderation", M.IGNORE, 24 * 60, 0, dict(category=[C.SPAM])),
    ("sensitive-data", "care-escalations", M.PRIVATE, 15, 90, dict(has_pii=True)),
    ("critical", "care-escalations", M.PRIVATE, 15, 95, dict(urgency=[Urgency.CRITICAL])),
    ("angry-complaint", "care-escalations", M.PRIVATE, 15, 85, dict(category=[C.COMPLAINT], urgency=[Urgency.HIGH])),
    ("billing", "billing", M.HOLDING, 30, 70, dict(category=[C.COMPLAINT], issue_type=[Issue.BILLING])),
    ("delivery", "logistics", M.HOLDING, 30, 70, dict(category=[C.COMPLAINT], issue_type=[Issue.SHIPPING_DELIVERY])),
    ("quality", "product-quality", M.HOLDING, 30, 70, dict(category=[C.COMPLAINT], issue_type=[Issue.PRODUCT_QUALITY])),
    ("attitude", "customer-service", M.HOLDING, 30, 75,
     dict(category=[C.COMPLAINT], issue_type=[Issue.SERVICE_ATTITUDE])),
    ("facilities", "facilities", M.HOLDING, 30, 70,
     dict(category=[C.COMPLAINT], issue_type=[Issue.FACILITIES_HYGIENE])),
    ("usage-general", "technical-support", M.ANSWER, 15, 60,
     dict(category=[C.COMPLAINT, C.QUESTION], issue_type=[Issue.USAGE_DIFFICULTY], complexity=[Complexity.GENERAL])),
    ("usage-complex", "technical-support", M.HOLDING, 30, 60, dict(issue_type=[Issue.USAGE_DIFFICULTY])),
    ("complaint", "customer-service", M.HOLDING, 30, 65, dict(category=[C.COMPLAINT])),
    ("question-complex", "customer-service", M.HOLDING, 30, 50,
     dict(category=[C.QUESTION], complexity=[Complexity.COMPLEX])),
    ("question", "customer-service", M.ANSWER, 15, 50, dict(category=[C.QUESTION])),
    ("sales-lead", "sales", M.HOLDING, 60, 60, dict(category=[C.SALES_LEAD])),
    ("praise", "marketing", M.ACKNOWLEDGE, 240, 20, dict(category=[C.PRAISE])),
    ("suggestion", "product", M.ACKNOWLEDGE, 240, 30, dict(category=[C.SUGGESTION])),
    ("catch-all", "customer-service", M.ACKNOWLEDGE, 240, 10, {}),
]

BUILT_IN_RULES = RuleTable(
    sla_policies={f"{m}m": SlaPolicy(due=timedelta(minutes=m)) for m in {row[3] for row in BUILT_IN}},
    rules=[Rule(id=i, department=d, mode=mode, sla=f"{sla}m", priority=p, match=Match.model_validate(match))
           for i, d, mode, sla, p, match in BUILT_IN])

SHIPPED_RULES = load_rules(shipped_rules_path())
