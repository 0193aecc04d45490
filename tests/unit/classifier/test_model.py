"""The linear model's heads: the same probabilities as the plain product of the stored weights,
whatever order and type the weights came in, and the weights saved as they were loaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from heed_classifier.domain.model import Head, LinearModel, vectorizer

TEXTS = ["the lamp flickers again", "我的订单还没到", "ไม่พอใจมาก", "thanks, it works", ""]


def reference(head_coef: np.ndarray, intercept: np.ndarray, features) -> np.ndarray:
    """Softmax (or the logistic for one logit) of the dense product, computed the long way."""
    scores = features.toarray() @ head_coef.astype(np.float64).T + intercept.astype(np.float64)
    if scores.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        return np.column_stack([1.0 - p, p])
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("classes", [1, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_head_gives_the_probabilities_of_the_dense_product(classes, dtype):
    rng = np.random.default_rng(7)
    coef = rng.normal(size=(classes, 4096)).astype(dtype)
    intercept = rng.normal(size=classes).astype(np.float32)
    features = vectorizer(4096, 3).transform(TEXTS)
    head = Head([str(i) for i in range(max(classes, 2))], coef, intercept)
    assert np.allclose(head.probabilities(features), reference(coef, intercept, features), rtol=0, atol=1e-12)
    assert np.array_equal(head.coef, coef)  # still the (classes, features) matrix it was given


def test_saved_weights_load_back_unchanged(tmp_path: Path):
    rng = np.random.default_rng(3)
    heads = {"sentiment": Head(["negative", "neutral", "positive"],
                               rng.normal(size=(3, 2048)).astype(np.float32), np.zeros(3, np.float32))}
    LinearModel("t-1", 2048, 3, heads).save(tmp_path)
    loaded = LinearModel.load(tmp_path)
    assert np.array_equal(loaded.heads["sentiment"].coef, heads["sentiment"].coef)
    assert loaded.heads["sentiment"].coef.dtype == np.float64  # read as the products use it
    given = LinearModel("t-1", 2048, 3, heads).predict(TEXTS)["sentiment"]
    assert np.array_equal(loaded.predict(TEXTS)["sentiment"], given)
