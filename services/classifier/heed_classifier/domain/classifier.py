"""The classifier: reads a mention as a care agent would, one step per field, without I/O.

Language and Chinese script come from character evidence; PII from validated patterns; issue
type, urgency and complexity from cue words in en / zh (both scripts) / th. Sentiment and the
category blend a learned model (character n-grams, `model.py`, trained by `heed classifier
train`) with the cue words, which also decide spam, sales leads and suggestions. Each field
carries a confidence and the explanation names the evidence.

`Classifier._classify` reads as the steps run: `read_language`, `category_from_cues` (or
`category_from_model`, nudged by the cues), `read_sentiment`, `settle_category` (where category
and sentiment must agree), `decide_issue`, `decide_urgency`, `decide_complexity`, `find_pii`,
`explain`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from heed.contracts.events import Author, Category, Classification, Complexity, IssueType, Mention, Urgency
from heed_classifier.domain import lexicon
from heed_classifier.domain.model import LinearModel
from heed_classifier.domain.pii import find_pii
from heed_classifier.domain.scripts import ScriptCounts, count_scripts, detect_language, detect_script

SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "model"
RULES_VERSION = "rules-1"
MAX_CHARS = 4000  # the opening of a very long post carries its intent; bounded cost per post
HIGH_REACH_FOLLOWERS = 10_000
_HAN = re.compile("[\u4e00-\u9fff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
STRONGLY_NEGATIVE = -0.5
CUE_WEIGHT = 0.12  # what one cue word adds to the learned probability of its category
# no training data: these come from cue words alone
RULE_ONLY_CATEGORIES = (Category.SPAM, Category.SALES_LEAD, Category.SUGGESTION)
# what one cue word weighs when the cue words alone decide (a problem stated with a question
# mark is still a complaint); in this order, the first wins a tie
CUE_CATEGORY_WEIGHTS = {
    Category.COMPLAINT: 2.0,
    Category.SALES_LEAD: 1.5,
    Category.SUGGESTION: 1.3,
    Category.QUESTION: 1.0,
    Category.PRAISE: 1.0,
}
ISSUE_CATEGORIES = (Category.COMPLAINT, Category.QUESTION, Category.SUGGESTION)  # the ones with an issue
# legal or safety cue words make these critical; praise, spam, leads and suggestions never are
CRITICAL_CATEGORIES = (Category.COMPLAINT, Category.QUESTION, Category.OTHER)
LOW_URGENCY_CATEGORIES = (Category.SPAM, Category.PRAISE, Category.OTHER)
# a clearly negative post in these reads as a complaint (see settle_category)
NEGATIVE_MEANS_COMPLAINT = (Category.QUESTION, Category.OTHER)


@lru_cache(maxsize=1)
def _to_simplified_table() -> dict[int, str]:
    import opencc

    table: dict[int, str] = {}
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        if len(source) == 1 and targets:
            table[ord(source)] = targets.split()[0]
    return table


def model_text(text: str) -> str:
    """What the learned heads read: Chinese folded to Simplified, so both scripts share what was learned."""
    text = text[:MAX_CHARS]
    if _HAN.search(text):
        return text.translate(_to_simplified_table())
    return text


class Cues:
    """A table of cue words, compiled once. English (ASCII-letter) cues match whole words (not
    `late` in chocolate); the others match as substrings of the case-folded text."""

    __slots__ = ("_others", "_pattern")

    def __init__(self, cues: Sequence[str]) -> None:
        words = [c for c in cues if c.isascii() and any(ch.isalpha() for ch in c)]
        self._others = tuple(c for c in cues if c not in words)
        alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        self._pattern = re.compile(rf"(?<![a-z])(?:{alternation})(?![a-z])") if words else None

    def found_in(self, text: str) -> list[str]:
        found = [c for c in self._others if c in text]
        if self._pattern is not None:
            found += self._pattern.findall(text)
        return found


CATEGORY_CUES = {category: Cues(cues) for category, cues in lexicon.CATEGORY_CUES.items()}
ISSUE_CUES = {issue: Cues(cues) for issue, cues in lexicon.ISSUE_CUES.items()}
POSITIVE_CUES, NEGATIVE_CUES = Cues(lexicon.POSITIVE), Cues(lexicon.NEGATIVE)
CRITICAL_CUES, REPEAT_CUES, COMPLEX_CUES = (Cues(lexicon.CRITICAL_CUES), Cues(lexicon.REPEAT_CUES),
                                            Cues(lexicon.COMPLEX_CUES))


def _quoted(cues: Sequence[str]) -> str:
    return ", ".join(repr(c) for c in cues[:3])


@dataclass(slots=True)
class Reading:
    """What the characters say: the language, the Chinese script, and the text cue words are found in."""

    raw: str  # the opening every decision reads (MAX_CHARS)
    counts: ScriptCounts
    language: str
    language_confidence: float
    script: Literal["Hans", "Hant"] | None
    script_confidence: float
    text: str  # case-folded, and Chinese folded to Simplified as the cue words are written


@dataclass(slots=True)
class CategoryDecision:
    category: Category
    confidence: float
    cues: list[str]  # the cue words of the category first chosen, named in the explanation
    note: str = ""  # what else had a say: the model's probability, the sentiment, no words at all


@dataclass(slots=True)
class LearnedIntent:
    """The model's intent, each category's probability nudged by its cue words."""

    blended: dict[Category, float]  # in the model's label order
    p_complaint: float  # the model's own probability of a complaint, before the nudge

    def runner_up(self, excluded: Category) -> Category:
        return max((k for k in self.blended if k != excluded), key=lambda k: self.blended[k])


@dataclass(slots=True)
class Sentiment:
    value: float  # -1 … 1, before the category has its say
    from_cues: float
    confidence: float


@dataclass(slots=True)
class IssueDecision:
    issue_type: IssueType | None
    confidence: float
    cues: list[str]  # every issue cue word found, of any issue type
    distinct: int  # how many issue types the post names


@dataclass(slots=True)
class UrgencyDecision:
    urgency: Urgency
    reason: str  # empty when nothing raised it above its category's default


@dataclass(slots=True)
class ComplexityDecision:
    complexity: Complexity
    reasons: list[str]


def read_language(raw: str, counts: ScriptCounts, fold: dict[int, str]) -> Reading:
    """The language by script; for any post with Chinese characters (but Japanese), its script."""
    language, language_confidence = detect_language(counts)
    script: Literal["Hans", "Hant"] | None = None
    script_confidence = 1.0
    if counts.han and language != "ja":  # a mixed post with Chinese in it gets its script too
        script, script_confidence = detect_script(counts)
    text = raw.casefold().translate(fold) if language == "zh" else raw.casefold()
    return Reading(raw, counts, language, language_confidence, script, script_confidence, text)


def category_cues(text: str) -> dict[Category, list[str]]:
    """The cue words found for each category that has cue words (all but `other`)."""
    return {category: cues.found_in(text) for category, cues in CATEGORY_CUES.items()}


def category_from_cues(cues: dict[Category, list[str]]) -> CategoryDecision:
    """Spam if any spam cue; else the category whose cue words weigh most; `other` without any."""
    if cues[Category.SPAM]:
        return CategoryDecision(Category.SPAM, 0.8, cues[Category.SPAM])
    weighted = {category: len(cues[category]) * weight for category, weight in CUE_CATEGORY_WEIGHTS.items()}
    best = max(weighted, key=lambda k: weighted[k])
    if weighted[best] == 0:
        return CategoryDecision(Category.OTHER, 0.4, [])
    total = sum(weighted.values())
    return CategoryDecision(best, round(min(0.95, 0.4 + 0.6 * weighted[best] / total), 3), cues[best])


def category_from_model(p_intent: np.ndarray, labels: Sequence[Category],
                        cues: dict[Category, list[str]]) -> tuple[CategoryDecision, LearnedIntent]:
    """The learned intent head decides, nudged by each cue word found (up to three per category)."""
    blended = {label: float(p_intent[i]) + CUE_WEIGHT * min(3, len(cues.get(label, ())))
               for i, label in enumerate(labels)}
    p_complaint = float(p_intent[labels.index(Category.COMPLAINT)]) if Category.COMPLAINT in labels else 0.0
    best = max(blended, key=lambda k: blended[k])
    decision = CategoryDecision(best, round(min(0.99, blended[best] / sum(blended.values())), 3),
                                cues.get(best, []), f" (model {float(p_intent[labels.index(best)]):.2f})")
    return decision, LearnedIntent(blended, p_complaint)


def read_sentiment(reading: Reading, p_sentiment: np.ndarray | None, labels: Sequence[str] | None) -> Sentiment:
    """Positive minus negative cue words, blended with the learned sentiment head where there is one."""
    pos, neg = len(POSITIVE_CUES.found_in(reading.text)), len(NEGATIVE_CUES.found_in(reading.text))
    from_cues = 0.0 if pos + neg == 0 else (pos - neg) / (pos + neg)
    if p_sentiment is None or labels is None:
        return Sentiment(from_cues, from_cues, 0.5 if pos + neg == 0 else 0.7)
    learned = float(p_sentiment[labels.index("positive")] - p_sentiment[labels.index("negative")])
    # Chinese cue words are matched as substrings (好 inside 不好), so there the model leads
    weight = 0.9 if reading.language == "zh" else 0.7
    value = learned if pos + neg == 0 else weight * learned + (1 - weight) * from_cues
    return Sentiment(value, from_cues, round(float(max(p_sentiment)), 3))


def settle_category(decision: CategoryDecision, sentiment: Sentiment, cues: dict[Category, list[str]],
                    intent: LearnedIntent | None, language: str) -> tuple[CategoryDecision, float]:
    """Where category and sentiment must agree; returns the category and the sentiment reported.

    `intent` is None where the cue words alone decided (no model, or a rule-only category).
    """
    category, confidence, note = decision.category, decision.confidence, decision.note
    value = sentiment.value
    if category is Category.COMPLAINT and not cues[Category.COMPLAINT] and value > 0 and intent is not None:
        # a complaint is a negative post: the model's complaint without a complaint cue word needs the
        # sentiment to agree, otherwise the runner-up category stands
        category = intent.runner_up(Category.COMPLAINT)
        note += f" (not a complaint: sentiment {value:+.2f})"
    if category is Category.COMPLAINT and value > -0.2:
        value = -0.2 if sentiment.from_cues >= 0 else min(-0.2, sentiment.from_cues)  # a complaint is negative
    value = round(value, 3) + 0.0  # no -0.0
    if category in NEGATIVE_MEANS_COMPLAINT and value <= STRONGLY_NEGATIVE and (
            intent is None or intent.p_complaint >= 0.2):
        # a clearly negative post that reads a little like a complaint is one, however it is phrased
        category, confidence = Category.COMPLAINT, round(min(0.9, 0.5 - value / 2), 3)
        note += f" (sentiment {value:+.2f})"
    if language == "und" and not decision.cues:
        # no words at all (emoji, symbols, nothing): only a clear feeling makes it more than "other"
        value = round(sentiment.value, 3)
        category = Category.PRAISE if value >= 0.5 else Category.COMPLAINT if value <= -0.5 else Category.OTHER
        confidence, note = 0.5, " (no words)"
    return CategoryDecision(category, confidence, decision.cues, note), value


def decide_issue(text: str, category: Category) -> IssueDecision:
    """The issue type whose cue words are most found, for complaints, questions and suggestions.

    A complaint without an issue cue is about `other`; a question or suggestion has none.
    """
    if category not in ISSUE_CATEGORIES:
        return IssueDecision(None, 1.0, [], 0)
    hits = {issue: cues.found_in(text) for issue, cues in ISSUE_CUES.items()}
    best = max(hits, key=lambda k: len(hits[k]))
    if not hits[best]:
        return IssueDecision(IssueType.OTHER, 0.4, [], 0) if category is Category.COMPLAINT \
            else IssueDecision(None, 0.5, [], 0)
    found = [c for cues in hits.values() for c in cues]
    distinct = sum(1 for cues in hits.values() if cues)
    return IssueDecision(best, round(min(0.9, 0.4 + 0.5 * len(hits[best]) / len(found)), 3), found, distinct)


def _shouting(raw: str) -> bool:
    return sum(1 for w in raw.split() if len(w) > 3 and w.isupper()) >= 2 or "!!!" in raw or "！！" in raw


def decide_urgency(category: Category, critical: list[str], reading: Reading, author: Author) -> UrgencyDecision:
    """Critical on a legal or safety cue; a complaint is high when repeated, angry or from a
    high-reach author; spam, praise and `other` are low; the rest normal."""
    if critical and category in CRITICAL_CATEGORIES:
        return UrgencyDecision(Urgency.CRITICAL, f"mentions {_quoted(critical)}")
    reasons = []
    if category is Category.COMPLAINT:
        if REPEAT_CUES.found_in(reading.text):
            reasons.append("repeated complaint")
        if _shouting(reading.raw):
            reasons.append("angry tone")
        if author.followers >= HIGH_REACH_FOLLOWERS or author.verified:
            reasons.append("high-reach author")
    if reasons:
        return UrgencyDecision(Urgency.HIGH, ", ".join(reasons))
    if category in LOW_URGENCY_CATEGORIES:
        return UrgencyDecision(Urgency.LOW, "")
    return UrgencyDecision(Urgency.NORMAL, "")


def decide_complexity(text: str, issue: IssueDecision, critical: list[str]) -> ComplexityDecision:
    """Complex as after-sales practice has it: money back, damage, legal, or several issues at once."""
    complex_cues = COMPLEX_CUES.found_in(text)
    reasons = ([repr(c) for c in complex_cues[:3]] + (["several issues"] if issue.distinct >= 2 else [])
               + (["legal or safety"] if critical else []))
    return ComplexityDecision(Complexity.COMPLEX if reasons else Complexity.GENERAL, reasons)


def explain(reading: Reading, category: CategoryDecision, issue: IssueDecision, urgency: UrgencyDecision,
            complexity: ComplexityDecision, pii: list[str]) -> str:
    """The evidence for each field, in the order a reader checks them; PII by kind, never its value."""
    why = [f"language {reading.language}" + (
        f" ({reading.script}: {reading.counts.simplified} simplified-only,"
        f" {reading.counts.traditional} traditional-only chars)" if reading.script else "")]
    why.append(f"category {category.category}{category.note}"
               + (f" from {_quoted(category.cues)}" if category.cues else ""))
    if issue.cues:
        why.append(f"issue {issue.issue_type} from {_quoted(issue.cues)}")
    if urgency.reason:
        why.append(f"urgency {urgency.urgency.value}: {urgency.reason}")
    if complexity.complexity is Complexity.COMPLEX:
        why.append("complex: " + ", ".join(complexity.reasons))
    if pii:
        why.append(f"PII: {', '.join(pii)} (private handling)")
    return "; ".join(why)


def _intent_labels(model: LinearModel | None) -> tuple[Category, ...]:
    if model is None or "intent" not in model.heads:
        return ()
    labels = model.heads["intent"].labels
    unknown = [label for label in labels if label not in {c.value for c in Category}]
    if unknown:
        raise ValueError(f"the artefact's intent head has labels that are no category: {', '.join(unknown)}; "
                         f"retrain with labels among {', '.join(Category)}")
    return tuple(Category(label) for label in labels)


class Classifier:
    """Loads once, classifies many; `classify_batch` is the hot path."""

    def __init__(self, model: LinearModel | None = None) -> None:
        self.model = model
        self.version = f"{RULES_VERSION}+{model.version}" if model else RULES_VERSION
        self._fold = _to_simplified_table()
        self._intent_labels = _intent_labels(model)
        self._sentiment_labels = model.heads["sentiment"].labels if model and "sentiment" in model.heads else None

    @classmethod
    def load(cls, model_dir: Path | None = None) -> Classifier:
        """The shipped artefact, or a retrained one from `model_dir`; never downloads anything."""
        directory = Path(model_dir) if model_dir is not None else SHIPPED_MODEL
        return cls(LinearModel.load(directory))

    def classify_batch(self, mentions: Sequence[Mention]) -> list[Classification]:
        if not mentions:
            return []
        if self.model is None:
            return [self.classify(m) for m in mentions]
        counts = [count_scripts(m.text[:MAX_CHARS]) for m in mentions]
        languages = [detect_language(c)[0] for c in counts]
        texts = [model_text(m.text) for m in mentions]
        try:
            learned = self.model.predict(texts, languages)
        except UnicodeEncodeError:  # a lone surrogate cannot be hashed as UTF-8: replace it and go on
            learned = self.model.predict([_SURROGATE.sub("\ufffd", t) for t in texts], languages)
        sentiment, intent = learned["sentiment"], learned["intent"]
        return [self._classify(m, sentiment[i], intent[i], counts[i]) for i, m in enumerate(mentions)]

    def classify(self, mention: Mention) -> Classification:
        return self.classify_batch([mention])[0] if self.model else self._classify(mention, None, None)

    def _classify(self, mention: Mention, p_sentiment: np.ndarray | None,
                  p_intent: np.ndarray | None, counts: ScriptCounts | None = None) -> Classification:
        raw = mention.text[:MAX_CHARS]
        reading = read_language(raw, counts if counts is not None else count_scripts(raw), self._fold)

        cues = category_cues(reading.text)
        category = category_from_cues(cues)
        intent: LearnedIntent | None = None
        if p_intent is not None and self.model is not None and category.category not in RULE_ONLY_CATEGORIES:
            category, intent = category_from_model(p_intent, self._intent_labels, cues)
        sentiment = read_sentiment(reading, p_sentiment if self.model is not None else None,
                                   self._sentiment_labels)
        category, sentiment_value = settle_category(category, sentiment, cues, intent, reading.language)

        issue = decide_issue(reading.text, category.category)
        critical = CRITICAL_CUES.found_in(reading.text)
        urgency = decide_urgency(category.category, critical, reading, mention.author)
        complexity = decide_complexity(reading.text, issue, critical)
        pii = find_pii(mention.text)  # the opening and a window past it: see pii.SCAN_CHARS

        return Classification(
            language=reading.language, script=reading.script, category=category.category,
            issue_type=issue.issue_type, sentiment=max(-1.0, min(1.0, sentiment_value)),
            urgency=urgency.urgency, complexity=complexity.complexity, pii=pii,
            confidences={"language": reading.language_confidence, "script": reading.script_confidence,
                         "category": category.confidence, "issue_type": issue.confidence,
                         "sentiment": sentiment.confidence,
                         "urgency": 0.8 if urgency.reason else 0.6, "complexity": 0.6, "pii": 0.9},
            model_version=self.version, explanation=explain(reading, category, issue, urgency, complexity, pii),
        )
