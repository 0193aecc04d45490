"""CPU time of hot paths on `heed bench`'s posts, without broker or database: the PR rule's keyword
search, the router's `plan_routing`, an acknowledgement's `on_reply` and one copy of a case, the
classifier's rule path (no learned model), the shipped learned model's heads on batches of 50, one
`replace` of the responder's outbox row (planning a reply makes three or four), and one `derive_id`.

Run from a checkout's root (copy it into an older checkout to compare):
    PYTHONPATH=.:libs:services/router:services/classifier:services/responder \
        .venv/bin/python docs/benchmarks/hot_paths.py
Each figure is the best of five passes over 2,000 posts, in batches of 500, as CPU time (the
copies, the replace and `derive_id`: the best of five passes of 50,000). In a checkout without
`lifecycle.evolve` the case copy is `dataclasses.replace`, as it was there.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

import heed_classifier
from heed.contracts.events import (
    Author,
    CaseStatus,
    Channel,
    ClassifiedMention,
    Reply,
    ReplyStatus,
    Visibility,
    derive_id,
)
from heed_classifier.domain import Classifier
from heed_classifier.domain.model import LinearModel
from heed_ops.bench import POSTS
from heed_responder.domain.outbox import OutboxRow, OutboxStatus
from heed_router.adapters.rules_file import shipped_rules_path
from heed_router.domain import lifecycle
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

    plan = plan_routing(table, classified, {}, {}, now)
    cases = {c.case.case_id: c.case for c in plan.changes.values()}
    acknowledgements = [
        Reply(event_id=uuid.uuid4(), occurred_at=now, reply_id=uuid.uuid4(), mention_id=r.mention_id,
              case_id=r.case_id, channel=Channel.X, visibility=Visibility.PUBLIC, handling_mode=r.mode,
              in_reply_to="1", recipient_platform_id="u", text="thanks", language="en", template_id="t",
              status=ReplyStatus.SENT, received_at=now, sent_at=now) for r in plan.routed]

    def acknowledge() -> None:
        for reply in acknowledgements:
            lifecycle.on_reply(cases[reply.case_id], reply, reopen_window=timedelta(days=7), now=now)

    copy = getattr(lifecycle, "evolve", dataclasses.replace)
    case = next(iter(cases.values()))

    def copies() -> None:
        for _ in range(50_000):
            copy(case, status=CaseStatus.ACKNOWLEDGED)

    print(f"on_reply, an acknowledgement: {best_us(acknowledge, POSTS_N):.1f} µs a reply")
    print(f"a case copy ({copy.__name__}): {best_us(copies, 50_000):.2f} µs")
    print(f"classifier, rule path: {best_us(classify, POSTS_N):.1f} µs a post")

    model = LinearModel.load(Path(heed_classifier.__file__).parent / "model")
    texts = [m.text for m in mentions]
    languages = [c.classification.language for c in classified]

    def predict() -> None:
        for start in range(0, POSTS_N, 50):
            model.predict(texts[start:start + 50], languages[start:start + 50])

    print(f"classifier, learned model's heads: {best_us(predict, POSTS_N / 50) / 1000:.2f} ms a batch of 50")

    m = mentions[0]
    row = OutboxRow(reply_id=uuid.uuid4(), mention_id=m.mention_id, case_id=uuid.uuid4(), channel=m.channel.value,
                    visibility="public", mode="holding", in_reply_to=m.native_id, recipient=m.author.platform_id,
                    text=None, language=None, script=None, template_id=None, status=OutboxStatus.IGNORED,
                    received_at=m.received_at, sla_due_at=None)

    def replaces() -> None:
        for _ in range(50_000):
            dataclasses.replace(row, status=OutboxStatus.PENDING)

    print(f"responder, outbox row replace: {best_us(replaces, 50_000):.2f} µs")

    case_id = uuid.uuid4()

    def derive() -> None:
        for _ in range(50_000):
            derive_id("case-event", case_id, "acknowledged", ("reply", "sent"))

    print(f"derive_id: {best_us(derive, 50_000):.2f} µs")


if __name__ == "__main__":
    main()
