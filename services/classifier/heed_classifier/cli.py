"""`heed classifier eval | train`: quality against labelled CSVs, and retraining."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    classifier = subparsers.add_parser("classifier", help="evaluate the classifier")
    sub = classifier.add_subparsers(dest="classifier_command", required=True)
    ev = sub.add_parser("eval", help="accuracy, macro F1 and per-label precision/recall per dataset and field")
    ev.add_argument("--data", nargs="+", type=Path, help=f"CSV files (default: every CSV in {DEFAULT_DATA})")
    ev.add_argument("--model-dir", type=Path, help="a retrained artefact (default: the shipped model)")
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=cmd_eval)
    tr = sub.add_parser("train", help="fit the learned heads on labelled CSVs and write an artefact")
    tr.add_argument("--data", nargs="+", type=Path, required=True,
                    help="CSVs with `text` and `sentiment_mapped` and/or `intent_mapped` columns")
    tr.add_argument("--out", type=Path, required=True,
                    help="artefact directory; load it with HEED_CLASSIFIER_MODEL_DIR")
    tr.add_argument("--version", default="custom-1", help="the artefact's version, reported with every decision")
    tr.set_defaults(func=cmd_train)


def cmd_eval(args: argparse.Namespace) -> int:
    from heed_classifier.domain import Classifier
    from heed_classifier.evaluation import as_dict, evaluate, markdown

    files = args.data or sorted(DEFAULT_DATA.glob("*.csv"))
    if not files:
        raise FileNotFoundError(f"no CSV given and none in {DEFAULT_DATA}")
    model = Classifier.load(args.model_dir)
    results = [evaluate(model, Path(f)) for f in files]
    if args.json:
        print(json.dumps([as_dict(r) for r in results], ensure_ascii=False))
    else:
        print(f"model {model.version}\n")
        print(markdown(results))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from heed_classifier.training import train

    counts = train(args.data, args.out, args.version)
    for head, labels in counts.items():
        print(f"{head}: " + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))
    print(f"wrote {args.out} (version {args.version}); use it with HEED_CLASSIFIER_MODEL_DIR={args.out}")
    return 0
