"""The retraining's decisions without training: which corrections are held out, the sign test, when a
new model is refused, and the versioned models a service loads (a rollback is one setting)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from heed.contracts.events import CorrectableField
from heed_classifier.bootstrap import load_model
from heed_classifier.cli import main
from heed_classifier.domain import Classifier
from heed_classifier.model_versions import POINTER, ModelVersionError, promote, resolve, versions
from heed_classifier.retraining import (
    Comparison,
    Duel,
    Figure,
    StoredCorrection,
    held_out,
    intent_examples,
    shuffled_labels,
    split,
)
from heed_classifier.settings import ClassifierSettings
from heed_classifier.training import Example

SHIPPED = Path(__file__).resolve().parents[3] / "services" / "classifier" / "heed_classifier" / "model"


def stored(i: int, field: CorrectableField = CorrectableField.CATEGORY, value: str = "sales_lead") -> StoredCorrection:
    return StoredCorrection(uuid.uuid5(uuid.NAMESPACE_URL, f"m{i}"), field, value, f"text {i}")


def test_a_fifth_of_the_mentions_are_held_out_always_the_same_with_every_field_of_a_mention_on_one_side():
    corrections = [stored(i, f) for i in range(500) for f in (CorrectableField.CATEGORY, CorrectableField.URGENCY)]
    train, held = split(corrections)
    assert 0.15 < len(held) / len(corrections) < 0.25
    assert {c.mention_id for c in train}.isdisjoint({c.mention_id for c in held})
    assert split(list(reversed(corrections)))[1] == list(reversed(held))
    assert all(held_out(c.mention_id) for c in held)
    # only the category teaches the learned head
    assert intent_examples(train, 3.0) == [Example(c.text, "sales_lead", 3.0) for c in train
                                           if c.field is CorrectableField.CATEGORY]


def test_shuffled_labels_keep_the_texts_and_how_many_of_each_label():
    examples = [Example(f"t{i}", label, 3.0) for i, label in enumerate(["a"] * 30 + ["b"] * 10)]
    shuffled = shuffled_labels(examples)
    assert [e.text for e in shuffled] == [e.text for e in examples]
    assert sorted(e.label for e in shuffled) == sorted(e.label for e in examples)
    assert [e.label for e in shuffled] != [e.label for e in examples]


@pytest.mark.parametrize(("won", "lost", "p"), [(0, 0, 1.0), (5, 0, 1 / 32), (4, 0, 1 / 16), (7, 4, 0.2744),
                                                (15, 0, 1 / 2**15), (0, 3, 1.0)])
def test_the_sign_test(won, lost, p):
    assert Duel(won, lost).p_value == pytest.approx(p, abs=1e-4)


def comparison(won: int, lost: int, *, control: Duel | None = None,
               figures: tuple[tuple[float, float], ...] = ((0.60, 0.60), (0.80, 0.80)), held: int = 20) -> Comparison:
    return Comparison("rules-1+lin-5", "rules-1+corr-1", [Figure(f"set{i} intent macro F1", 100, a, b)
                                                          for i, (a, b) in enumerate(figures)],
                      held_out=held, against_current=Duel(won, lost), against_control=control)


def test_a_model_is_promoted_only_when_it_learnt_and_lost_nothing_that_matters():
    assert comparison(6, 0).worse(0.005, 0.03, 0.05) == []
    assert comparison(6, 0, control=Duel(5, 0)).worse(0.005, 0.03, 0.05) == []
    [unshown] = comparison(7, 4).worse(0.005, 0.03, 0.05)
    assert "not shown to learn" in unshown and "7 right that the current model gets wrong and 4" in unshown
    [noise] = comparison(6, 0, control=Duel(2, 1)).worse(0.005, 0.03, 0.05)
    assert "no more than shuffled labels would" in noise
    [nothing] = comparison(0, 0, held=0).worse(0.005, 0.03, 0.05)
    assert "no correction is held out" in nothing
    mean, one = comparison(6, 0, figures=((0.60, 0.56), (0.80, 0.80))).worse(0.005, 0.03, 0.05)
    assert "mean macro F1 on the evaluation data falls by 0.0200" in mean
    assert one.startswith("set0 intent macro F1 falls by 0.0400")


def test_the_service_loads_the_named_version_else_the_promoted_one_else_the_shipped_one(tmp_path, monkeypatch):
    models = tmp_path / "models"
    assert resolve(models, None) is None  # nothing promoted: the shipped model
    for version in ("acme-1", "acme-2"):
        built = tmp_path / f"built-{version}"
        built.mkdir()
        for name in ("model.json", "weights.npz"):
            (built / name).write_bytes((SHIPPED / name).read_bytes())
        promote(models, version, built, {"why": "test"})
    assert versions(models) == ["acme-1", "acme-2"] and (models / POINTER).read_text() == "acme-2\n"
    history = [json.loads(line) for line in (models / "promotions.jsonl").read_text().splitlines()]
    assert [(h["version"], h["previous"]) for h in history] == [("acme-1", "shipped"), ("acme-2", "acme-1")]
    assert resolve(models, None) == models / "acme-2"
    assert resolve(models, "acme-1") == models / "acme-1"  # the rollback
    assert resolve(models, "shipped") is None
    with pytest.raises(ModelVersionError, match=r"no model version 'acme-9' in .* \(versions there: acme-1, acme-2"):
        resolve(models, "acme-9")
    with pytest.raises(ModelVersionError, match="not both"):
        resolve(models, "acme-1", tmp_path)
    with pytest.raises(ModelVersionError, match="exists"):
        promote(models, "acme-1", tmp_path / "built-acme-1", {})
    with pytest.raises(ModelVersionError, match="must be 1-64"):
        promote(models, "../evil", tmp_path, {})
    monkeypatch.delenv("HEED_CLASSIFIER_MODEL_DIR", raising=False)
    monkeypatch.setenv("HEED_CLASSIFIER_MODELS_DIR", str(models))
    monkeypatch.setenv("HEED_CLASSIFIER_MODEL_VERSION", "shipped")
    assert load_model(ClassifierSettings()).version == Classifier.load().version


def test_train_says_what_it_needs(tmp_path, capsys):
    with pytest.raises(SystemExit, match="--data and --out are needed"):
        main(["train", "--data", str(tmp_path / "x.csv")])
    with pytest.raises(SystemExit, match="--out is not used"):
        main(["train", "--corrections", "--out", str(tmp_path)])
