"""The classifier's decisions: pure functions over a mention, no I/O beyond loading cue tables.

First version (`rules-1`): language and Chinese script by character evidence, category, issue
type, sentiment, urgency and complexity from weighted cue words in en / zh (both scripts) / th,
PII by validated patterns. Each field carries a confidence and the explanation names its cues.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

from heed.contracts.events import Category, Classification, Complexity, IssueType, Mention, Urgency
from heed_classifier.domain import lexicon
from heed_classifier.domain.pii import find_pii
from heed_classifier.domain.scripts import count_scripts, detect_language, detect_script

VERSION = "rules-1"
MAX_CHARS = 4000  # the opening of a very long post carries its intent; bounded cost per post
HIGH_REACH_FOLLOWERS = 10_000


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


def _hits(text: str, cues: Sequence[str]) -> list[str]:
    return [c for c in cues if c in text]


class Classifier:
    """Loads once, classifies many; `classify_batch` is the hot path."""

    def __init__(self, version: str = VERSION) -> None:
        self.version = version
        self._fold = _to_simplified_table()

    @classmethod
    def load(cls, model_dir: Path | None = None) -> Classifier:
        """The shipped classifier, or one from `model_dir` (must exist and say its version)."""
        if model_dir is None:
            return cls()
        version_file = Path(model_dir) / "VERSION"
        if not version_file.is_file():
            raise FileNotFoundError(f"no classifier artefact in {model_dir}: expected a VERSION file")
        return cls(version_file.read_text().strip())

    def classify_batch(self, mentions: Sequence[Mention]) -> list[Classification]:
        return [self.classify(m) for m in mentions]

    def classify(self, mention: Mention) -> Classification:
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
        issue, issue_conf, issue_cues = self._issue(text, category)
        pos, neg = len(_hits(text, lexicon.POSITIVE)), len(_hits(text, lexicon.NEGATIVE))
        sentiment = 0.0 if pos + neg == 0 else round((pos - neg) / (pos + neg), 3)
        if category == "complaint" and sentiment > -0.3:
            sentiment = -0.5
        critical = _hits(text, lexicon.CRITICAL_CUES)
        repeated = _hits(text, lexicon.REPEAT_CUES)
        shouting = sum(1 for w in raw.split() if len(w) > 3 and w.isupper()) >= 2 or "!!!" in raw or "！！" in raw
        urgency, urgency_why = self._urgency(category, critical, repeated, shouting, mention)
        complex_cues = _hits(text, lexicon.COMPLEX_CUES)
        complexity = Complexity.COMPLEX if complex_cues or len(issue_cues) > 2 or critical else Complexity.GENERAL
        pii = find_pii(raw)

        why = [f"language {language}" + (f" ({script}: {counts.simplified} simplified-only,"
                                           f" {counts.traditional} traditional-only chars)" if script else "")]
        why.append(f"category {category}" + (f" from {', '.join(repr(c) for c in cat_cues[:3])}" if cat_cues
                                             else " (no cue)"))
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
                         "issue_type": issue_conf, "sentiment": 0.5 if pos + neg == 0 else 0.7,
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
