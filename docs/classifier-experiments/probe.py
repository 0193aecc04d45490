import sys
from pathlib import Path
from heed_classifier.domain import Classifier
from heed_classifier.evaluation import as_mentions
texts = ["สินค้าเสียตั้งแต่วันแรก ผิดหวังมาก", "สินค้าเสียตั้งแต่วันแรก", "ผิดหวังมาก"]
for d in sys.argv[1:]:
    m = Classifier.load(Path(d))
    for t, c in zip(texts, m.classify_batch(as_mentions(texts))):
        print(d.split("/")[-1], c.category.value, round(c.sentiment, 2), c.explanation[:90])
