"""Routing rules: a table operations edit as YAML (`deploy/config/routing-rules.yaml`), validated here.

A rule's `match` holds conditions on everything a mention carries (its classification, its channel,
account and author, the listening match, the customer's tier and owner, keywords in its text); the
rule decides the owning department, how the responder handles the mention, its priority and its SLA
policy. Rules are tried in file order (`order: first_match`) or by priority, highest first, file
order breaking ties (`order: priority`); the first rule that holds decides. The last rule in file
order must match everything, so every mention gets a decision.

Parsing is pure (text in, table or `RulesError` out); reading the file and watching it for edits is
`adapters/rules_file.py`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time, timedelta
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

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
from heed.runtime.config_file import ConfigError, ItemProblem, parse_yaml

_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|min|h|d)\s*$")
_UNITS = {"s": timedelta(seconds=1), "m": timedelta(minutes=1), "min": timedelta(minutes=1), "h": timedelta(hours=1),
          "d": timedelta(days=1)}
# A keyword of Latin letters and digits matches whole words ("sue" is not in "issue", "court" not in
# "courteous"); other keywords (Chinese, Thai: written without spaces between words) match anywhere.
_LATIN_WORD = re.compile(r"^[0-9a-z][0-9a-z .'&-]*$")


@lru_cache(maxsize=512)
def _fold(text: str) -> str:
    """Case- and width-insensitive form: full-width Ｌａｗｙｅｒ and LAWYER both become lawyer.
    Cached: every rule with keywords folds the same mention's text."""
    return unicodedata.normalize("NFKC", text).casefold()


class Order(StrEnum):
    FIRST_MATCH = "first_match"
    PRIORITY = "priority"


class Sentiment(BaseModel):
    """A closed range of the classifier's sentiment, -1 (negative) to 1 (positive)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min: float = Field(default=-1.0, ge=-1.0, le=1.0)
    max: float = Field(default=1.0, ge=-1.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> Sentiment:
        if self.min > self.max:
            raise ValueError(f"sentiment min {self.min} is above max {self.max}")
        return self


class Match(BaseModel):
    """Every condition given must hold; a list means any of its values; an empty match matches everything."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: list[Category] | None = None
    issue_type: list[IssueType] | None = None
    urgency: list[Urgency] | None = None
    complexity: list[Complexity] | None = None
    sentiment: Sentiment | None = None
    channel: list[Channel] | None = None
    language: list[str] | None = Field(default=None, description="The classifier's language: en, zh, th, …")
    script: list[Literal["Hans", "Hant"]] | None = Field(default=None, description="Chinese script")
    account: list[str] | None = Field(default=None, description="The brand account addressed")
    listening: list[str] | None = Field(
        default=None, description="A listening match: a brand term or `executive:<name>`, case-insensitive")
    followers_min: int | None = Field(default=None, ge=0)
    tier: list[CustomerTier] | None = None
    owner: list[str] | None = Field(default=None, description="The customer's owner in the CRM")
    has_pii: bool | None = None
    keywords: list[str] | None = Field(
        default=None, description="Any of these in the text, case-insensitive; Latin keywords match whole words")

    @field_validator("language", "account", "listening", "owner", "keywords")
    @classmethod
    def _not_blank(cls, values: list[str] | None) -> list[str] | None:
        if values is not None and (not values or any(not v.strip() for v in values)):
            raise ValueError("give at least one value, none of them blank")
        return values

    @cached_property
    def _keyword_patterns(self) -> list[re.Pattern[str]]:
        return keyword_patterns(self.keywords or [])

    def holds(self, mention: Mention, c: Classification, tier: CustomerTier, owner: str | None = None) -> bool:
        if self.category is not None and c.category not in self.category:
            return False
        if self.issue_type is not None and c.issue_type not in self.issue_type:
            return False
        if self.urgency is not None and c.urgency not in self.urgency:
            return False
        if self.complexity is not None and c.complexity not in self.complexity:
            return False
        if self.sentiment is not None and not self.sentiment.min <= c.sentiment <= self.sentiment.max:
            return False
        if self.channel is not None and mention.channel not in self.channel:
            return False
        if self.language is not None and c.language not in self.language:
            return False
        if self.script is not None and c.script not in self.script:
            return False
        if self.account is not None and not _any_equal(mention.account, self.account):
            return False
        if self.listening is not None and not any(_any_equal(m, self.listening) for m in mention.matched):
            return False
        if self.followers_min is not None and mention.author.followers < self.followers_min:
            return False
        if self.tier is not None and tier not in self.tier:
            return False
        if self.owner is not None and not _any_equal(owner, self.owner):
            return False
        if self.has_pii is not None and bool(c.pii) != self.has_pii:
            return False
        if self.keywords is not None:
            if not mentions_any(self._keyword_patterns, mention.text):
                return False
        return True


