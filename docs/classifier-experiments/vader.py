"""VADER (MIT, lexicon inside the wheel) alone on the English sentiment sets, its documented thresholds (±0.05)."""
import os
DATA = os.environ.get("HEED_SHARED_DATA", "/work/shared/data"); OUT = os.environ.get("HEED_EXP_DIR", "/tmp/exp")
import sys, csv, time
sys.path.insert(0, os.environ.get("HEED_EXP_EXTRA", "/tmp/extra"))
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
from sklearn.metrics import f1_score
csv.field_size_limit(sys.maxsize)
v = SentimentIntensityAnalyzer()
for f in [f"{OUT}/split/en_tweeteval_sentiment.B.csv", f"{DATA}/en_airline_sentiment.csv", f"{DATA}/en_sanders_brand_sentiment.csv"]:
    rows = [r for r in csv.DictReader(open(f, encoding="utf-8")) if r["sentiment_mapped"]]
    t = time.perf_counter(); c = [v.polarity_scores(r["text"])["compound"] for r in rows]; dt = time.perf_counter() - t
    pred = ["negative" if x <= -0.05 else "positive" if x >= 0.05 else "neutral" for x in c]
    print(f.split("/")[-1], len(rows), "macro F1 %.3f" % f1_score([r["sentiment_mapped"] for r in rows], pred, average="macro"), "%.0f posts/s" % (len(rows) / dt))
