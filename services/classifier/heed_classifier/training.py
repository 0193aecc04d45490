"""`heed classifier train`: fits the learned heads on labelled CSVs and writes an artefact.

Any CSV with a `text` column and `sentiment_mapped` and/or `intent_mapped` columns is accepted
(the columns of the shared evaluation data). Sentiment learns negative/neutral/positive; intent
learns complaint/question/praise/other (coarse labels such as `not_complaint` are skipped).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
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


def _fit(texts: Sequence[str], labels: Sequence[str], n_features: int, ngram_max: int) -> Head:
    features = vectorizer(n_features, ngram_max).transform([model_text(t) for t in texts])
    model = SGDClassifier(loss="log_loss", alpha=2e-6, max_iter=30, tol=1e-4, class_weight="balanced",
                          random_state=42)
    model.fit(features, list(labels))
    return Head([str(c) for c in model.classes_], np.asarray(model.coef_), np.asarray(model.intercept_))


def train(paths: Sequence[Path], out: Path, version: str, n_features: int = 2**18, ngram_max: int = 3,
          progress: bool = True) -> dict[str, Counter[str]]:
    """Fit both heads on `paths`, save the artefact in `out`; returns the label counts used."""
    examples: dict[str, list[tuple[str, str]]] = {head: [] for head in LABELS}
    for path in paths:
        rows = read_rows(Path(path))
        for head, column in COLUMN.items():
            examples[head] += [(r["text"], r[column]) for r in rows if r.get(column) in LABELS[head]]
        if progress:
            print(f"read {path} ({len(rows)} rows)")
    heads = {}
    for head, pairs in examples.items():
        if len({label for _, label in pairs}) < 2:
            raise ValueError(f"{head}: needs examples of at least two labels; got {Counter(lab for _, lab in pairs)}")
        heads[head] = _fit([t for t, _ in pairs], [label for _, label in pairs], n_features, ngram_max)
        if progress:
            print(f"trained {head} on {len(pairs)} examples")
        by_language: dict[str, list[tuple[str, str]]] = {}
        for text, label in pairs:
            by_language.setdefault(detect_language(count_scripts(text))[0], []).append((text, label))
        for lang, subset in sorted(by_language.items()):
            if lang == "und" or len(subset) < MIN_PER_LANGUAGE or len({lab for _, lab in subset}) < 2:
                continue
            heads[f"{head}@{lang}"] = _fit([t for t, _ in subset], [lab for _, lab in subset], n_features, ngram_max)
            if progress:
                print(f"trained {head}@{lang} on {len(subset)} examples")
    LinearModel(version, n_features, ngram_max, heads).save(out)
    return {head: Counter(label for _, label in pairs) for head, pairs in examples.items()}


def write_examples(out: Path, rows: Sequence[Sequence[str]]) -> None:
    """Write composed team examples in the columns `heed classifier train` reads."""
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["text", "intent_mapped", "sentiment_mapped"])
        writer.writerows(rows)
    print(f"wrote {out} ({len(rows)} rows)")