def keyword_patterns(keywords: list[str]) -> list[re.Pattern[str]]:
    """One pattern for all the keywords (one search per text, not one per keyword): a Latin keyword
    matches whole words, others anywhere (see _LATIN_WORD). Written as prefix trees
    (`_prefix_tree`): the shipped PR rule's hundred keywords cost 27 µs a post as a flat
    alternation, 5 µs as a tree (docs/benchmarks/hot_paths.py)."""
    folded = [_fold(keyword.strip()) for keyword in keywords]
    words = [k for k in folded if _LATIN_WORD.match(k)]
    anywhere = [k for k in folded if k and not _LATIN_WORD.match(k)]
    alternatives = []
    if words:
        alternatives.append(r"(?<![0-9a-z])(?:" + _prefix_tree(words) + r")(?![0-9a-z])")
    if anywhere:
        alternatives.append(_prefix_tree(anywhere))
    return [re.compile("|".join(alternatives))] if alternatives else []


def _prefix_tree(keywords: list[str]) -> str:
    """A regular expression matching exactly `keywords` (none empty), written character by character:
    `lawyer|lawyers|lawsuit` becomes `law(?:suit|yer(?:s)?)`, so at each position of a text the
    search follows only the keywords that begin with its character."""
    tree: dict[str, dict] = {}  # type: ignore[type-arg]
    for keyword in keywords:
        node = tree
        for ch in keyword:
            node = node.setdefault(ch, {})
        node[""] = {}  # a keyword ends here

    def written(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
        branches = [re.escape(ch) + written(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        group = "(?:" + "|".join(branches) + ")" if len(branches) > 1 or "" in node else branches[0]
        return group + "?" if "" in node else group

    return written(tree)


def mentions_any(patterns: list[re.Pattern[str]], text: str) -> bool:
    folded = _fold(text)
    return any(p.search(folded) for p in patterns)


def _any_equal(value: str | None, allowed: list[str]) -> bool:
    return value is not None and _fold(value) in {_fold(a) for a in allowed}


def parse_duration(value: object) -> timedelta:
    """`30s`, `15m`, `4h`, `1d` (or whole minutes as a number) → a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return timedelta(minutes=value)
    found = _DURATION.match(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError(f"a duration is a number of minutes or like 30s, 15m, 4h, 1d; got {value!r}")
    return int(found.group(1)) * _UNITS[found.group(2)]


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class Escalation(BaseModel):
    """What an SLA breach does, beyond announcing it: raise the priority, move the case, notify."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    raise_priority: int = Field(default=10, ge=0, le=100)
    move_to: str | None = Field(default=None, min_length=1, description="A department's queue; none: stays")
    notify: bool = Field(default=True, description="POST the breach to the alert webhook, when one is set")


class SlaPolicy(BaseModel):
    """How long the department has, at what share of that a warning fires, and what a breach does."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    due: timedelta
    warning_share: float = Field(default=0.75, gt=0, lt=1)
    escalation: Escalation = Field(default_factory=Escalation)

    @field_validator("due", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        return parse_duration(value)

    @field_validator("due")
    @classmethod
    def _bounded(cls, value: timedelta) -> timedelta:
        if not timedelta(0) < value <= timedelta(days=7):
            raise ValueError("an SLA is more than 0 and at most 7 days")
        return value


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    match: Match = Field(default_factory=Match)
    department: str = Field(min_length=1)
    mode: HandlingMode
    priority: int = Field(ge=0, le=100)
    sla: str = Field(min_length=1, description="The name of an SLA policy")
    follow_up: Duration | None = Field(
        default=None, description="After resolution, when to ask the customer for a 1–5 rating; none: never")

    @field_validator("follow_up")
    @classmethod
    def _follow_up_bounded(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and not timedelta(0) < value <= timedelta(days=30):
            raise ValueError("a follow-up comes more than 0 and at most 30 days after resolution")
        return value

    @model_validator(mode="after")
    def _no_follow_up_to_spam(self) -> Rule:
        if self.follow_up is not None and self.mode is HandlingMode.IGNORE:
            raise ValueError("a rule whose mode is ignore (spam) cannot have a follow-up")
        return self


class Lifecycle(BaseModel):
    """How long a resolved case may be reopened, how long a claim holds, how many cases an agent holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reopen_window: Duration = timedelta(days=3)
    claim_timeout: Duration = timedelta(minutes=15)
    agent_capacity: int = Field(default=5, ge=1, le=1000)

    @field_validator("reopen_window", "claim_timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if not timedelta(0) < value <= timedelta(days=90):
            raise ValueError("a window is more than 0 and at most 90 days")
        return value


class Chasers(BaseModel):
    """A customer's follow-up that chases an answer ("still waiting") raises the case's urgency."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    keywords: list[str] = Field(default_factory=list)
    raise_to: Urgency = Urgency.HIGH

    @field_validator("keywords")
    @classmethod
    def _not_blank(cls, values: list[str]) -> list[str]:
        if any(not v.strip() for v in values):
            raise ValueError("a chaser keyword cannot be blank")
        return values

    @cached_property
    def patterns(self) -> list[re.Pattern[str]]:
        return keyword_patterns(self.keywords)


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_DAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WORKWEEK: tuple[Weekday, ...] = _DAYS[:5]
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class BusinessHours(BaseModel):
    """When a department works: its SLA counts only open time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str
    days: list[Weekday] = Field(default_factory=lambda: list(_WORKWEEK), min_length=1)
    start: str
    end: str
    holidays: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Hong_Kong)") from None
        return value

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"a time of day is HH:MM, 00:00 to 23:59; got {value!r}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def opening(self) -> tuple[time, time]:
        return time.fromisoformat(self.start), time.fromisoformat(self.end)

    def open_on(self, day: date) -> bool:
        return _DAYS[day.weekday()] in self.days and day not in self.holidays


class RuleProblem(ItemProblem):
    """A table-level problem that belongs to one rule (its index in the file)."""


class RuleTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    order: Order = Order.FIRST_MATCH
    sla_policies: dict[str, SlaPolicy] = Field(min_length=1)
    vip_priority_boost: int = Field(default=20, ge=0, le=100)
    vip_sla_factor: float = Field(default=0.5, gt=0, le=1)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
    chasers: Chasers = Field(default_factory=Chasers)
    business_hours: dict[str, BusinessHours] = Field(default_factory=dict)
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> RuleTable:
        seen: set[str] = set()
        for index, rule in enumerate(self.rules):
            if rule.id in seen:
                raise RuleProblem(index, f"rule id {rule.id!r} is used twice; ids must be unique")
            seen.add(rule.id)
            if rule.sla not in self.sla_policies:
                raise RuleProblem(index, f"unknown SLA policy {rule.sla!r} (defined: {', '.join(self.sla_policies)})")
        if self.rules[-1].match != Match():
            raise RuleProblem(len(self.rules) - 1, "the last rule must match everything (a catch-all)")
        return self

    @cached_property
    def in_order(self) -> list[Rule]:
        """The rules in the order they are tried."""
        if self.order is Order.PRIORITY:
            return sorted(self.rules, key=lambda r: -r.priority)  # stable: file order breaks ties
        return list(self.rules)


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule_id: str
    department: str
    mode: HandlingMode
    sla: timedelta
    sla_policy: str
    sla_warning_share: float
    priority: int
    follow_up: timedelta | None = None
    escalation: Escalation = Escalation()


def is_chaser(table: RuleTable, text: str) -> bool:
    """Whether a customer's message chases an answer, by the table's chaser keywords."""
    return mentions_any(table.chasers.patterns, text)


def route(table: RuleTable, mention: Mention, c: Classification, tier: CustomerTier,
          owner: str | None = None) -> Decision:
    """The first rule that holds decides; VIP customers get a higher priority and a shorter SLA."""
    rule = next((r for r in table.in_order if r.match.holds(mention, c, tier, owner)), table.rules[-1])
    policy = table.sla_policies[rule.sla]
    sla = policy.due
    priority = rule.priority
    if tier is CustomerTier.VIP and rule.mode is not HandlingMode.IGNORE:
        sla = sla * table.vip_sla_factor
        priority = min(100, priority + table.vip_priority_boost)
    return Decision(rule_id=rule.id, department=rule.department, mode=rule.mode, sla=sla, sla_policy=rule.sla,
                    sla_warning_share=policy.warning_share, priority=priority, follow_up=rule.follow_up,
                    escalation=policy.escalation)


class RulesError(ConfigError):
    """A routing-rules file that cannot be used; each line of the message names a line and a rule."""


def parse_rules(text: str, name: str) -> RuleTable:
    """The table in YAML `text`; `name` (the file's name) starts each problem in a `RulesError`."""
    return parse_yaml(text, name, RuleTable, items="rules", expected="a mapping with `sla_policies` and `rules`",
                      error=RulesError)
