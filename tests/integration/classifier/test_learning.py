"""Learning from agents, end to end on the real PostgreSQL and the real training: corrections kept
by the classifier's handler are learnt by `heed classifier train --corrections`, which promotes the
new model only when it beats the current one on the same held-out data; a rollback is one setting.

Two setups: `team`, whose base data is the team's composed posts (`team_examples_en.csv`,
`team_examples_zh.csv`) and whose evaluation data the team's hand-written posts (`team_examples.csv`),
needs nothing outside the repository; `shipped` trains on the shipped model's data and compares on
every CSV in `../shared/data` (skipped where that folder is absent). `pytest -s` prints the tables
docs/CLASSIFIER.md quotes.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from heed.contracts import topics
from heed.contracts.events import Channel, ClassifierCorrection, ClassifierLabels
from heed.identity_hashes import IdentityHashes
from heed_classifier.adapters.postgres import PostgresCorrections
from heed_classifier.bootstrap import load_model
from heed_classifier.cli import DEFAULT_DATA
from heed_classifier.evaluation import as_mentions
from heed_classifier.handlers import keep_corrections
from heed_classifier.model_versions import POINTER
from heed_classifier.retraining import held_out, shipped_training_data
from heed_classifier.settings import ClassifierSettings
from tests.harness import migrated
from tests.unit.classifier.agent_corrections import EVERYDAY, flipped, sales_enquiries
from tests.unit.factories import batch

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[3] / "services" / "classifier" / "heed_classifier" / "training_data"
SETUPS = {"team": ([str(DATA / "team_examples_en.csv"), str(DATA / "team_examples_zh.csv")],
                   [str(DATA / "team_examples.csv")])}
if (DEFAULT_DATA / "en_bitext_customer_service_synthetic.csv").is_file():
    SETUPS["shipped"] = ([str(p) for p in shipped_training_data(DEFAULT_DATA)],
                         [str(p) for p in sorted(DEFAULT_DATA.glob("*.csv"))])
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def corrections(rows: list[tuple[str, str]], batch_name: str) -> list[ClassifierCorrection]:
    return [ClassifierCorrection(
        event_id=uuid.uuid4(), case_id=uuid.uuid4(), mention_id=uuid.uuid5(uuid.NAMESPACE_URL, f"{batch_name}/{i}"),
        channel=Channel.X, native_id=f"{batch_name}-{i}", customer=f"x:guest-{i}", text=text, received_at=T0,
        model_version="rules-1+team-1", original=ClassifierLabels(), corrected=ClassifierLabels.model_validate(
            {"category": label}), actor="agent:li", corrected_at=T0) for i, (text, label) in enumerate(rows)]


def sales_lead_share(settings: ClassifierSettings, texts: list[str]) -> float:
    results = load_model(settings).classify_batch(as_mentions(texts))
    return sum(r.category.value == "sales_lead" for r in results) / len(texts)


@pytest.mark.parametrize("setup", ["team", "shipped"])
async def test_corrections_teach_a_promoted_model_and_a_harmful_set_is_refused(setup, heed, database_url, tmp_path,
                                                                               monkeypatch):
    if setup not in SETUPS:
        pytest.skip(f"no shared data in {DEFAULT_DATA}")
    base, evaluation = SETUPS[setup]
    models = tmp_path / "models"
    monkeypatch.setenv("HEED_CLASSIFIER_MODELS_DIR", str(models))
    monkeypatch.delenv("HEED_CLASSIFIER_MODEL_DIR", raising=False)
    monkeypatch.setenv("HEED_CLASSIFIER_MODEL_VERSION", "team-1")
    code, _ = await heed("classifier", "train", "--data", *base, "--out", str(models / "team-1"), "--version", "team-1")
    assert code == 0
    assert load_model(ClassifierSettings()).version == "rules-1+team-1"

    enquiries = sales_enquiries(120)
    async with migrated(database_url, "classifier", "heed_classifier") as pool:
        store, hashes = PostgresCorrections(pool), IdentityHashes()
        good = corrections([(t, "sales_lead") for t in enquiries], "good")
        await keep_corrections(batch(*good, topic=topics.CLASSIFIER_CORRECTIONS), store=store, hashes=hashes)
        unseen = [c.text for c in good if held_out(c.mention_id)]
        assert len(unseen) >= 10
        before = sales_lead_share(ClassifierSettings(), unseen)
        assert before < 0.2  # the current model calls these enquiries something else

        code, out = await heed("classifier", "train", "--corrections", "--dsn", database_url, "--data", *base,
                         "--eval-data", *evaluation, "--version", "team-2")
        print(out)
        assert code == 0, out
        assert "| figure | n | current (rules-1+team-1) | new (rules-1+team-2) | change |" in out
        assert "intent macro F1 |" in out and "promoted team-2" in out
        assert (models / POINTER).read_text().strip() == "team-2"
        [promotion] = [json.loads(line) for line in (models / "promotions.jsonl").read_text().splitlines()]
        assert (promotion["version"], promotion["previous"], promotion["forced"]) == ("team-2", "shipped", False)

        # the service loads the promoted version unless the setting names another: a rollback is that setting
        monkeypatch.delenv("HEED_CLASSIFIER_MODEL_VERSION")
        promoted = load_model(ClassifierSettings())
        assert promoted.classify(as_mentions([unseen[0]])[0]).model_version == "rules-1+team-2"
        after = sales_lead_share(ClassifierSettings(), unseen)
        assert after > before + 0.5  # held-out enquiries of the same kind, now mostly right
        monkeypatch.setenv("HEED_CLASSIFIER_MODEL_VERSION", "team-1")
        assert load_model(ClassifierSettings()).version == "rules-1+team-1"
        monkeypatch.delenv("HEED_CLASSIFIER_MODEL_VERSION")

        # labels flipped at random: it learns no more from them than from the same labels shuffled, so it is
        # refused and nothing changes
        await pool.execute("DELETE FROM corrections")
        harmful = corrections(flipped([(t, "sales_lead") for t in enquiries] + list(EVERYDAY)), "harmful")
        await keep_corrections(batch(*harmful, topic=topics.CLASSIFIER_CORRECTIONS), store=store, hashes=hashes)
        code, out = await heed("classifier", "train", "--corrections", "--dsn", database_url, "--data", *base,
                         "--eval-data", *evaluation, "--version", "team-3")
        print(out)
        assert code == 3, out
        assert "refused: team-3 is not promoted over rules-1+team-2" in out
        assert "the corrections teach it no more than shuffled labels would" in out
        assert (models / POINTER).read_text().strip() == "team-2" and not (models / "team-3").exists()
        assert load_model(ClassifierSettings()).version == "rules-1+team-2"

        code, out = await heed("classifier", "train", "--corrections", "--dsn", database_url, "--data", *base,
                         "--eval-data", *evaluation, "--version", "team-3", "--force")
        assert code == 0 and "forced: the corrections teach it no more than shuffled labels would" in out
        assert (models / POINTER).read_text().strip() == "team-3"
