"""One experiment: train a variant on the A halves of the permitted data + team examples, score out of sample.
usage: exp.py NAME [key=value ...]  keys: ngram (3) nfeat (18) alpha (2e-6) analyzer (char_wb) cw (balanced|none) loss (log_loss|modified_huber) iters (30)"""
import os
DATA = os.environ.get("HEED_SHARED_DATA", "/work/shared/data"); OUT = os.environ.get("HEED_EXP_DIR", "/tmp/exp")
import json, sys, time
from pathlib import Path
import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier
import heed_classifier.domain.model as M
import heed_classifier.training as T
from heed_classifier.evaluation import evaluate, as_dict
from heed_classifier.domain import Classifier

name = sys.argv[1]
opt = dict(ngram="3", nfeat="18", alpha="2e-6", analyzer="char_wb", cw="balanced", loss="log_loss", iters="30", nmin="1")
opt.update(a.split("=", 1) for a in sys.argv[2:])

import re, sys as _s
_s.path.insert(0, os.environ.get("HEED_EXP_EXTRA", "/tmp/extra"))
HAN = re.compile(r"[\u4e00-\u9fff]")
def vectorizer(n_features, ngram_max, analyzer=None):
    base = HashingVectorizer(analyzer=opt["analyzer"], ngram_range=(int(opt["nmin"]), ngram_max), n_features=n_features,
                             alternate_sign=False, norm="l2", lowercase=True)
    if opt.get("words", "no") == "no":
        return base
    import rjieba
    char = base.build_analyzer()
    def analyzer(text):
        feats = char(text)
        if HAN.search(text):
            toks = [t for t in rjieba.cut(text) if t.strip()]
            feats += ["w:" + t for t in toks] + ["b:" + a + "|" + b for a, b in zip(toks, toks[1:])]
        elif opt["words"] == "all":
            toks = re.findall(r"\w+|[^\w\s]", text.lower())
            feats += ["w:" + t for t in toks] + ["b:" + a + "|" + b for a, b in zip(toks, toks[1:])]
        return feats
    return HashingVectorizer(analyzer=analyzer, n_features=n_features, alternate_sign=False, norm="l2")
M.vectorizer = vectorizer; T.vectorizer = vectorizer

def _fit(examples, n_features, ngram_max, analyzer=None):
    features = vectorizer(n_features, ngram_max).transform([T.model_text(e.text) for e in examples])
    model = SGDClassifier(loss=opt["loss"], alpha=float(opt["alpha"]), max_iter=int(opt["iters"]), tol=1e-4,
                          class_weight=None if opt["cw"] == "none" else "balanced", random_state=42)
    model.fit(features, [e.label for e in examples])
    return T.Head([str(c) for c in model.classes_], np.asarray(model.coef_), np.asarray(model.intercept_))
T._fit = _fit

S, D, TD = Path(OUT) / "split", Path(DATA), Path(__file__).resolve().parents[2] / "services/classifier/heed_classifier/training_data"
PERM = ("th_wisesight_sentiment", "en_bitext_customer_service_synthetic", "en_tweeteval_sentiment")
TR, TE = ("B", "A") if opt.get("half") == "B" else ("A", "B")
# half=all trains on the whole permitted files (as `make model`): its rows for them are then in-sample
train = [(Path(DATA) / f"{p}.csv" if opt.get("half") == "all" else S / f"{p}.{TR}.csv") for p in PERM] + [TD / "team_examples.csv", TD / "team_examples_zh.csv", TD / "team_examples_en.csv"]
out = Path(OUT) / "models" / name
t0 = time.time()
T.train(train, out, f"exp-{name}", n_features=2 ** int(opt["nfeat"]), ngram_max=int(opt["ngram"]), progress=False)
t1 = time.time()
model = Classifier.load(out)
files = [S / f"{p}.{TE}.csv" for p in PERM] + sorted(f for f in D.glob("*.csv") if f.stem not in PERM)
res = [as_dict(evaluate(model, f)) for f in files]
t2 = time.time()
json.dump({"name": name, "opt": opt, "results": res}, open(f"{OUT}/{name}.json", "w"), ensure_ascii=False)
F = {r["dataset"].rsplit(".", 1)[0]: r["fields"] for r in res}
row = [F["en_complaints_twitter"]["intent_mapped"]["macro_f1"], F["zh_hans_waimai_10k"]["sentiment_mapped"]["accuracy"],
       F["zh_hans_online_shopping_10cats"]["sentiment_mapped"]["accuracy"], F["zh_hans_weibo_senti_excerpt"]["sentiment_mapped"]["macro_f1"],
       F["zh_hant_yue_forum_sentiment"]["sentiment_mapped"]["macro_f1"], F["zh_hant_yue_forum_sentiment"]["script"]["accuracy"],
       F["th_wisesight_sentiment"]["sentiment_mapped"]["macro_f1"], F["en_tweeteval_sentiment"]["sentiment_mapped"]["macro_f1"],
       F["en_airline_sentiment"]["issue_mapped"]["macro_f1"], F["en_bitext_customer_service_synthetic"]["intent_mapped"]["macro_f1"],
       F["en_airline_sentiment"]["intent_mapped"]["macro_f1"], F["en_sanders_brand_sentiment"]["sentiment_mapped"]["macro_f1"]]
line = f"| {name} | {' '.join(f'{k}={v}' for k, v in sorted(opt.items()))} | " + " | ".join(f"{x:.3f}" for x in row) + f" | {t1-t0:.0f}s |"
print(line); open(f"{OUT}/table.md", "a").write(line + "\n")
