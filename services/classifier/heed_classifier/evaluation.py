"""Scores the classifier against labelled CSVs with the columns of the shared evaluation data:
`text` plus any of `intent_mapped`, `sentiment_mapped`, `issue_mapped`, `script`, `lang`.

How a prediction meets a coarse gold label:
- intent: `not_complaint` files are scored complaint vs not; `question_or_other` absorbs every
  predicted category but complaint and praise; elsewhere categories outside the gold set count
  as `other`.
- sentiment: files whose gold has no neutral are scored on polarity (negative if the sentiment
  is below 0, else positive); otherwise below -0.25 is negative, above 0.25 positive.
- issue: no predicted issue counts as `other`. The hospitality types the shared data's taxonomy
  lacks count as the label its README maps those topics to: `food_beverage` and `room` as
  `product_quality` ("Bad Flight: seat, wifi, food"), `booking` as `usage_difficulty` ("Flight
  Booking Problems"); only where the gold has no such label itself.
- script: scored on rows with at least one Chinese character (the gold is set per dataset, and a
  row without Han characters has no script to detect).
- lang: the primary subtag (`zh-yue` is `zh`). The gold is set per dataset, not per row, so the
  few rows in another language (a Spanish tweet among English ones) count against the model.
"""

from __future__ import annotations

import csv
import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from heed.contracts.events import Author, Channel, Classification, Mention
from heed_classifier.domain import Classifier

# a finer issue type the gold labels lack → the coarser label the shared data's README uses for it
COARSER_ISSUE = {"food_beverage": "product_quality", "room": "product_quality", "booking": "usage_difficulty"}
FIELDS = ("intent_mapped", "sentiment_mapped", "issue_mapped", "script", "lang")


class BadDataset(ValueError):
    pass


@dataclass
class FieldScore:
    n: int
    accuracy: float
    macro_f1: float
    per_label: dict[str, dict[str, float]] = field(default_factory=dict)


def read_rows(path: Path) -> list[dict[str, str]]:
    csv.field_size_limit(sys.maxsize)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or "text" not in reader.fieldnames:
            raise BadDataset(f"{path}: needs a header with a `text` column; found {reader.fieldnames}")
        if not set(FIELDS) & set(reader.fieldnames):
            raise BadDataset(f"{path}: needs at least one label column of {', '.join(FIELDS)}")
        return list(reader)


def as_mentions(texts: Iterable[str]) -> list[Mention]:
    now = datetime.now(UTC)
    return [Mention(event_id=uuid.uuid4(), mention_id=uuid.uuid4(), raw_event_id=uuid.uuid4(),
                    channel=Channel.API, native_id=str(i), author=Author(platform_id="eval"), text=t,
                    thread_root=str(i), created_at=now, received_at=now) for i, t in enumerate(texts)]


def predicted(field_name: str, c: Classification, gold_labels: set[str]) -> str:
    if field_name == "intent_mapped":
        label = c.category.value
        if "not_complaint" in gold_labels:
            return "complaint" if label == "complaint" else "not_complaint"
        if "question_or_other" in gold_labels and label not in ("complaint", "praise"):
            return "question_or_other"
        return label if label in gold_labels else "other"
    if field_name == "sentiment_mapped":
        if "neutral" not in gold_labels:
            return "negative" if c.sentiment < 0 else "positive"
        return "negative" if c.sentiment < -0.25 else "positive" if c.sentiment > 0.25 else "neutral"
    if field_name == "issue_mapped":
        issue = c.issue_type.value if c.issue_type else "other"
        return issue if issue in gold_labels else COARSER_ISSUE.get(issue, issue)
    if field_name == "lang":
        return c.language
    return c.script or "none"


def _has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


def score(gold: Sequence[str], pred: Sequence[str]) -> FieldScore:
    labels = sorted(set(gold))
    p, r, _, support = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    return FieldScore(
        n=len(gold), accuracy=round(float(accuracy_score(gold, pred)), 4),
        macro_f1=round(float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)), 4),
        per_label={lab: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                         "support": int(support[i])} for i, lab in enumerate(labels)})


def evaluate(model: Classifier, path: Path) -> dict[str, Any]:
    """Scores per field for one CSV; fields without gold labels in it are left out."""
    rows = read_rows(path)
    results = model.classify_batch(as_mentions(r["text"] for r in rows))
    scores: dict[str, Any] = {}
    for field_name in FIELDS:
        pairs = [(r.get(field_name, ""), c) for r, c in zip(rows, results, strict=True)
                 if field_name != "script" or _has_han(r["text"])]
        pairs = [(g.split("-")[0] if field_name == "lang" else g, c) for g, c in pairs
                 if g and g not in ("Latn", "Thai")]
        if not pairs:
            continue
        gold_labels = {g for g, _ in pairs}
        scores[field_name] = score([g for g, _ in pairs], [predicted(field_name, c, gold_labels) for _, c in pairs])
    return {"dataset": path.stem, "rows": len(rows), "model_version": model.version, "fields": scores}


def as_dict(result: dict[str, Any]) -> dict[str, Any]:
    return {**result, "fields": {k: vars(v) for k, v in result["fields"].items()}}


def markdown(results: Sequence[dict[str, Any]]) -> str:
    lines = ["| dataset | field | n | accuracy | macro F1 | per label (precision / recall) |",
             "|---|---|---|---|---|---|"]
    for res in results:
        for field_name, s in res["fields"].items():
            labels = "; ".join(f"{lab} {v['precision']:.2f}/{v['recall']:.2f}" for lab, v in s.per_label.items())
            lines.append(f"| {res['dataset']} | {field_name.replace('_mapped', '')} | {s.n} | {s.accuracy:.3f} |"
                         f" {s.macro_f1:.3f} | {labels} |")
    return "\n".join(lines)
