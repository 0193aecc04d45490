"""`heed classifier eval`: quality against labelled CSVs."""

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
