"""Answers, not only promises: the knowledge base operations edit (`deploy/config/knowledge.yaml`,
HEED_RESPONDER_KNOWLEDGE) holds the brand's checked answers to general questions (hours, policies,
links), each with the patterns that recognise its question per language.

A question's confidence in an entry is the sum of the weights of the entry's patterns found in
the post (capped at 1). At or above the file's threshold the customer gets the entry's answer
(a substantive reply: the case is answered); below it, the holding reply and the department's
queue. An explicit table, so what recognises a question is visible and testable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from heed.runtime.config_file import ConfigError, ItemProblem, parse_yaml
from heed_responder.domain.catalog import LANGUAGES, check_languages, template_problem
from heed_responder.domain.regional import to_simplified


class KnowledgeError(ConfigError):
    """A knowledge file that cannot be used; each line names a line and, inside one, the entry."""


class Pattern(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    match: str = Field(min_length=1, description="A regular expression, matched case-insensitively")
    weight: float = Field(default=0.5, gt=0, le=1)

    @field_validator("match")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as e:
            raise ValueError(f"not a valid regular expression ({e})") from None
        return value


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    patterns: dict[str, list[Pattern]]
    answer: dict[str, str]

    @field_validator("patterns", "answer")
    @classmethod
    def _languages(cls, value: dict[str, object]) -> dict[str, object]:
        check_languages(value, "entry")
        return value

    @cached_property
    def compiled(self) -> dict[str, list[tuple[re.Pattern[str], float]]]:
        return {lang: [(re.compile(p.match, re.IGNORECASE), p.weight) for p in patterns]
                for lang, patterns in self.patterns.items()}


class KnowledgeFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = Field(default=0.7, gt=0, le=1, description="The confidence an answer needs")
    entries: list[Entry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> KnowledgeFile:
        ids: set[str] = set()
        for index, entry in enumerate(self.entries):
            if entry.id in ids:
                raise ItemProblem(index, f"entry id {entry.id!r} is used twice")
            ids.add(entry.id)
            for lang in LANGUAGES:
                problem = template_problem(entry.answer[lang], lang)
                if problem:
                    raise ItemProblem(index, f"{lang} answer: {problem}")
        return self


@dataclass(frozen=True)
class Match:
    entry: Entry
    confidence: float


class Knowledge:
    def __init__(self, file: KnowledgeFile) -> None:
        self.file = file

    def match(self, text: str, language: str, script: str | None = None) -> Match | None:
        """The entry the question is most confidently about, if its confidence reaches the threshold.
        Chinese patterns are written in Simplified and match a Traditional post too (converted only
        when the post is Traditional: the conversion is the costly step)."""
        if language == "zh" and script == "Hant":
            text = f"{text}\n{to_simplified(text)}"
        best: Match | None = None
        for entry in self.file.entries:
            confidence = min(1.0, sum(w for pattern, w in entry.compiled.get(language, []) if pattern.search(text)))
            if confidence >= self.file.threshold and (best is None or confidence > best.confidence):
                best = Match(entry, round(confidence, 3))
        return best


EMPTY = Knowledge(KnowledgeFile())


def parse_knowledge(text: str, name: str) -> Knowledge:
    return Knowledge(parse_yaml(text, name, KnowledgeFile, items="entries", error=KnowledgeError,
                                expected="a mapping with `threshold` and `entries`"))
