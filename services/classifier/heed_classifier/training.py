"""`heed classifier train`: fits the learned heads on labelled CSVs and writes an artefact.

Any CSV with a `text` column and `sentiment_mapped` and/or `intent_mapped` columns is accepted
(the columns of the shared evaluation data). Sentiment learns negative/neutral/positive; intent
learns complaint/question/praise/other (coarse labels such as `not_complaint` are skipped).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import SGDClassifier

from heed_classifier.domain import model_text
from heed_classifier.domain.model import Head, LinearModel, vectorizer
from heed_classifier.domain.scripts import count_scripts, detect_language
from heed_classifier.evaluation import read_rows

TEAM_EXAMPLES = Path(__file__).parent / "training_data" / "team_examples.csv"
TEAM_EXAMPLES_ZH = Path(__file__).parent / "training_data" / "team_examples_zh.csv"
MIN_PER_LANGUAGE = 100  # a language with fewer examples for a head is left to the general head
# The only shared datasets whose licences allow training a shipped model (see NOTICE).
PERMITTED = ("th_wisesight_sentiment", "en_bitext_customer_service_synthetic", "en_tweeteval_sentiment")
LABELS = {"sentiment": ("negative", "neutral", "positive"), "intent": ("complaint", "question", "praise", "other")}
COLUMN = {"sentiment": "sentiment_mapped", "intent": "intent_mapped"}


@dataclass(frozen=True)
class Example:
    """A labelled text beyond the CSVs (an agent's correction), with the weight it trains with."""

    text: str
    label: str
    weight: float = 1.0


def _fit(examples: Sequence[Example], n_features: int, ngram_max: int) -> Head:
    features = vectorizer(n_features, ngram_max).transform([model_text(e.text) for e in examples])
    model = SGDClassifier(loss="log_loss", alpha=2e-6, max_iter=30, tol=1e-4, class_weight="balanced",
                          random_state=42)
    weights = [e.weight for e in examples]
    # without weights unless some differ: the shipped model is fitted exactly as before corrections existed
    model.fit(features, [e.label for e in examples], sample_weight=weights if set(weights) != {1.0} else None)
    return Head([str(c) for c in model.classes_], np.asarray(model.coef_), np.asarray(model.intercept_))


def train(paths: Sequence[Path], out: Path, version: str, n_features: int = 2**18, ngram_max: int = 3,
          progress: bool = True, intent_extra: Sequence[Example] = ()) -> dict[str, Counter[str]]:
    """Fit both heads on `paths` (and the intent head also on `intent_extra`, whose labels may be any
    category), save the artefact in `out`; returns the label counts used."""
    examples: dict[str, list[Example]] = {head: [] for head in LABELS}
    for path in paths:
        rows = read_rows(Path(path))
        for head, column in COLUMN.items():
            examples[head] += [Example(r["text"], r[column]) for r in rows if r.get(column) in LABELS[head]]
        if progress:
            print(f"read {path} ({len(rows)} rows)")
    examples["intent"] += intent_extra
    heads = {}
    for head, found in examples.items():
        if len({e.label for e in found}) < 2:
            raise ValueError(f"{head}: needs examples of at least two labels; got {Counter(e.label for e in found)}")
        heads[head] = _fit(found, n_features, ngram_max)
        if progress:
            print(f"trained {head} on {len(found)} examples")
        by_language: dict[str, list[Example]] = {}
        for e in found:
            by_language.setdefault(detect_language(count_scripts(e.text))[0], []).append(e)
        for lang, subset in sorted(by_language.items()):
            if lang == "und" or len(subset) < MIN_PER_LANGUAGE or len({e.label for e in subset}) < 2:
                continue
            heads[f"{head}@{lang}"] = _fit(subset, n_features, ngram_max)
            if progress:
                print(f"trained {head}@{lang} on {len(subset)} examples")
    LinearModel(version, n_features, ngram_max, heads).save(out)
    return {head: Counter(e.label for e in found) for head, found in examples.items()}


def write_examples(out: Path, rows: Sequence[Sequence[str]]) -> None:
    """Write composed team examples in the columns `heed classifier train` reads."""
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["text", "intent_mapped", "sentiment_mapped"])
        writer.writerows(rows)
    print(f"wrote {out} ({len(rows)} rows)")
