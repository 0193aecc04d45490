"""posts/s of classify_batch for an experiment's model, vectorizer patched as in exp.py (same process setup)."""
import os
DATA = os.environ.get("HEED_SHARED_DATA", "/work/shared/data"); OUT = os.environ.get("HEED_EXP_DIR", "/tmp/exp")
import sys, time, csv, glob
sys.argv = [sys.argv[0], sys.argv[1] + "_bench"] + sys.argv[2:]
NAME = sys.argv[1].removesuffix("_bench")
exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "exp.py")).read().split("S, D, TD")[0])  # patch only
from heed_classifier.evaluation import as_mentions
csv.field_size_limit(sys.maxsize)
texts = [r["text"] for f in sorted(glob.glob(f"{DATA}/*.csv")) for r in csv.DictReader(open(f, encoding="utf-8"))]
texts = (texts * 2)[:20000]
model = Classifier.load(Path(OUT) / "models" / NAME)
ms = as_mentions(texts)
model.classify_batch(ms[:500])
best = 0
for _ in range(2):
    t = time.perf_counter(); model.classify_batch(ms); best = max(best, len(ms) / (time.perf_counter() - t))
print(f"{NAME}: {best:.0f} posts/s")
