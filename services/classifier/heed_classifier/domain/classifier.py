"""The classifier: reads a mention as a care agent would, one step per field, without I/O.

Language and Chinese script come from character evidence; PII from validated patterns; issue
type, urgency and complexity from cue words in en / zh (both scripts) / th. Sentiment and the
category blend a learned model (character n-grams, `model.py`, trained by `heed classifier
train`) with the cue words, which also decide spam, sales leads and suggestions. Each field
carries a confidence and the explanation names the evidence.

`Classifier._classify` reads as the steps run: `read_language`, `category_from_cues` (or
`category_from_model`, nudged by the cues), `read_sentiment`, `settle_category` (where category
and sentiment must agree), `settle_crisis` (a threat or harm is a complaint whatever the
sentiment), `decide_issue`, `decide_urgency`, `decide_complexity`, `find_pii`, `explain`.
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
from heed_classifier.domain.languages import DEFAULT_LANGUAGES, LanguageReader, LanguageReading
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
# legal, media or safety cue words make a post critical and a complaint, whatever its sentiment and
# however it is phrased; spam never is (its threats are bait)
NOT_A_CRISIS = (Category.SPAM,)
LOW_URGENCY_CATEGORIES = (Category.SPAM, Category.PRAISE, Category.OTHER)
# the model's category in these gives way to complaint cue words (see settle_category)
WORDS_OVERRULE = {Category.PRAISE: 1, Category.OTHER: 1, Category.QUESTION: 2}  # complaint words needed
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


_ACCENTED_LATIN = re.compile("[\u00c0-\u024f\u1e00-\u1eff]")
BUCKETS = ("any", "han", "thai", "kana", "hangul", "alphabet", "latin", "other")
EVERY_SCRIPT = frozenset(BUCKETS)


def present_scripts(raw: str, counts: ScriptCounts) -> frozenset[str]:
    """Which cue buckets a post can match (see `_bucket`); `any` (ASCII digits and punctuation)
    always."""
    if raw.isascii():
        return frozenset(("any",))
    return frozenset(("any", "other") + (("han",) if counts.han else ()) + (("thai",) if counts.thai else ())
                     + (("kana",) if counts.kana else ()) + (("hangul",) if counts.hangul else ())
                     + (("alphabet",) if counts.other_letters else ())
                     + (("latin",) if _ACCENTED_LATIN.search(raw) else ()))


def _bucket(cue: str) -> str:
    """The script of a cue's first character: a post without it cannot hold the cue."""
    first = cue[0]
    if "\u3400" <= first <= "\u9fff" or "\uf900" <= first <= "\ufaff":
        return "han"
    if "\u0e00" <= first <= "\u0e7f":
        return "thai"
    if "\u3040" <= first <= "\u30ff":
        return "kana"
    if "\uac00" <= first <= "\ud7af":
        return "hangul"
    if first.isascii():
        # an ASCII-letter cue that is not a whole word ("déçu" starts with d): read where an accented
        # letter is, the rest (digits, punctuation) always
        return "latin" if not cue.isascii() and first.isalpha() else "any"
    if "\u00c0" <= first <= "\u024f" or "\u1e00" <= first <= "\u1eff":
        return "latin"
    if first.isalpha():
        return "alphabet"
    return "other"


class Cues:
    """A table of cue words, compiled once. English (ASCII-letter) cues match whole words (not
    `late` in chocolate); the others match as substrings of the case-folded text, and only where
    the post has their script (a substring search per cue per post was the classifier's largest
    cost after the learned heads)."""

    __slots__ = ("_buckets", "_pattern")

    def __init__(self, cues: Sequence[str]) -> None:
        words = [c for c in cues if c.isascii() and any(ch.isalpha() for ch in c)]
        others = [c for c in cues if c not in words]
        self._buckets = tuple((bucket, tuple(c for c in others if _bucket(c) == bucket))
                              for bucket in BUCKETS if any(_bucket(c) == bucket for c in others))
        alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
        self._pattern = re.compile(rf"(?<![a-z])(?:{alternation})(?![a-z])") if words else None

    def found_in(self, text: str, present: frozenset[str] = EVERY_SCRIPT) -> list[str]:
        found = [c for bucket, cues in self._buckets if bucket in present for c in cues if c in text]
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
    language_by: str  # what named the language (script, english words, lingua, …)
    script: Literal["Hans", "Hant"] | None
    script_confidence: float
    text: str  # case-folded, and Chinese folded to Simplified as the cue words are written
    present: frozenset[str]  # the scripts whose cue words can be in it (`present_scripts`)


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


