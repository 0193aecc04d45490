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
    be = sub.add_parser("bench", help="posts/s of classify_batch on one core, in batch")
    be.add_argument("--posts", type=int, default=20000, help="how many posts in the batch")
    be.add_argument("--data", nargs="+", type=Path,
                    help=f"CSVs whose texts are cycled (default: every CSV in {DEFAULT_DATA}, else built-in posts)")
    be.add_argument("--model-dir", type=Path, help="a retrained artefact (default: the shipped model)")
    be.add_argument("--json", action="store_true")
    be.set_defaults(func=cmd_bench)


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


BENCH_FALLBACK = (
    "My order #A12345 still hasn't arrived, third time I'm asking!!", "请问你们门店周末几点开门？",
    "訂單三天了還沒發貨，客服也不回覆", "ส่งของช้ามากค่ะ สั่งไปอาทิตย์นึงแล้ว", "Love the new kettle, thanks!",
    "外卖送得太慢了，饭菜都凉了", "😀😀😀", "",
)


def cmd_bench(args: argparse.Namespace) -> int:
    import os
    import time

    from heed_classifier.domain import Classifier
    from heed_classifier.evaluation import as_mentions, read_rows

    files = args.data or sorted(DEFAULT_DATA.glob("*.csv"))
    texts = [r["text"] for f in files for r in read_rows(Path(f))] or list(BENCH_FALLBACK)
    model = Classifier.load(args.model_dir)
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
    from heed_classifier.training import train

    counts = train(args.data, args.out, args.version)
    for head, labels in counts.items():
        print(f"{head}: " + ", ".join(f"{k} {v}" for k, v in sorted(labels.items())))
    print(f"wrote {args.out} (version {args.version}); use it with HEED_CLASSIFIER_MODEL_DIR={args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m heed_classifier.cli eval|train|bench …` without the `heed` entry point."""
    parser = argparse.ArgumentParser(prog="heed")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["classifier", *(argv if argv is not None else __import__("sys").argv[1:])])
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
