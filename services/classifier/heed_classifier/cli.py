"""`heed classifier eval | train | bench`: quality against labelled CSVs, retraining (also on agents'
corrections, promoted only when not worse), speed."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from heed_classifier.domain import Classifier

DEFAULT_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    classifier = subparsers.add_parser("classifier", help="evaluate the classifier")
    sub = classifier.add_subparsers(dest="classifier_command", required=True)
    ev = sub.add_parser("eval", help="accuracy, macro F1 and per-label precision/recall per dataset and field")
    ev.add_argument("--data", nargs="+", type=Path, help=f"CSV files (default: every CSV in {DEFAULT_DATA})")
    ev.add_argument("--model-dir", type=Path, help="a retrained artefact (default: the shipped model)")
    add_language_options(ev)
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(func=cmd_eval)
    tr = sub.add_parser("train", help="fit the learned heads on labelled CSVs and write an artefact; with "
                                      "--corrections, retrain on the agents' corrections too and promote the new "
                                      "model only if it is not worse")
    tr.add_argument("--data", nargs="+", type=Path,
                    help="CSVs with `text` and `sentiment_mapped` and/or `intent_mapped` columns (with --corrections, "
                         "default: the shipped model's training data)")
    tr.add_argument("--out", type=Path, help="artefact directory; load it with HEED_CLASSIFIER_MODEL_DIR "
                                             "(not with --corrections, which promotes into --models-dir)")
    tr.add_argument("--version", help="the artefact's version, reported with every decision (default: custom-1; "
                                      "with --corrections: corr-<UTC time>)")
    tr.add_argument("--corrections", action="store_true",
                    help="also learn from the corrections the classifier keeps (its schema in --dsn); compare with "
                         "the current model on the same held-out data; promote only if not worse")
    tr.add_argument("--dsn", help="PostgreSQL holding the classifier's schema (default: HEED_DATABASE_URL, else "
                                  "the dev stack's)")
    tr.add_argument("--models-dir", type=Path, help="where versions are promoted (default: HEED_CLASSIFIER_MODELS_DIR)")
    tr.add_argument("--eval-data", nargs="+", type=Path,
                    help=f"CSVs both models are compared on (default: every CSV in {DEFAULT_DATA})")
    tr.add_argument("--weight", type=float, default=None, help="a correction's weight against a CSV row's (default 3)")
    tr.add_argument("--tolerance", type=float, default=None,
                    help="largest fall of the mean macro F1 that still promotes (default 0.005)")
    tr.add_argument("--max-drop", type=float, default=None,
                    help="largest fall of any one macro F1 that still promotes (default 0.03)")
    tr.add_argument("--force", action="store_true", help="promote even a worse model")
    tr.add_argument("--json", action="store_true", help="with --corrections: the comparison as JSON")
    tr.set_defaults(func=cmd_train)
    be = sub.add_parser("bench", help="posts/s of classify_batch on one core, in batch")
    be.add_argument("--posts", type=int, default=20000, help="how many posts in the batch")
    be.add_argument("--data", nargs="+", type=Path,
                    help=f"CSVs whose texts are cycled (default: every CSV in {DEFAULT_DATA}, else built-in posts)")
    be.add_argument("--model-dir", type=Path, help="a retrained artefact (default: the shipped model)")
    add_language_options(be)
    be.add_argument("--json", action="store_true")
    be.set_defaults(func=cmd_bench)


def add_language_options(parser: argparse.ArgumentParser) -> None:
    from heed_classifier.domain.languages import DEFAULT_LANGUAGES

    parser.add_argument("--languages", default=",".join(DEFAULT_LANGUAGES),
                        help="the languages to name, ISO 639-1, comma-separated (as HEED_CLASSIFIER_LANGUAGES)")
    parser.add_argument("--default-language", default="en",
                        help="the language of a post too short to tell (as HEED_CLASSIFIER_DEFAULT_LANGUAGE)")


def load_model(args: argparse.Namespace) -> Classifier:
    from heed_classifier.domain import Classifier

    return Classifier.load(args.model_dir, languages=args.languages.split(","),
                           default_language=args.default_language)


def cmd_eval(args: argparse.Namespace) -> int:
    from heed_classifier.evaluation import as_dict, evaluate, markdown

    files = args.data or sorted(DEFAULT_DATA.glob("*.csv"))
    if not files:
        raise FileNotFoundError(f"no CSV given and none in {DEFAULT_DATA}")
    model = load_model(args)
    results = [evaluate(model, Path(f)) for f in files]
    if args.json:
        print(json.dumps([as_dict(r) for r in results], ensure_ascii=False))
    else:
        print(f"model {model.version}\n")
        print(markdown(results))
    return 0


BENCH_FALLBACK = (
    "My order #A12345 still hasn't arrived, third time I'm asking!!", "请问你们门店周末几点开门？",
    "訂單三天了還沒發貨，客服也不回覆", "ส่งของช้ามากค่ะ สั่งไปอาทิตย์นึงแล้ว", "Love the new kettle, thanks!",
    "外卖送得太慢了，饭菜都凉了", "😀😀😀", "",
)


def cmd_bench(args: argparse.Namespace) -> int:
    import os
    import time

    from heed_classifier.evaluation import as_mentions, read_rows

    files = args.data or sorted(DEFAULT_DATA.glob("*.csv"))
    texts = [r["text"] for f in files for r in read_rows(Path(f))] or list(BENCH_FALLBACK)
    model = load_model(args)
    mentions = as_mentions(texts[i % len(texts)] for i in range(args.posts))
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    if cores:
        os.sched_setaffinity(0, {min(cores)})  # one core
    try:
        model.classify_batch(mentions[:200])  # warm caches (script tables, vectoriser)
        started_cpu, started = time.process_time(), time.perf_counter()
        model.classify_batch(mentions)
        cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
    finally:
        if cores:
            os.sched_setaffinity(0, cores)
    figures = {"posts": args.posts, "model_version": model.version, "cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
               "posts_per_cpu_s": round(args.posts / cpu, 1), "posts_per_s": round(args.posts / wall, 1)}
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"classifier {model.version}: {figures['posts_per_s']:,} posts/s wall, "
              f"{figures['posts_per_cpu_s']:,} posts per CPU-second, one core, one batch of {args.posts:,}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    if args.corrections:
        return cmd_retrain(args)
    from heed_classifier.training import train

    if not args.data or args.out is None:
        raise SystemExit("heed classifier train: --data and --out are needed (or --corrections)")
    version = args.version or "custom-1"
    counts = train(args.data, args.out, version)
    for head, labels in counts.items():
        print(f"{head}: " + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))
    print(f"wrote {args.out} (version {version}); use it with HEED_CLASSIFIER_MODEL_DIR={args.out}")
    return 0


REFUSED = 3  # the exit status of a retraining whose model was worse and not promoted


def cmd_retrain(args: argparse.Namespace) -> int:
    import asyncio
    from datetime import UTC, datetime

    from heed_classifier.bootstrap import load_model
    from heed_classifier.model_versions import check_version
    from heed_classifier.retraining import (
        DEFAULT_MAX_DROP,
        DEFAULT_TOLERANCE,
        DEFAULT_WEIGHT,
        load_corrections,
        retrain,
        shipped_training_data,
        side_by_side,
    )
    from heed_classifier.settings import ClassifierSettings

    if args.out is not None:
        raise SystemExit("heed classifier train --corrections promotes into --models-dir; --out is not used")
    settings = ClassifierSettings()
    models_dir = args.models_dir or settings.classifier_models_dir
    if args.models_dir is not None:
        settings = settings.model_copy(update={"classifier_models_dir": models_dir})
    version = check_version(args.version or "corr-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    current = load_model(settings)
    corrections = asyncio.run(load_corrections(args.dsn or settings.resolved_database()))
    evaluation = args.eval_data or sorted(DEFAULT_DATA.glob("*.csv"))
    outcome = retrain(corrections=corrections, current=current,
                      data=args.data or shipped_training_data(DEFAULT_DATA), evaluation_files=evaluation,
                      models_dir=models_dir, version=version,
                      weight=DEFAULT_WEIGHT if args.weight is None else args.weight,
                      tolerance=DEFAULT_TOLERANCE if args.tolerance is None else args.tolerance,
                      max_drop=DEFAULT_MAX_DROP if args.max_drop is None else args.max_drop,
                      force=args.force, progress=not args.json)
    if args.json:
        print(json.dumps({**outcome.comparison.as_dict(), "worse": outcome.reasons,
                          "promoted": str(outcome.promoted) if outcome.promoted else None}))
    else:
        print(side_by_side(outcome.comparison))
        print()
    if outcome.promoted is None:
        if not args.json:
            print(f"refused: {version} is not promoted over {current.version}: " + "; ".join(outcome.reasons)
                  + ". Nothing changed; --force promotes it anyway.")
        return REFUSED
    if not args.json:
        if outcome.reasons:
            print("forced: " + "; ".join(outcome.reasons))
        print(f"promoted {version} to {outcome.promoted}; the classifier loads it on its next start "
              f"(a rollback: HEED_CLASSIFIER_MODEL_VERSION=<an older version> or shipped)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m heed_classifier.cli eval|train|bench …` without the `heed` entry point."""
    parser = argparse.ArgumentParser(prog="heed")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["classifier", *(argv if argv is not None else __import__("sys").argv[1:])])
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
