"""The replies Heed sends by itself and the brand they speak for, from the file operations edit
(`deploy/config/replies.yaml`, HEED_RESPONDER_TEMPLATES).

Templates are Jinja2 in a sandboxed environment with strict undefined: a template can read only
the placeholders in KNOWN, and a typo is an error at load, never a `{{ nmae }}` sent to a
customer. The whole file is checked before it is used (see `Catalog.problems`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from heed.contracts.events import Category, IssueType
from heed.runtime.config_file import ConfigError, ItemProblem, parse_yaml
from heed_responder.domain.guard import GuardInput, check
from heed_responder.domain.regional import convert_template, to_traditional

LANGUAGES = ("en", "zh", "th")
# `name` is the name the post shows (the platform's display name or handle); `customer_name` the name on
# record (crm-sync's CustomerUpdate), empty when there is none or it would not fit the channel
KNOWN = frozenset({"name", "customer_name", "department", "case", "due", "hotline", "brand", "link"})
# templates that are not a reply to a handling mode: the handoff's private message, the in-place
# reply to a private conversation (and the link sentence added to it), the rating check-back
SPECIAL = ("handoff", "handoff_no_link", "private_in_place", "link_in_place", "follow_up")
REQUIRED = ("answer", "holding", "private", "acknowledge", *SPECIAL)
SAMPLE = {"name": "阿凯", "customer_name": "陈美玲", "department": "客户服务", "case": "AB12CD34",
          "due": "11月20日 16:30", "hotline": "400-820-0000", "brand": "Lumo", "link": "https://care.example.com/verify/x"}

_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


class CatalogError(ConfigError):
    """A replies file that cannot be used; each line names a line and, inside one, the template."""


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}: give an IANA name such as Asia/Hong_Kong") from None
    return value


Zone = Annotated[str, BeforeValidator(lambda v: _zone(str(v)))]


def check_languages(value: dict[str, Any], what: str) -> None:
    """Every language Heed writes in, and no other: a ValueError naming what is missing or unknown."""
    missing = [lang for lang in LANGUAGES if lang not in value]
    if missing:
        raise ValueError(f"missing language {', '.join(missing)}: every {what} is in {', '.join(LANGUAGES)}")
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        raise ValueError(f"unknown language {', '.join(unknown)} (the languages are {', '.join(LANGUAGES)})")


class Brand(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    hotline: str = Field(min_length=1)
    time_zone: Zone = "UTC"
    market: str | None = Field(default=None, description="HK, MO, TW, CN…: the Traditional standard by default")
    default_language: Literal["en", "zh", "th"] = "en"
    departments: dict[str, dict[Literal["en", "zh", "th"], str]] = Field(default_factory=dict)

    def department(self, department: str, language: str) -> str:
        return self.departments.get(department, {}).get(language, department)  # type: ignore[call-overload]


class BrandOverride(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    hotline: str | None = None
    time_zone: Zone | None = None
    market: str | None = None
    default_language: Literal["en", "zh", "th"] | None = None


class TemplateEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    mode: Literal["answer", "holding", "private", "acknowledge", *SPECIAL]  # type: ignore[valid-type]
    category: Category | None = None
    issue_type: IssueType | None = None
    text: dict[str, str | list[str]]

    @field_validator("text")
    @classmethod
    def _languages(cls, text: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        check_languages(text, "template")
        for lang, value in text.items():
            variants = [value] if isinstance(value, str) else value
            if not variants or any(not isinstance(v, str) or not v.strip() for v in variants):
                raise ValueError(f"{lang}: empty text")
        return text

    def variants(self, language: str) -> list[str]:
        value = self.text[language]
        return [value] if isinstance(value, str) else list(value)


class CatalogFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    brand: Brand
    accounts: dict[str, BrandOverride] = Field(default_factory=dict)
    templates: list[TemplateEntry]

    @model_validator(mode="after")
    def _check(self) -> CatalogFile:
        seen: dict[tuple[str, Category | None, IssueType | None], str] = {}
        ids: set[str] = set()
        for index, entry in enumerate(self.templates):
            if entry.id in ids:
                raise ItemProblem(index, f"template id {entry.id!r} is used twice")
            ids.add(entry.id)
            key = (entry.mode, entry.category, entry.issue_type)
            if key in seen:
                raise ItemProblem(index, f"matches exactly what template {seen[key]!r} matches")
            seen[key] = entry.id
            if entry.mode in SPECIAL and (entry.category or entry.issue_type):
                raise ItemProblem(index, f"a {entry.mode} template takes no category or issue type")
            for lang in LANGUAGES:
                for source in entry.variants(lang):
                    problem = template_problem(source, lang)
                    if problem:
                        raise ItemProblem(index, f"{lang}: {problem}")
        missing = [mode for mode in REQUIRED if (mode, None, None) not in seen]
        if missing:
            raise ValueError(f"no template for any category of: {', '.join(missing)}")
        return self


def template_problem(source: str, language: str) -> str | None:
    """Why a template text cannot be used, or None: it parses, names only known placeholders, and
    rendered with sample values, with a name on record and without, passes the guard's placeholder
    and script checks (Chinese in both scripts)."""
    try:
        parsed = _ENV.parse(source)
    except TemplateSyntaxError as e:
        return f"not a valid template: {e.message}"
    unknown = sorted(meta.find_undeclared_variables(parsed) - KNOWN)
    if unknown:
        return f"unknown placeholder {', '.join(unknown)} (known: {', '.join(sorted(KNOWN))})"
    scripts: list[tuple[str, str | None]] = [(source, None)]
    if language == "zh":
        scripts = [(source, "Hans"), (convert_template(source, None), "Hant")]
    for (text, script), customer_name in itertools.product(scripts, (SAMPLE["customer_name"], "")):
        values = {**SAMPLE, "customer_name": customer_name}
        if script == "Hant":
            values["department"] = to_traditional(SAMPLE["department"], None)
        rendered = _ENV.from_string(text).render(**values)
        verdict = check(GuardInput(text=rendered, channel="facebook", private=True, automatic=False, mode="answer",
                                   category=None, sentiment=None, sales_lead=False, post_text="",
                                   post_private=True, script=script,
                                   protected=[SAMPLE["name"], SAMPLE["customer_name"]]))
        bad = [r for r in verdict.reasons if r.split(":")[0] in ("placeholder", "script", "variant")]
        if bad:
            return "; ".join(bad)
    return None


@dataclass(frozen=True)
class Rendered:
    text: str
    language: str
    script: str | None
    template_id: str


class Catalog:
    """The checked file, ready to render: the brand per account, the most specific template per
    mode, category and issue type."""

    def __init__(self, file: CatalogFile) -> None:
        self.file = file
        self._by_key = {(t.mode, t.category, t.issue_type): t for t in file.templates}

    def brand_for(self, account: str | None) -> Brand:
        override = self.file.accounts.get(account or "")
        if override is None:
            return self.file.brand
        return self.file.brand.model_copy(update=override.model_dump(exclude_none=True))

    def pick(self, mode: str, category: Category | None = None, issue_type: IssueType | None = None
             ) -> TemplateEntry:
        """The most specific template: mode with category and issue type, then with the issue type
        or the category alone, then the mode alone (always there: the file is refused without)."""
        for key in ((mode, category, issue_type), (mode, None, issue_type), (mode, category, None), (mode, None, None)):
            found = self._by_key.get(key)
            if found is not None:
                return found
        raise KeyError(mode)  # unreachable for a checked file

    def render(self, entry: TemplateEntry, language: str, *, script: str | None, region: str | None,
               values: dict[str, str], keep: Sequence[str] = ()) -> list[Rendered]:
        """Each variant of the template in the customer's language and script, longest first.

        Traditional is made from the template (never from the rendered text), so the customer's
        name, handle and the link come out exactly as given; the department's name is converted.
        """
        out = []
        for index, source in enumerate(entry.variants(language)):
            text = render_text(source, language, script=script, region=region, values=values)
            suffix = f"#{index + 1}" if index else ""
            out.append(Rendered(text, language, script if language == "zh" else None, f"{entry.id}{suffix}/{language}"))
        return out


def render_text(source: str, language: str, *, script: str | None, region: str | None,
                values: dict[str, str]) -> str:
    """One template text with its values, in the customer's script: Traditional is made from the
    template (the values — their name, the link — come out as given), the department converted."""
    if language == "zh" and script == "Hant":
        source = convert_template(source, region)
        values = {**values, "department": to_traditional(values.get("department", ""), region)}
    return _compiled(source).render(**values).strip()


@lru_cache(maxsize=1024)
def _compiled(source: str) -> Template:
    return _ENV.from_string(source)


def parse_catalog(text: str, name: str) -> Catalog:
    return Catalog(parse_yaml(text, name, CatalogFile, items="templates", error=CatalogError,
                              expected="a mapping with `brand` and `templates`"))


def local_time(at: datetime, language: str, time_zone: str) -> str:
    """A due time as the customer reads it: in the brand's time zone, in their language's format."""
    local = at.astimezone(ZoneInfo(time_zone)) if at.tzinfo else at.replace(tzinfo=UTC)
    offset = local.utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset is not None else 0
    zone = "UTC" if hours == 0 else f"UTC{hours:+d}"
    if language == "zh":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    if language == "th":
        return f"{local.day} {_THAI_MONTHS[local.month - 1]} {local:%H:%M} น."
    return f"{local:%H:%M} ({zone}) on {local.day} {local:%b}"


_THAI_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
