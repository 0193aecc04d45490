"""`heed classifier train | eval | bench` on small hand-written CSVs."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from heed_classifier.cli import main
from heed_classifier.domain import Classifier
from tests.unit.factories import mention

POSTS = [
    ("my order is late again, terrible service", "complaint", "negative"),
    ("the box arrived broken and nobody answers", "complaint", "negative"),
    ("worst support ever, still no refund", "complaint", "negative"),
    ("外卖送得太慢了，饭都凉了", "complaint", "negative"),
    ("質量太差，用兩天就壞了", "complaint", "negative"),
    ("love it, thank you so much", "praise", "positive"),
    ("great service and fast delivery", "praise", "positive"),
    ("味道很好，五星好评", "praise", "positive"),
    ("when does the store open?", "question", "neutral"),
    ("do you ship abroad?", "question", "neutral"),
    ("请问几点开门？", "question", "neutral"),
    ("just bought a kettle", "other", "neutral"),
]


def write_csv(path: Path, rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("data")
    return write_csv(directory / "acme_posts.csv", POSTS * 3, ("text", "intent_mapped", "sentiment_mapped"))


def test_train_writes_an_artefact_the_classifier_loads(tmp_path, labelled, capsys):
    out = tmp_path / "acme-1"
    assert main(["train", "--data", str(labelled), "--out", str(out), "--version", "acme-1"]) == 0
    assert (out / "model.json").is_file() and (out / "weights.npz").is_file()
    assert "HEED_CLASSIFIER_MODEL_DIR" in capsys.readouterr().out
    retrained = Classifier.load(out)
    assert retrained.version.endswith("acme-1")
    c = retrained.classify(mention("my order is late again, terrible service"))
    assert c.category.value == "complaint" and c.sentiment < 0
    assert c.model_version == retrained.version


def test_train_refuses_a_csv_without_labels(tmp_path):
    bad = write_csv(tmp_path / "bad.csv", [("hello",)], ("text",))
    with pytest.raises(ValueError, match="label column"):
        main(["train", "--data", str(bad), "--out", str(tmp_path / "m")])


def test_eval_reports_accuracy_macro_f1_and_per_label_figures(tmp_path, labelled, capsys):
    script = write_csv(tmp_path / "zh_script.csv", [("这台电脑质量很好", "Hans"), ("這台電腦質量很好", "Hant")],
                       ("text", "script"))
    assert main(["eval", "--data", str(labelled), str(script), "--json"]) == 0
    results = {r["dataset"]: r for r in json.loads(capsys.readouterr().out)}
    intent = results["acme_posts"]["fields"]["intent_mapped"]
    assert intent["n"] == len(POSTS) * 3
    assert set(intent) >= {"accuracy", "macro_f1", "per_label"}
    assert set(intent["per_label"]) == {"complaint", "praise", "question", "other"}
    assert {"precision", "recall"} <= set(intent["per_label"]["complaint"])
    assert results["zh_script"]["fields"]["script"]["accuracy"] == 1.0
    assert main(["eval", "--data", str(script)]) == 0
    table = capsys.readouterr().out
    assert "| zh_script | script | 2 | 1.000 |" in table


def test_bench_prints_posts_per_second(labelled, capsys):
    assert main(["bench", "--posts", "300", "--data", str(labelled), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["posts"] == 300 and figures["posts_per_s"] > 0 and figures["posts_per_cpu_s"] > 0


def test_eval_scores_the_language_among_the_languages_given(tmp_path, capsys):
    posts = [("La chambre était sale et personne n'est venu", "fr"), ("我的订单三天了还没发货", "zh-Hans"),
             ("Das Zimmer war schmutzig und laut", "de"), ("My parcel is a week late", "en")]
    data = write_csv(tmp_path / "langs.csv", posts, ("text", "lang"))
    assert main(["eval", "--data", str(data), "--json"]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert result["fields"]["lang"]["accuracy"] == 1.0 and result["fields"]["lang"]["n"] == 4
    # without German among the languages, the German post cannot be named German
    assert main(["eval", "--data", str(data), "--languages", "en,zh,fr", "--json"]) == 0
    [narrow] = json.loads(capsys.readouterr().out)
    assert narrow["fields"]["lang"]["per_label"]["de"]["recall"] == 0.0


def test_an_unknown_language_is_refused_by_name():
    with pytest.raises(ValueError, match="klingon"):
        main(["bench", "--posts", "10", "--languages", "en,klingon"])


def test_the_command_line_and_the_services_start_without_the_learned_heads() -> None:
    # every `heed` command, and every service (they start through it), builds the whole parser; it
    # names the classifier's languages, and that once loaded scikit-learn and SciPy: about 3 CPU-s
    # and 100 MB for each process, also for the four services that never classify
    import os
    import subprocess
    import sys

    probe = ("import sys; from heed_ops.cli import build_parser; build_parser(); "
             "from heed_ops.services import service_class; service_class('ingest'); "
             "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert loaded.stdout.strip() == "[]"

    import heed_classifier.domain as domain  # the package's names still load on first use

    assert domain.Classifier is Classifier
    with pytest.raises(AttributeError):
        domain.NoSuchName  # noqa: B018
