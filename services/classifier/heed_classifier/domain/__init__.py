"""The classifier's decisions: pure functions over a mention, no I/O beyond loading cue tables.

`classifier.py` is the Classifier and its steps; `scripts.py` reads language and Chinese script,
`pii.py` finds personal data, `lexicon.py` holds the cue words and `model.py` the learned heads.
"""

from heed_classifier.domain.classifier import MAX_CHARS, Classifier, model_text

__all__ = ["MAX_CHARS", "Classifier", "model_text"]
