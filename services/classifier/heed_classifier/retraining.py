"""`heed classifier train --corrections`: retrain on the shipped data plus the brand's corrections,
compare the new model with the current one on the same held-out data, promote it only if it is not
worse.

The comparison reads two kinds of held-out data, the same for both models:
- the evaluation CSVs (by default every CSV in `../shared/data`; the evaluation-only ones are read
  here and never trained on): each dataset and field's macro F1 (`evaluation.py`);
- a fifth of the agents' corrections, chosen by a hash of the mention id (so the same mentions stay
  held out from one retraining to the next) and never trained on: how often each model says what the
  agent said, per corrected field.

A new model is promoted only if it is not worse on either, and shows it learnt:
- on the evaluation data, the mean macro F1 falls by at most `tolerance` and no one figure by more
  than `max_drop`;
- on the held-out corrections, it fixes more of what the current model got wrong than it breaks of
  what it got right, beyond chance: a one-sided sign test over the corrections only one of the two
  models agrees with, p ≤ `significance`; and, when the corrections carry more than one label, it
  beats in the same way a control trained on the same corrections with their labels shuffled among
  the texts (a permutation test: labels that say nothing about their texts teach no more than
  shuffled ones). Corrections whose labels are noise, or too few to tell, are refused.

Corrections of the category teach the learned intent head (any category, also those that only cue
words decided so far, such as `sales_lead`), each with `weight` times a CSV row's weight. Issue type,
urgency and language come from cue words, rules and script detection, not from a learned head: their
corrections are kept, held out and scored like the others, but teach nothing yet.
"""

from __future__ import annotations

import hashlib
import math
import random
import shutil
import uuid
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from sklearn.exceptions import ConvergenceWarning

from heed.contracts.events import Classification, CorrectableField
from heed_classifier.domain import Classifier
from heed_classifier.evaluation import as_mentions, evaluate
from heed_classifier.model_versions import promote
from heed_classifier.training import PERMITTED, TEAM_EXAMPLES, Example, train

TRAINING_DATA = Path(__file__).parent / "training_data"
HELD_OUT_SHARE = 5  # one mention in five is held out
DEFAULT_WEIGHT = 3.0
DEFAULT_TOLERANCE = 0.005
DEFAULT_MAX_DROP = 0.03
DEFAULT_SIGNIFICANCE = 0.05


class NoCorrections(ValueError):
    """There is nothing to learn from: no correction of the category is stored."""


@dataclass(frozen=True)
class StoredCorrection:
    mention_id: uuid.UUID
    field: CorrectableField
    value: str
    text: str


def shipped_training_data(shared: Path) -> list[Path]:
    """The data the shipped model is trained on (`make model`): the permitted shared datasets and the team's
    examples."""
    files = [shared / f"{name}.csv" for name in PERMITTED]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"the shipped training data is incomplete, missing: {', '.join(missing)} "
                                f"(give the data with --data)")
    return [*files, TEAM_EXAMPLES, TRAINING_DATA / "team_examples_zh.csv", TRAINING_DATA / "team_examples_en.csv"]


async def load_corrections(dsn: str, schema: str = "classifier") -> list[StoredCorrection]:
    """Every correction the classifier keeps (`corrections`, the latest per mention and field)."""
    try:
        conn = await asyncpg.connect(dsn, server_settings={"search_path": f'"{schema}"'})
    except (OSError, asyncpg.PostgresError) as failed:  # the DSN may hold a password: never in the message
        raise RuntimeError(f"cannot reach the database that holds the corrections: {type(failed).__name__}") from None
    try:
        rows = await conn.fetch("SELECT mention_id, field, value, text FROM corrections ORDER BY mention_id, field")
    except asyncpg.UndefinedTableError:
        raise NoCorrections(f"no corrections table in schema {schema!r} of that database: has the classifier "
                            "(migration 003) run against it?") from None
    finally:
        await conn.close()
    return [StoredCorrection(r["mention_id"], CorrectableField(r["field"]), r["value"], r["text"]) for r in rows]


def held_out(mention_id: uuid.UUID) -> bool:
    """One mention in HELD_OUT_SHARE, always the same ones."""
    return hashlib.sha256(mention_id.bytes).digest()[0] % HELD_OUT_SHARE == 0


def split(corrections: Sequence[StoredCorrection]) -> tuple[list[StoredCorrection], list[StoredCorrection]]:
    """(to train on, held out); every field of a mention on the same side."""
    train_part = [c for c in corrections if not held_out(c.mention_id)]
    return train_part, [c for c in corrections if held_out(c.mention_id)]


def intent_examples(corrections: Sequence[StoredCorrection], weight: float) -> list[Example]:
    return [Example(c.text, c.value, weight) for c in corrections if c.field is CorrectableField.CATEGORY]


def shuffled_labels(examples: Sequence[Example], seed: int = 42) -> list[Example]:
    """The same texts and weights with the labels shuffled among them: the control's training corrections,
    which keep how many of each label there are and lose which text has which."""
    labels = [e.label for e in examples]
    random.Random(seed).shuffle(labels)
    return [Example(e.text, label, e.weight) for e, label in zip(examples, labels, strict=True)]


