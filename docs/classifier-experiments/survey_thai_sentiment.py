"""thai-sentiment 0.1.3 (Apache-2.0 sdist; NB-SVM over pythainlp word n-grams, trained by its authors on
the public wisesight splits) scored on our wisesight dev rows, split by the public split each row is in.

Set-up (a throwaway venv, nothing in the project's environment):
  python3 -m venv /tmp/svy && /tmp/svy/bin/pip install numpy scipy scikit-learn pythainlp emoji
  /tmp/svy/bin/pip install --no-deps thai-sentiment==0.1.3
  a stub `torch` package on PYTHONPATH (pythainlp.ulmfit imports it; nothing here uses it)
  the dataset's own split files, unpacked as $WISESIGHT_SPLITS/{train,valid,test}.jsonl
  (JSON lines with `texts` and `category`)
Run: OPENBLAS_NUM_THREADS=1 flock /tmp/heed-bench.lock taskset -c 0 /tmp/svy/bin/python survey_thai_sentiment.py
Its pickles were made with scikit-learn 0.24: the TF-IDF's `idf_` is rebuilt from `_idf_diag` to load under 1.9.
"""
import csv
import json
import os
import time
import warnings

import numpy as np
from sklearn.metrics import accuracy_score, classification_report, f1_score

warnings.filterwarnings("ignore")
import thai_sentiment as ts  # noqa: E402

DATA = os.environ.get("HEED_SHARED_DATA", "/work/shared/data")
SPLITS = os.environ.get("WISESIGHT_SPLITS", "/tmp/wshf/data")
LABELS = {"pos": "positive", "neu": "neutral", "neg": "negative"}

ts.tfidf._tfidf.idf_ = np.asarray(ts.tfidf._tfidf._idf_diag.diagonal()).ravel()
where: dict[str, str] = {}
for split in ("train", "valid", "test"):
    for line in open(f"{SPLITS}/{split}.jsonl", encoding="utf-8"):
        where.setdefault(json.loads(line)["texts"].strip(), split)
rows = [r for r in csv.DictReader(open(f"{DATA}/th_wisesight_sentiment.csv", encoding="utf-8"))
        if r["sentiment_mapped"]]
texts = [r["text"] for r in rows]
split_of = [where.get(t.strip(), "none") for t in texts]
ts.tfidf.transform(texts[:50])  # warm-up: the tokeniser's dictionary
best = None
for _ in range(3):
    c0 = time.process_time()
    x = ts.tfidf.transform(texts)
    proba = np.column_stack([ts.models[i].predict_proba(x)[:, 1] for i in range(3)])
    cpu = time.process_time() - c0
    best = cpu if best is None else min(best, cpu)
print(f"batched, best of 3: {best:.3f} CPU-s for {len(texts)} posts, {len(texts) / best:.0f} posts/s")
pred = [LABELS[ts.labels[j]] for j in proba.argmax(1)]
for name, keep in [("all dev", None), ("train", {"train"}), ("valid", {"valid"}), ("test", {"test"}),
                   ("valid+test", {"valid", "test"})]:
    idx = [i for i, s in enumerate(split_of) if keep is None or s in keep]
    gold, got = [rows[i]["sentiment_mapped"] for i in idx], [pred[i] for i in idx]
    print(f"{name:10s} n={len(idx):5d} macro F1 {f1_score(gold, got, labels=sorted(set(gold)), average='macro'):.3f}"
          f" accuracy {accuracy_score(gold, got):.3f}")
test = [i for i, s in enumerate(split_of) if s == "test"]
print(classification_report([rows[i]["sentiment_mapped"] for i in test], [pred[i] for i in test], digits=2))
