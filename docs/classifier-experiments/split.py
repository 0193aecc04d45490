"""Split the three permitted datasets in two halves by sha1(id): A trains, B is scored (out of sample)."""
import os
DATA = os.environ.get("HEED_SHARED_DATA", "/work/shared/data"); OUT = os.environ.get("HEED_EXP_DIR", "/tmp/exp")
import csv, hashlib, sys
csv.field_size_limit(sys.maxsize)
D = DATA
os.makedirs(f"{OUT}/split", exist_ok=True)
for name in ("th_wisesight_sentiment", "en_bitext_customer_service_synthetic", "en_tweeteval_sentiment"):
    with open(f"{D}/{name}.csv", newline="", encoding="utf-8") as f:
        r = csv.DictReader(f); rows = list(r); cols = r.fieldnames
    halves = {"A": [], "B": []}
    for row in rows:
        halves["AB"[hashlib.sha1(row["id"].encode()).digest()[0] % 2]].append(row)
    for h, rs in halves.items():
        with open(f"{OUT}/split/{name}.{h}.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, cols, lineterminator="\n"); w.writeheader(); w.writerows(rs)
        print(name, h, len(rs))