def said(c: Classification, f: CorrectableField) -> str:
    """What a classification says for a correctable field, as a correction names it."""
    value = getattr(c, f.value)
    return "none" if value is None else str(value)


@dataclass
class Figure:
    """One figure both models are scored on: `current` and `new` in [0, 1], over `n` items."""

    name: str
    n: int
    current: float
    new: float

    @property
    def change(self) -> float:
        return round(self.new - self.current, 4)


@dataclass
class Duel:
    """The new model against another one on the held-out corrections: those only it agrees with (`won`)
    and those only the other agrees with (`lost`)."""

    won: int = 0
    lost: int = 0

    @property
    def p_value(self) -> float:
        """One-sided sign test: how likely at least `won` of the `won + lost` disagreements go the new model's
        way if neither model were better."""
        n = self.won + self.lost
        return 1.0 if n == 0 else sum(math.comb(n, k) for k in range(self.won, n + 1)) / 2 ** n


@dataclass
class Comparison:
    current_version: str
    new_version: str
    evaluation: list[Figure] = field(default_factory=list)  # macro F1 per dataset and field
    corrections: list[Figure] = field(default_factory=list)  # agreement per corrected field, held out
    agreed: tuple[int, int] = (0, 0)  # held-out corrections each model agrees with (current, new)
    held_out: int = 0
    against_current: Duel = field(default_factory=Duel)
    # against a control trained on the same corrections with their labels shuffled among the texts:
    # corrections whose labels carry no signal about their texts teach no more than that (None: one label
    # only, nothing to shuffle)
    against_control: Duel | None = None
    control_agreed: int = 0

    def mean(self, which: str) -> float:
        values = [getattr(f, which) for f in self.evaluation]
        return round(sum(values) / len(values), 4) if values else 0.0

    def worse(self, tolerance: float, max_drop: float, significance: float) -> list[str]:
        """Why the new model is worse than the current one, or not shown better; empty when it is better."""
        reasons = []
        vs, control = self.against_current, self.against_control
        if self.held_out == 0:
            reasons.append("no correction is held out to show what it learnt (too few corrections)")
        elif vs.p_value > significance:
            reasons.append(f"it is not shown to learn from the corrections: of the {self.held_out} held out it gets "
                           f"{vs.won} right that the current model gets wrong and {vs.lost} wrong that the current "
                           f"model gets right (sign test p = {vs.p_value:.3f} > {significance})")
        elif control is not None and control.p_value > significance:
            reasons.append(f"the corrections teach it no more than shuffled labels would: of the {self.held_out} "
                           f"held out it gets {control.won} right that a model trained on the same corrections with "
                           f"their labels shuffled gets wrong and {control.lost} the other way (sign test p = "
                           f"{control.p_value:.3f} > {significance})")
        drop = round(self.mean("current") - self.mean("new"), 4)
        if drop > tolerance:
            reasons.append(f"mean macro F1 on the evaluation data falls by {drop:.4f} "
                           f"({self.mean('current'):.4f} → {self.mean('new'):.4f}; tolerance {tolerance})")
        for f in self.evaluation:
            if -f.change > max_drop:
                reasons.append(f"{f.name} falls by {-f.change:.4f} ({f.current:.4f} → {f.new:.4f}; "
                               f"at most {max_drop} per figure)")
        return reasons

    def as_dict(self) -> dict[str, Any]:
        return {"current": self.current_version, "new": self.new_version,
                "mean_macro_f1": {"current": self.mean("current"), "new": self.mean("new")},
                "held_out_corrections": {
                    "n": self.held_out, "current": self.agreed[0], "new": self.agreed[1],
                    "shuffled_label_control": self.control_agreed if self.against_control else None,
                    "vs_current": {"won": self.against_current.won, "lost": self.against_current.lost,
                                   "p_value": self.against_current.p_value},
                    "vs_control": None if self.against_control is None else {
                        "won": self.against_control.won, "lost": self.against_control.lost,
                        "p_value": self.against_control.p_value}},
                "evaluation": [vars(f) for f in self.evaluation], "corrections": [vars(f) for f in self.corrections]}


