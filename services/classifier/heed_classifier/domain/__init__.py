"""The classifier's decisions: pure functions over a mention, no I/O beyond loading cue tables.

Language and Chinese script come from character evidence; PII from validated patterns; issue
type, urgency and complexity from cue words in en / zh (both scripts) / th. Sentiment and the
category blend a learned model (character n-grams, `domain/model.py`, trained by
`heed classifier train`) with the cue words, which also decide spam, sales leads and suggestions.
Each field carries a confidence and the explanation names the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from heed.contracts.events import Category, Classification, Complexity, IssueType, Mention, Urgency
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
RULE_ONLY_CATEGORIES = ("spam", "sales_lead", "suggestion")


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


@lru_cache(maxsize=64)
def _matcher(cues: tuple[str, ...]) -> tuple[re.Pattern[str] | None, tuple[str, ...]]:
    """English (ASCII-letter) cues match whole words (not `late` in chocolate); others match as substrings."""
    words = [c for c in cues if c.isascii() and any(ch.isalpha() for ch in c)]
    others = tuple(c for c in cues if c not in words)
    if not words:
        return None, others
    alternation = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![a-z])(?:{alternation})(?![a-z])"), others


def _hits(text: str, cues: Sequence[str]) -> list[str]:
    pattern, others = _matcher(tuple(cues))
    found = [c for c in others if c in text]
    if pattern is not None:
        found += pattern.findall(text)
    return found


class Classifier:
    """Loads once, classifies many; `classify_batch` is the hot path."""

    def __init__(self, model: LinearModel | None = None) -> None:
        self.model = model
        self.version = f"{RULES_VERSION}+{model.version}" if model else RULES_VERSION
        self._fold = _to_simplified_table()

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
        counts = counts if counts is not None else count_scripts(raw)
        language, lang_conf = detect_language(counts)
        script: Literal["Hans", "Hant"] | None = None
        script_conf = 1.0
        if counts.han and language != "ja":  # a mixed post with Chinese in it gets its script too
            script, script_conf = detect_script(counts)
        text = raw.casefold().translate(self._fold) if language == "zh" else raw.casefold()

        scores = {cat: _hits(text, cues) for cat, cues in lexicon.CATEGORY_CUES.items()}
        category, cat_conf, cat_cues = self._category(scores)
        learned_note = ""
        p_complaint = 0.0
        blended: dict[str, float] = {}
        if p_intent is not None and self.model is not None and category not in RULE_ONLY_CATEGORIES:
            # the learned intent head decides, nudged by each cue word found; spam, sales leads and
            # suggestions have no training data and come from cue words alone
            labels = self.model.heads["intent"].labels
            blended = {label: float(p_intent[i]) + CUE_WEIGHT * min(3, len(scores.get(label, ())))
                       for i, label in enumerate(labels)}
            p_complaint = float(p_intent[labels.index("complaint")]) if "complaint" in labels else 0.0
            best = max(blended, key=lambda k: blended[k])
            category = best
            cat_conf = round(min(0.99, blended[best] / sum(blended.values())), 3)
            cat_cues = scores.get(best, [])
            learned_note = f" (model {float(p_intent[labels.index(best)]):.2f})"
        pos, neg = len(_hits(text, lexicon.POSITIVE)), len(_hits(text, lexicon.NEGATIVE))
        cue_sentiment = 0.0 if pos + neg == 0 else (pos - neg) / (pos + neg)
        sentiment = cue_sentiment
        if p_sentiment is not None and self.model is not None:
            labels = self.model.heads["sentiment"].labels
            learned = float(p_sentiment[labels.index("positive")] - p_sentiment[labels.index("negative")])
            # Chinese cue words are matched as substrings (好 inside 不好), so there the model leads
            weight = 0.9 if language == "zh" else 0.7
            sentiment = learned if pos + neg == 0 else weight * learned + (1 - weight) * cue_sentiment
        unforced = sentiment
        if category == "complaint" and not scores["complaint"] and sentiment > 0 and p_intent is not None:
            # a complaint is a negative post: the model's complaint without a complaint cue word needs the
            # sentiment to agree, otherwise the runner-up category stands
            category = max((k for k in blended if k != "complaint"), key=lambda k: blended[k])
            learned_note += f" (not a complaint: sentiment {sentiment:+.2f})"
        if category == "complaint" and sentiment > -0.2:
            sentiment = -0.2 if cue_sentiment >= 0 else min(-0.2, cue_sentiment)  # a complaint is negative
        sentiment = round(sentiment, 3) + 0.0  # no -0.0
        if category in ("question", "other") and sentiment <= STRONGLY_NEGATIVE and (
                p_intent is None or p_complaint >= 0.2):
            # a clearly negative post that reads a little like a complaint is one, however it is phrased
            category, cat_conf = "complaint", round(min(0.9, 0.5 - sentiment / 2), 3)
            learned_note += f" (sentiment {sentiment:+.2f})"
        if language == "und" and not cat_cues:
            # no words at all (emoji, symbols, nothing): only a clear feeling makes it more than "other"
            sentiment = round(unforced, 3)
            category = "praise" if sentiment >= 0.5 else "complaint" if sentiment <= -0.5 else "other"
            cat_conf, learned_note = 0.5, " (no words)"
        issue, issue_conf, issue_cues, n_issues = self._issue(text, category)
        critical = _hits(text, lexicon.CRITICAL_CUES)
        repeated = _hits(text, lexicon.REPEAT_CUES)
        shouting = sum(1 for w in raw.split() if len(w) > 3 and w.isupper()) >= 2 or "!!!" in raw or "！！" in raw
        urgency, urgency_why = self._urgency(category, critical, repeated, shouting, mention)
        complex_cues = _hits(text, lexicon.COMPLEX_CUES)
        # complex as after-sales practice has it: money back, damage, legal, or several issues at once
        complexity = Complexity.COMPLEX if complex_cues or n_issues >= 2 or critical else Complexity.GENERAL
        pii = find_pii(mention.text)  # the opening and a window past it: see pii.SCAN_CHARS

        why = [f"language {language}" + (f" ({script}: {counts.simplified} simplified-only,"
                                           f" {counts.traditional} traditional-only chars)" if script else "")]
        why.append(f"category {category}{learned_note}"
                   + (f" from {', '.join(repr(c) for c in cat_cues[:3])}" if cat_cues else ""))
        if issue_cues:
            why.append(f"issue {issue} from {', '.join(repr(c) for c in issue_cues[:3])}")
        if urgency_why:
            why.append(f"urgency {urgency.value}: {urgency_why}")
        if complexity == Complexity.COMPLEX:
            why.append("complex: " + ", ".join([repr(c) for c in complex_cues[:3]]
                                              + (["several issues"] if n_issues >= 2 else [])
                                              + (["legal or safety"] if critical else [])))
        if pii:
            why.append(f"PII: {', '.join(pii)} (private handling)")
        return Classification(
            language=language, script=script, category=Category(category),
            issue_type=IssueType(issue) if issue else None, sentiment=max(-1.0, min(1.0, sentiment)),
            urgency=urgency, complexity=complexity, pii=pii,
            confidences={"language": lang_conf, "script": script_conf, "category": cat_conf,
                         "issue_type": issue_conf,
                         "sentiment": round(float(max(p_sentiment)), 3) if p_sentiment is not None
                         else 0.5 if pos + neg == 0 else 0.7,
                         "urgency": 0.8 if urgency_why else 0.6, "complexity": 0.6, "pii": 0.9},
            model_version=self.version, explanation="; ".join(why),
        )

    @staticmethod
    def _category(scores: dict[str, list[str]]) -> tuple[str, float, list[str]]:
        if scores["spam"]:
            return "spam", 0.8, scores["spam"]
        weighted = {
            # a problem stated with a question mark is still a complaint
            "complaint": len(scores["complaint"]) * 2.0,
            "sales_lead": len(scores["sales_lead"]) * 1.5,
            "suggestion": len(scores["suggestion"]) * 1.3,
            "question": len(scores["question"]) * 1.0,
            "praise": len(scores["praise"]) * 1.0,
        }
        best = max(weighted, key=lambda k: weighted[k])
        if weighted[best] == 0:
            return "other", 0.4, []
        total = sum(weighted.values())
        return best, round(min(0.95, 0.4 + 0.6 * weighted[best] / total), 3), scores[best]

    @staticmethod
    def _issue(text: str, category: str) -> tuple[str | None, float, list[str], int]:
        if category not in ("complaint", "question", "suggestion"):
            return None, 1.0, [], 0
        hits = {issue: _hits(text, cues) for issue, cues in lexicon.ISSUE_CUES.items()}
        best = max(hits, key=lambda k: len(hits[k]))
        if not hits[best]:
            return ("other", 0.4, [], 0) if category == "complaint" else (None, 0.5, [], 0)
        found = [c for cues in hits.values() for c in cues]
        distinct = sum(1 for cues in hits.values() if cues)
        return best, round(min(0.9, 0.4 + 0.5 * len(hits[best]) / len(found)), 3), found, distinct

    @staticmethod
    def _urgency(category: str, critical: list[str], repeated: list[str], shouting: bool,
                 mention: Mention) -> tuple[Urgency, str]:
        if critical and category in ("complaint", "question", "other"):
            return Urgency.CRITICAL, f"mentions {', '.join(repr(c) for c in critical[:3])}"
        reasons = []
        if category == "complaint":
            if repeated:
                reasons.append("repeated complaint")
            if shouting:
                reasons.append("angry tone")
            if mention.author.followers >= HIGH_REACH_FOLLOWERS or mention.author.verified:
                reasons.append("high-reach author")
        if reasons:
            return Urgency.HIGH, ", ".join(reasons)
        if category in ("spam", "praise", "other"):
            return Urgency.LOW, ""
        return Urgency.NORMAL, ""
