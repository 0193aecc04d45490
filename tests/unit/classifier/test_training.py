"""A user retrains on its own labelled posts; the service loads the artefact by setting."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from heed_classifier.domain import Classifier
from heed_classifier.evaluation import BadDataset, evaluate
from heed_classifier.settings import ClassifierSettings
from tests.unit.factories import mention

POSTS = [
    ("the zorblax keeps failing, awful", "complaint", "negative"),
    ("zorblax broke again, terrible", "complaint", "negative"),
    ("worst zorblax ever, it failed", "complaint", "negative"),
    ("what time does the shop open", "question", "neutral"),
    ("which colours does it come in", "question", "neutral"),
    ("where do I find the manual", "question", "neutral"),
    ("wonderful team, superb zorblax", "praise", "positive"),
    ("superb and wonderful, thank you", "praise", "positive"),
    ("wonderful superb experience", "praise", "positive"),
]


def _write(path: Path, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "intent_mapped", "sentiment_mapped"])
        writer.writerows(rows * 5)
    return path


def test_train_writes_an_artefact_the_classifier_loads_by_setting(tmp_path: Path, monkeypatch):
    data = _write(tmp_path / "mine.csv", POSTS)
    out = tmp_path / "model"
    done = subprocess.run([sys.executable, "-m", "heed_ops.cli", "classifier", "train", "--data", str(data),
                           "--out", str(out), "--version", "acme-7"], capture_output=True, text=True, check=True)
    assert "acme-7" in done.stdout and (out / "weights.npz").is_file()
    monkeypatch.setenv("HEED_CLASSIFIER_MODEL_DIR", str(out))
    model = Classifier.load(ClassifierSettings().classifier_model_dir)
    assert model.version.endswith("+acme-7")
    assert model.classify(mention("superb zorblax, wonderful")).sentiment > 0
    assert model.classify(mention("zorblax failing, awful")).sentiment < 0


def test_eval_scores_any_csv_with_the_label_columns(tmp_path: Path):
    data = _write(tmp_path / "mine.csv", POSTS)
    result = evaluate(Classifier.load(), data)
    assert set(result["fields"]) == {"intent_mapped", "sentiment_mapped"}
    intent = result["fields"]["intent_mapped"]
    assert intent.n == 45 and 0.0 <= intent.macro_f1 <= 1.0
    assert set(intent.per_label) == {"complaint", "question", "praise"}
    done = subprocess.run([sys.executable, "-m", "heed_ops.cli", "classifier", "eval", "--data", str(data), "--json"],
                          capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)[0]["dataset"] == "mine"


def test_a_csv_without_text_or_labels_is_refused_with_the_reason(tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("body,label\nhello,1\n")
    with pytest.raises(BadDataset, match="text"):
        evaluate(Classifier.load(), bad)
    no_labels = tmp_path / "no_labels.csv"
    no_labels.write_text("text,label\nhello,1\n")
    with pytest.raises(BadDataset, match="label column"):
        evaluate(Classifier.load(), no_labels)


def test_a_missing_artefact_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match=r"model\.json"):
        Classifier.load(tmp_path)
