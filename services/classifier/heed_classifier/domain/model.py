"""The learned part of the classifier: character n-gram linear models for sentiment and intent.

An artefact is a directory with `model.json` (version, feature settings, label sets) and
`weights.npz` (one coefficient matrix and intercept per head). Features are hashed character
n-grams, so the artefact needs no vocabulary and loads without pickle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

HEADS = ("sentiment", "intent")


def vectorizer(n_features: int, ngram_max: int) -> HashingVectorizer:
    return HashingVectorizer(analyzer="char_wb", ngram_range=(1, ngram_max), n_features=n_features,
                             alternate_sign=False, norm="l2", lowercase=True)


@dataclass
class Head:
    labels: list[str]
    coef: np.ndarray  # (classes, features), or (1, features) for two classes
    intercept: np.ndarray
    # The weights as scipy's sparse product reads them in place: (features, classes), C order, in the
    # features' float64. `features @ coef.T` converted the float32, transposed matrix to that on every
    # call (8 MB a head, a head or more per language in a batch): 22 % of the classifier's py-spy
    # samples in a 1,000/s `heed bench`. Converted once here, the products are the same; `coef`
    # becomes its view (docs/BENCHMARKS.md, issue 9's fourth session).
    _weights: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._weights = np.ascontiguousarray(np.asarray(self.coef).T, dtype=np.float64)
        self.coef = self._weights.T

    def probabilities(self, features: object) -> np.ndarray:
        scores = features @ self._weights + self.intercept  # type: ignore[operator]
        scores = np.asarray(scores)
        if scores.shape[1] == 1:  # binary: one logit for the second label
            p = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - p, p])
        scores = scores - scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def _align(probs: np.ndarray, labels: list[str], target: list[str]) -> np.ndarray:
    """Columns of `probs` (over `labels`) rearranged to `target`; missing labels get 0."""
    out = np.zeros((probs.shape[0], len(target)))
    for i, label in enumerate(labels):
        if label in target:
            out[:, target.index(label)] = probs[:, i]
    return out


@dataclass
class LinearModel:
    version: str
    n_features: int
    ngram_max: int
    heads: dict[str, Head]

    def __post_init__(self) -> None:
        self._vectorizer = vectorizer(self.n_features, self.ngram_max)

    def predict(self, texts: list[str], languages: list[str] | None = None) -> dict[str, np.ndarray]:
        """Probabilities per head name (`sentiment`, `intent`), one row per text.

        A head trained for one language (`sentiment@zh`) answers for the texts in that language;
        the head without a language answers for the rest.
        """
        features = self._vectorizer.transform(texts)
        out: dict[str, np.ndarray] = {}
        for name in dict.fromkeys(n.partition("@")[0] for n in self.heads):
            general = self.heads.get(name)
            specific = {n.partition("@")[2]: h for n, h in self.heads.items() if n.startswith(name + "@")}
            if general is None:
                raise ValueError(f"artefact has {name}@… heads but no general {name} head")
            probs = general.probabilities(features)
            if languages is not None:
                for lang, head in specific.items():
                    rows = np.flatnonzero(np.asarray(languages) == lang)
                    if len(rows):
                        p = head.probabilities(features[rows])
                        probs[rows] = _align(p, head.labels, general.labels)
            out[name] = probs
        return out

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        meta = {"version": self.version, "n_features": self.n_features, "ngram_max": self.ngram_max,
                "heads": {name: head.labels for name, head in self.heads.items()}}
        (directory / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
        arrays = {}
        for name, head in self.heads.items():
            arrays[f"{name}_coef"] = head.coef.astype(np.float32)
            arrays[f"{name}_intercept"] = head.intercept.astype(np.float32)
        np.savez_compressed(directory / "weights.npz", **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, directory: Path) -> LinearModel:
        meta_path = directory / "model.json"
        if not meta_path.is_file():
            raise FileNotFoundError(f"no classifier artefact in {directory}: expected model.json and weights.npz")
        meta = json.loads(meta_path.read_text())
        with np.load(directory / "weights.npz") as weights:
            heads = {name: Head(labels, weights[f"{name}_coef"], weights[f"{name}_intercept"])
                     for name, labels in meta["heads"].items()}
        return cls(meta["version"], meta["n_features"], meta["ngram_max"], heads)