def compare(current: Classifier, new: Classifier, evaluation_files: Sequence[Path],
            held: Sequence[StoredCorrection], control: Classifier | None = None) -> Comparison:
    """Score both models on the same evaluation files and held-out corrections (and the random-label
    control on the corrections)."""
    result = Comparison(current.version, new.version, held_out=len(held),
                        against_control=Duel() if control is not None else None)
    for path in evaluation_files:
        before, after = evaluate(current, Path(path)), evaluate(new, Path(path))
        for name, score in before["fields"].items():
            result.evaluation.append(Figure(f"{before['dataset']} {name.replace('_mapped', '')} macro F1", score.n,
                                            score.macro_f1, after["fields"][name].macro_f1))
    if not held:
        return result
    texts = sorted({(c.mention_id, c.text) for c in held})
    mentions = as_mentions(t for _, t in texts)
    by_mention = {m: i for i, (m, _) in enumerate(texts)}
    models = {"current": current, "new": new, **({"control": control} if control is not None else {})}
    answers = {k: m.classify_batch(mentions) for k, m in models.items()}
    agreed: dict[str, Counter[CorrectableField]] = {k: Counter() for k in answers}
    counts: Counter[CorrectableField] = Counter()
    for c in held:
        counts[c.field] += 1
        right = {k: said(results[by_mention[c.mention_id]], c.field) == c.value for k, results in answers.items()}
        for k, agrees in right.items():
            agreed[k][c.field] += agrees
        for other, duel in (("current", result.against_current), ("control", result.against_control)):
            if duel is not None and other in right:
                duel.won += right["new"] and not right[other]
                duel.lost += right[other] and not right["new"]
    for f in CorrectableField:
        if counts[f]:
            result.corrections.append(Figure(f"held-out corrections: {f.value} agreement", counts[f],
                                             round(agreed["current"][f] / counts[f], 4),
                                             round(agreed["new"][f] / counts[f], 4)))
    result.agreed = (sum(agreed["current"].values()), sum(agreed["new"].values()))
    result.control_agreed = sum(agreed.get("control", Counter()).values())
    return result


def side_by_side(comparison: Comparison) -> str:
    """Both models' figures in one table, the change last."""
    lines = [f"| figure | n | current ({comparison.current_version}) | new ({comparison.new_version}) | change |",
             "|---|---|---|---|---|"]
    for f in [*comparison.evaluation, *comparison.corrections]:
        lines.append(f"| {f.name} | {f.n} | {f.current:.4f} | {f.new:.4f} | {f.change:+.4f} |")
    lines.append(f"| mean macro F1 (evaluation data) | {len(comparison.evaluation)} | {comparison.mean('current'):.4f} "
                 f"| {comparison.mean('new'):.4f} | {comparison.mean('new') - comparison.mean('current'):+.4f} |")
    n = comparison.held_out
    vs, control = comparison.against_current, comparison.against_control
    lines.append(f"| held-out corrections agreed with | {n} | {comparison.agreed[0]} | {comparison.agreed[1]} "
                 f"| {comparison.agreed[1] - comparison.agreed[0]:+d} (new model right where the current one is "
                 f"wrong {vs.won}, the other way {vs.lost}; sign test p = {vs.p_value:.3g}) |")
    if control is not None:
        lines.append(f"| … a control trained on the corrections with shuffled labels agrees with | {n} | "
                     f"| {comparison.control_agreed} | new model right where the control is wrong {control.won}, the "
                     f"other way {control.lost}; sign test p = {control.p_value:.3g} |")
    return "\n".join(lines)


@dataclass
class Outcome:
    comparison: Comparison
    reasons: list[str]  # why the new model is worse (empty: it is not)
    promoted: Path | None  # where it went, if promoted


def retrain(*, corrections: Sequence[StoredCorrection], current: Classifier, data: Sequence[Path],
            evaluation_files: Sequence[Path], models_dir: Path, version: str, weight: float = DEFAULT_WEIGHT,
            tolerance: float = DEFAULT_TOLERANCE, max_drop: float = DEFAULT_MAX_DROP,
            significance: float = DEFAULT_SIGNIFICANCE, force: bool = False, progress: bool = True) -> Outcome:
    """Train on `data` plus the corrections not held out, compare with `current`, promote unless worse."""
    to_train, held = split(corrections)
    examples = intent_examples(to_train, weight)
    if not examples:
        raise NoCorrections(f"no correction of the category to learn from ({len(corrections)} corrections stored, "
                            f"{len(held)} of them held out for the comparison)")
    building, control_dir = models_dir / f".building-{version}", models_dir / f".control-{version}"
    shutil.rmtree(building, ignore_errors=True)
    models_dir.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            # weighted rows converge more slowly within the shipped iteration budget; the comparison judges the fit
            warnings.simplefilter("ignore", ConvergenceWarning)
            train(data, building, version, progress=progress, intent_extra=examples)
            # with one label only, shuffling changes nothing: the evaluation data guards against "that label
            # for everything" instead
            if len({e.label for e in examples}) > 1:
                train(data, control_dir, f"{version}-control", progress=False, intent_extra=shuffled_labels(examples))
        new = Classifier.load(building)
        control = Classifier.load(control_dir) if control_dir.is_dir() else None
        comparison = compare(current, new, evaluation_files, held, control)
        reasons = comparison.worse(tolerance, max_drop, significance)
        if reasons and not force:
            return Outcome(comparison, reasons, None)
        record = {"trained_on_corrections": len(examples), "held_out_corrections": len(held), "weight": weight,
                  "forced": bool(reasons), **comparison.as_dict()}
        return Outcome(comparison, reasons, promote(models_dir, version, building, record))
    finally:
        shutil.rmtree(building, ignore_errors=True)
        shutil.rmtree(control_dir, ignore_errors=True)
