"""CPU time of three hot paths on `heed bench`'s posts, without broker or database: the PR rule's
keyword search, the router's `plan_routing`, and the classifier's rule path (no learned model).

Run from a checkout's root (copy it into an older checkout to compare):
    PYTHONPATH=.:libs:services/router:services/classifier .venv/bin/python docs/benchmarks/hot_paths.py
Each figure is the best of five passes over 2,000 posts, in batches of 500, as CPU time.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import yaml

from heed.contracts.events import Author, Channel, ClassifiedMention
from heed_classifier.domain import Classifier
from heed_ops.bench import POSTS
from heed_router.adapters.rules_file import shipped_rules_path
from heed_router.domain.cases import plan_routing
from heed_router.domain.rules import RuleTable, mentions_any
from tests.unit.factories import mention

POSTS_N, BATCH, PASSES = 2000, 500, 5


def best_us(work: Callable[[], None], n: int) -> float:
    best = float("inf")
    for _ in range(PASSES):
        started = time.process_time()
        work()
        best = min(best, (time.process_time() - started) / n * 1e6)
    return best


def main() -> None:
    table = RuleTable.model_validate(yaml.safe_load(shipped_rules_path().read_text(encoding="utf-8")))
    mentions = [mention(f"{text} #{i}", channel=Channel(channel), native_id=f"b{i}", thread_root=f"b{i}",
                        mention_id=uuid.uuid4(),
                        author=Author(platform_id=f"u{i % 5000}", handle=f"h{i}", followers=i % 900))
                for i in range(POSTS_N) for channel, text in [POSTS[i % len(POSTS)]]]
    classifier = Classifier()
    classified = [ClassifiedMention(event_id=uuid.uuid4(), occurred_at=m.received_at, mention_id=m.mention_id,
                                    mention=m, classification=c)
                  for m, c in zip(mentions, classifier.classify_batch(mentions), strict=True)]
    keyword_rules = [r.match._keyword_patterns for r in table.rules if r.match.keywords]
    now = datetime.now(UTC)

    def keywords() -> None:
        for m in mentions:
            for patterns in keyword_rules:
                mentions_any(patterns, m.text)

    def routing() -> None:
        for start in range(0, POSTS_N, BATCH):
            plan_routing(table, classified[start:start + BATCH], {}, {}, now)

    def classify() -> None:
        for start in range(0, POSTS_N, BATCH):
            classifier.classify_batch(mentions[start:start + BATCH])

    print(f"keyword rules ({len(keyword_rules)}): {best_us(keywords, POSTS_N):.1f} µs a post")
    print(f"plan_routing: {best_us(routing, POSTS_N):.1f} µs a mention")
    print(f"classifier, rule path: {best_us(classify, POSTS_N):.1f} µs a post")


if __name__ == "__main__":
    main()
