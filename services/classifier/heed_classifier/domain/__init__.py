"""The classifier's decisions: pure functions over a mention, no I/O beyond loading cue tables.

Language and Chinese script come from character evidence; PII from validated patterns; issue
type, urgency and complexity from cue words in en / zh (both scripts) / th. Sentiment and the
category blend a learned model (character n-grams, `domain/model.py`, trained by
`heed classifier train`) with the cue words, which also decide spam, sales leads and suggestions.
Each field carries a confidence and the explanation names the evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from heed.contracts.events import Category, Classification, Complexity, IssueType, Mention, Urgency
from heed_classifier.domain import lexicon
from heed_classifier.domain.model import LinearModel
from heed_classifier.domain.pii import find_pii
from heed_classifier.domain.scripts import count_scripts, detect_language, detect_script

SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "model"
RULES_VERSION = "rules-1"
MAX_CHARS = 4000  # the opening of a very long post carries its intent; bounded cost per post
HIGH_REACH_FOLLOWERS = 10_000
NEGATIVE_ENOUGH_FOR_COMPLAINT = -0.3


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
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return text.translate(_to_simplified_table())
    return text


def _hits(text: str, cues: Sequence[str]) -> list[str]:
    return [c for c in cues if c in text]


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
        if self.model is None:
            return [self.classify(m) for m in mentions]
        languages = [detect_language(count_scripts(m.text[:MAX_CHARS]))[0] for m in mentions]
        learned = self.model.predict([model_text(m.text) for m in mentions], languages)
        sentiment, intent = learned["sentiment"], learned["intent"]
        return [self._classify(m, sentiment[i], intent[i]) for i, m in enumerate(mentions)]

    def classify(self, mention: Mention) -> Classification:
        return self.classify_batch([mention])[0] if self.model else self._classify(mention, None, None)

    def _classify(self, mention: Mention, p_sentiment: np.ndarray | None,
                  p_intent: np.ndarray | None) -> Classification:
        raw = mention.text[:MAX_CHARS]
        counts = count_scripts(raw)
        language, lang_conf = detect_language(counts)
        script: Literal["Hans", "Hant"] | None = None
        script_conf = 1.0
        if counts.han and language != "ja":  # a mixed post with Chinese in it gets its script too
            script, script_conf = detect_script(counts)
        text = raw.casefold().translate(self._fold) if language == "zh" else raw.casefold()

        scores = {cat: _hits(text, cues) for cat, cues in lexicon.CATEGORY_CUES.items()}
        category, cat_conf, cat_cues = self._category(scores)
        learned_note = ""
        if p_intent is not None and self.model is not None and not cat_cues:
            # cue words decide when they are present (the learned intent head has little real
            # social-media data behind it); the model speaks for posts without any cue
            labels = self.model.heads["intent"].labels
            best = int(np.argmax(p_intent))
            if p_intent[best] >= 0.5:
                category, cat_conf = labels[best], round(float(p_intent[best]), 3)
                learned_note = f" (model {cat_conf:.2f})"
        pos, neg = len(_hits(text, lexicon.POSITIVE)), len(_hits(text, lexicon.NEGATIVE))
        sentiment = 0.0 if pos + neg == 0 else (pos - neg) / (pos + neg)
        if p_sentiment is not None and self.model is not None:
            labels = self.model.heads["sentiment"].labels
            learned = float(p_sentiment[labels.index("positive")] - p_sentiment[labels.index("negative")])
            sentiment = learned if pos + neg == 0 else 0.7 * learned + 0.3 * sentiment
        if category == "complaint" and cat_cues and sentiment > -0.3:
            sentiment = -0.3 if pos + neg == 0 else min(-0.3, (pos - neg) / (pos + neg))  # a complaint is negative
        sentiment = round(sentiment, 3)
        if category in ("question", "other") and sentiment <= NEGATIVE_ENOUGH_FOR_COMPLAINT:
            # a clearly negative post addressed to a brand is a complaint, however it is phrased
            category, cat_conf = "complaint", round(min(0.9, 0.5 - sentiment / 2), 3)
            learned_note += f" (sentiment {sentiment:+.2f})"
        issue, issue_conf, issue_cues = self._issue(text, category)
        critical = _hits(text, lexicon.CRITICAL_CUES)
        repeated = _hits(text, lexicon.REPEAT_CUES)
        shouting = sum(1 for w in raw.split() if len(w) > 3 and w.isupper()) >= 2 or "!!!" in raw or "！！" in raw
        urgency, urgency_why = self._urgency(category, critical, repeated, shouting, mention)
        complex_cues = _hits(text, lexicon.COMPLEX_CUES)
        complexity = Complexity.COMPLEX if complex_cues or len(issue_cues) > 2 or critical else Complexity.GENERAL
        pii = find_pii(raw)

        why = [f"language {language}" + (f" ({script}: {counts.simplified} simplified-only,"
                                           f" {counts.traditional} traditional-only chars)" if script else "")]
        why.append(f"category {category}{learned_note}"
                   + (f" from {', '.join(repr(c) for c in cat_cues[:3])}" if cat_cues else ""))
        if issue_cues:
            why.append(f"issue {issue} from {', '.join(repr(c) for c in issue_cues[:3])}")
        if urgency_why:
            why.append(f"urgency {urgency.value}: {urgency_why}")
        if pii:
            why.append(f"PII: {', '.join(pii)}")
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
    def _issue(text: str, category: str) -> tuple[str | None, float, list[str]]:
        if category not in ("complaint", "question", "suggestion"):
            return None, 1.0, []
        hits = {issue: _hits(text, cues) for issue, cues in lexicon.ISSUE_CUES.items()}
        best = max(hits, key=lambda k: len(hits[k]))
        if not hits[best]:
            return ("other", 0.4, []) if category == "complaint" else (None, 0.5, [])
        found = [c for cues in hits.values() for c in cues]
        return best, round(min(0.9, 0.4 + 0.5 * len(hits[best]) / len(found)), 3), found

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