def read_language(raw: str, counts: ScriptCounts, fold: dict[int, str], language: LanguageReading) -> Reading:
    """The language as `languages.LanguageReader` named it; for any post with Chinese characters
    (but Japanese), its script."""
    script: Literal["Hans", "Hant"] | None = None
    script_confidence = 1.0
    if counts.han and language.language != "ja":  # a mixed post with Chinese in it gets its script too
        script, script_confidence = detect_script(counts)
    text = raw.casefold().translate(fold) if language.language == "zh" else raw.casefold()
    return Reading(raw, counts, language.language, language.confidence, language.by, script, script_confidence,
                   text, present_scripts(raw, counts))


def category_cues(text: str, present: frozenset[str] = EVERY_SCRIPT) -> dict[Category, list[str]]:
    """The cue words found for each category that has cue words (all but `other`)."""
    return {category: cues.found_in(text, present) for category, cues in CATEGORY_CUES.items()}


def category_from_cues(cues: dict[Category, list[str]]) -> CategoryDecision:
    """Spam if any spam cue; else the category whose cue words weigh most; `other` without any."""
    if cues[Category.SPAM]:
        return CategoryDecision(Category.SPAM, 0.8, cues[Category.SPAM])
    leads, complaints = cues[Category.SALES_LEAD], cues[Category.COMPLAINT]
    if leads and len(leads) * CUE_CATEGORY_WEIGHTS[Category.SALES_LEAD] >= (
            len(complaints) * CUE_CATEGORY_WEIGHTS[Category.COMPLAINT]):
        # purchase intent is asked (a question) and often warmly (praise): the lead is what matters
        return CategoryDecision(Category.SALES_LEAD, round(min(0.95, 0.6 + 0.1 * len(leads)), 3), leads)
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
    pos = len(POSITIVE_CUES.found_in(reading.text, reading.present))
    neg = len(NEGATIVE_CUES.found_in(reading.text, reading.present))
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
    elif (intent is not None and category in WORDS_OVERRULE and not cues.get(category)
          and len(set(cues[Category.COMPLAINT])) >= WORDS_OVERRULE[category] and sentiment.from_cues <= 0):
        # the model's praise or question with complaint words and none of its own, in a post whose cue
        # words do not lean positive, is a complaint ("泳池好髒，電梯又壞咗": 好 is "very" in Cantonese); a
        # request names a refund without complaining, so a question takes two
        category, confidence = Category.COMPLAINT, 0.6
        note += f" (complaint words {_quoted(cues[Category.COMPLAINT])})"
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


def settle_crisis(decision: CategoryDecision, value: float, critical: list[str]) -> tuple[CategoryDecision, float]:
    """A threat or harm to health or safety is a complaint, however warmly the post is written (a
    food-poisoning-plus-lawyer post that thanks the staff is not praise)."""
    if not critical or decision.category in NOT_A_CRISIS or decision.category is Category.COMPLAINT:
        return decision, value
    note = decision.note + f" (critical: {_quoted(critical)})"
    return CategoryDecision(Category.COMPLAINT, 0.8, decision.cues, note), min(value, -0.2)


def decide_issue(text: str, category: Category, present: frozenset[str] = EVERY_SCRIPT) -> IssueDecision:
    """The issue type whose cue words are most found, for complaints, questions and suggestions.

    A complaint without an issue cue is about `other`; a question or suggestion has none.
    """
    if category not in ISSUE_CATEGORIES:
        return IssueDecision(None, 1.0, [], 0)
    hits = {issue: cues.found_in(text, present) for issue, cues in ISSUE_CUES.items()}
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
    if critical and category not in NOT_A_CRISIS:
        return UrgencyDecision(Urgency.CRITICAL, f"mentions {_quoted(critical)}")
    reasons = []
    if category is Category.COMPLAINT:
        if REPEAT_CUES.found_in(reading.text, reading.present):
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


def decide_complexity(text: str, issue: IssueDecision, critical: list[str],
                      present: frozenset[str] = EVERY_SCRIPT) -> ComplexityDecision:
    """Complex as after-sales practice has it: money back, damage, legal, or several issues at once."""
    complex_cues = COMPLEX_CUES.found_in(text, present)
    reasons = ([repr(c) for c in complex_cues[:3]] + (["several issues"] if issue.distinct >= 2 else [])
               + (["legal or safety"] if critical else []))
    return ComplexityDecision(Complexity.COMPLEX if reasons else Complexity.GENERAL, reasons)


