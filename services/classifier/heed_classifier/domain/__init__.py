"""The classifier's decisions: pure functions over a mention, no I/O beyond loading cue tables.

`classifier.py` is the Classifier and its steps; `scripts.py` reads language and Chinese script,
`pii.py` finds personal data, `lexicon.py` holds the cue words and `model.py` the learned heads.

The package's names are loaded on first use: importing a light submodule (the command line reads
`languages.DEFAULT_LANGUAGES` for its help) must not load the learned heads and scikit-learn, which
cost every `heed` command and every service process about 3 CPU-seconds and 100 MB.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from heed_classifier.domain.classifier import MAX_CHARS, Classifier, model_text

__all__ = ["MAX_CHARS", "Classifier", "model_text"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("heed_classifier.domain.classifier"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
