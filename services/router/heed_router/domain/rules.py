"""Routing rules: declarative, validated, first match wins.

A rule matches on the classification and the mention (category, issue type, channel, language,
urgency, PII, complexity, keywords, customer tier) and decides the owning department, how the
responder handles it, the SLA and the priority.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from heed.contracts.events import (
    Category,
    Channel,
    Classification,
    Complexity,
    CustomerTier,
    HandlingMode,
    IssueType,
    Mention,
    Urgency,
)


class Match(BaseModel):
    """Every condition given must hold; an empty match matches everything."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: list[Category] | None = None
    issue_type: list[IssueType] | None = None
    channel: list[Channel] | None = None
    language: list[str] | None = None
    urgency: list[Urgency] | None = None
    complexity: list[Complexity] | None = None
    tier: list[CustomerTier] | None = None
    has_pii: bool | None = None
    keywords: list[str] | None = Field(default=None, description="Any of these, case-insensitive")

    def holds(self, mention: Mention, c: Classification, tier: CustomerTier) -> bool:
        if self.category is not None and c.category not in self.category:
            return False
        if self.issue_type is not None and c.issue_type not in self.issue_type:
            return False
        if self.channel is not None and mention.channel not in self.channel:
            return False
        if self.language is not None and c.language not in self.language:
            return False
        if self.urgency is not None and c.urgency not in self.urgency:
            return False
        if self.complexity is not None and c.complexity not in self.complexity:
            return False
        if self.tier is not None and tier not in self.tier:
            return False
        if self.has_pii is not None and bool(c.pii) != self.has_pii:
            return False
        if self.keywords is not None:
            text = mention.text.casefold()
            if not any(k.casefold() in text for k in self.keywords):
                return False
        return True


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    match: Match = Field(default_factory=Match)
    department: str = Field(min_length=1)
    mode: HandlingMode
    sla_minutes: int = Field(gt=0, le=7 * 24 * 60)
    priority: int = Field(ge=0, le=100)


class RuleTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: list[Rule] = Field(min_length=1)
    vip_priority_boost: int = Field(default=20, ge=0, le=100)
    vip_sla_factor: float = Field(default=0.5, gt=0, le=1)

    @model_validator(mode="after")
    def _check(self) -> RuleTable:
        ids = [r.id for r in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rule ids must be unique; repeated: {', '.join(dupes)}")
        if self.rules[-1].match != Match():
            raise ValueError(f"the last rule must match everything (a catch-all); it is {self.rules[-1].id!r}")
        return self


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule_id: str
    department: str
    mode: HandlingMode
    sla: timedelta
    priority: int


def route(table: RuleTable, mention: Mention, c: Classification, tier: CustomerTier) -> Decision:
    """The first rule that holds decides; VIP customers get a higher priority and a shorter SLA."""
    rule = next(r for r in table.rules if r.match.holds(mention, c, tier))
    sla = timedelta(minutes=rule.sla_minutes)
    priority = rule.priority
    if tier is CustomerTier.VIP and rule.mode is not HandlingMode.IGNORE:
        sla = sla * table.vip_sla_factor
        priority = min(100, priority + table.vip_priority_boost)
    return Decision(rule_id=rule.id, department=rule.department, mode=rule.mode, sla=sla, priority=priority)


def _rule(id: str, department: str, mode: HandlingMode, sla: int, priority: int, **match: object) -> Rule:
    return Rule(id=id, match=Match.model_validate(match), department=department, mode=mode,
                sla_minutes=sla, priority=priority)


C, Issue, M = Category, IssueType, HandlingMode

DEFAULT_RULES = RuleTable(rules=[
    _rule("spam", "moderation", M.IGNORE, 24 * 60, 0, category=[C.SPAM]),
    _rule("sensitive-data", "care-escalations", M.PRIVATE, 15, 90, has_pii=True),
    _rule("critical", "care-escalations", M.PRIVATE, 15, 95, urgency=[Urgency.CRITICAL]),
    _rule("angry-complaint", "care-escalations", M.PRIVATE, 15, 85,
          category=[C.COMPLAINT], urgency=[Urgency.HIGH]),
    _rule("billing", "billing", M.HOLDING, 30, 70, category=[C.COMPLAINT], issue_type=[Issue.BILLING]),
    _rule("delivery", "logistics", M.HOLDING, 30, 70, category=[C.COMPLAINT],
          issue_type=[Issue.SHIPPING_DELIVERY]),
    _rule("quality", "product-quality", M.HOLDING, 30, 70, category=[C.COMPLAINT],
          issue_type=[Issue.PRODUCT_QUALITY]),
    _rule("attitude", "customer-service", M.HOLDING, 30, 75, category=[C.COMPLAINT],
          issue_type=[Issue.SERVICE_ATTITUDE]),
    _rule("facilities", "facilities", M.HOLDING, 30, 70, category=[C.COMPLAINT],
          issue_type=[Issue.FACILITIES_HYGIENE]),
    _rule("usage-general", "technical-support", M.ANSWER, 15, 60, category=[C.COMPLAINT, C.QUESTION],
          issue_type=[Issue.USAGE_DIFFICULTY], complexity=[Complexity.GENERAL]),
    _rule("usage-complex", "technical-support", M.HOLDING, 30, 60, issue_type=[Issue.USAGE_DIFFICULTY]),
    _rule("complaint", "customer-service", M.HOLDING, 30, 65, category=[C.COMPLAINT]),
    _rule("question-complex", "customer-service", M.HOLDING, 30, 50, category=[C.QUESTION],
          complexity=[Complexity.COMPLEX]),
    _rule("question", "customer-service", M.ANSWER, 15, 50, category=[C.QUESTION]),
    _rule("sales-lead", "sales", M.HOLDING, 60, 60, category=[C.SALES_LEAD]),
    _rule("praise", "marketing", M.ACKNOWLEDGE, 240, 20, category=[C.PRAISE]),
    _rule("suggestion", "product", M.ACKNOWLEDGE, 240, 30, category=[C.SUGGESTION]),
    _rule("catch-all", "customer-service", M.ACKNOWLEDGE, 240, 10),
])