def explain(reading: Reading, category: CategoryDecision, issue: IssueDecision, urgency: UrgencyDecision,
            complexity: ComplexityDecision, pii: list[str]) -> str:
    """The evidence for each field, in the order a reader checks them; PII by kind, never its value."""
    by = f" ({reading.language_by})" if reading.language_by != "script" else ""
    why = [f"language {reading.language}{by}" + (
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

    def __init__(self, model: LinearModel | None = None, languages: LanguageReader | None = None) -> None:
        self.model = model
        self.languages = languages if languages is not None else LanguageReader()
        self.version = f"{RULES_VERSION}+{model.version}" if model else RULES_VERSION
        self._fold = _to_simplified_table()
        self._intent_labels = _intent_labels(model)
        # the languages the learned heads were trained on: the per-language heads', and those of
        # the team's examples and the permitted data the general heads learned from; and `und`
        # (emoji and symbols, which the heads learned from every language's posts)
        self._learned_languages = {head.partition("@")[2] for head in (model.heads if model else ())} - {""} | {
            "en", "zh", "th", "und"}
        self._sentiment_labels = model.heads["sentiment"].labels if model and "sentiment" in model.heads else None

    @classmethod
    def load(cls, model_dir: Path | None = None, languages: Sequence[str] = DEFAULT_LANGUAGES,
             default_language: str = "en") -> Classifier:
        """The shipped artefact, or a retrained one from `model_dir`, naming languages among
        `languages` (see `languages.LanguageReader`); never downloads anything."""
        directory = Path(model_dir) if model_dir is not None else SHIPPED_MODEL
        return cls(LinearModel.load(directory), LanguageReader(languages, default_language))

    def classify_batch(self, mentions: Sequence[Mention]) -> list[Classification]:
        if not mentions:
            return []
        if self.model is None:
            return [self.classify(m) for m in mentions]
        counts = [count_scripts(m.text[:MAX_CHARS]) for m in mentions]
        # the learned heads were trained per script (training.py), and are chosen the same way
        by_script = [detect_language(c) for c in counts]
        languages = [language for language, _ in by_script]
        texts = [model_text(m.text) for m in mentions]
        try:
            learned = self.model.predict(texts, languages)
        except UnicodeEncodeError:  # a lone surrogate cannot be hashed as UTF-8: replace it and go on
            learned = self.model.predict([_SURROGATE.sub("\ufffd", t) for t in texts], languages)
        sentiment, intent = learned["sentiment"], learned["intent"]
        return [self._classify(m, sentiment[i], intent[i], counts[i], by_script[i]) for i, m in enumerate(mentions)]

    def classify(self, mention: Mention) -> Classification:
        return self.classify_batch([mention])[0] if self.model else self._classify(mention, None, None)

    def _classify(self, mention: Mention, p_sentiment: np.ndarray | None,
                  p_intent: np.ndarray | None, counts: ScriptCounts | None = None,
                  by_script: tuple[str, float] | None = None) -> Classification:
        raw = mention.text[:MAX_CHARS]
        counts = counts if counts is not None else count_scripts(raw)
        reading = read_language(raw, counts, self._fold, self.languages.read(raw, counts, by_script))

        cues = category_cues(reading.text, reading.present)
        category = category_from_cues(cues)
        intent: LearnedIntent | None = None
        # a language the learned heads never saw (French read by the English head): its cue words
        # decide the category where there are any, the model only where there are none; its
        # sentiment is its cue words' alone
        unlearned = reading.language not in self._learned_languages and category.category is not Category.OTHER
        if (p_intent is not None and self.model is not None and category.category not in RULE_ONLY_CATEGORIES
                and not unlearned):
            category, intent = category_from_model(p_intent, self._intent_labels, cues)
        learned = self.model is not None and reading.language in self._learned_languages
        sentiment = read_sentiment(reading, p_sentiment if learned else None, self._sentiment_labels)
        category, sentiment_value = settle_category(category, sentiment, cues, intent, reading.language)
        critical = CRITICAL_CUES.found_in(reading.text, reading.present)
        category, sentiment_value = settle_crisis(category, sentiment_value, critical)

        issue = decide_issue(reading.text, category.category, reading.present)
        urgency = decide_urgency(category.category, critical, reading, mention.author)
        complexity = decide_complexity(reading.text, issue, critical, reading.present)
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
