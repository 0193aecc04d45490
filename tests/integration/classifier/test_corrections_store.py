"""The classifier's corrections on the real PostgreSQL: the latest value per (mention, field) wins in
any order of arrival, and an erased customer's corrections leave nothing of them in any column; a
correction about them that arrives after the erasure is not kept."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from heed.contracts import topics
from heed.contracts.events import Category, Urgency
from heed_classifier.adapters.postgres import PostgresCorrections
from heed_classifier.handlers import forget_customers, keep_corrections
from tests.harness import columns_holding, migrated
from tests.unit.classifier.test_corrections import HASHES, T0, correction, erased
from tests.unit.factories import batch

pytestmark = pytest.mark.integration


async def test_the_latest_correction_wins_and_an_erasure_leaves_nothing_of_the_customer(database_url):
    async with migrated(database_url, "classifier", "heed_classifier") as pool:
        store = PostgresCorrections(pool)

        async def keep(*events: object) -> None:
            await keep_corrections(batch(*events, topic=topics.CLASSIFIER_CORRECTIONS), store=store,  # type: ignore[arg-type]
                                   hashes=HASHES)

        mine, theirs = uuid.uuid4(), uuid.uuid4()
        text = "Ming-Wai Tse here: what would 25 suites for our offsite in May cost?"
        await keep(correction(text, mention=mine, customer="x:mwt-4471", minutes=9, category=Category.SALES_LEAD,
                              urgency=Urgency.HIGH),
                   correction("Is the spa open on Sundays?", mention=theirs, customer="x:stays",
                              category=Category.QUESTION))
        await keep(correction(text, mention=mine, customer="x:mwt-4471", minutes=2, category=Category.COMPLAINT))
        rows = await pool.fetch("SELECT field, value, original, text FROM corrections WHERE mention_id = $1"
                                " ORDER BY field", mine)
        assert [tuple(r) for r in rows] == [("category", "sales_lead", "question", text),
                                            ("urgency", "high", None, text)]
        assert await columns_holding(database_url, "classifier", "mwt-4471") == []  # only its keyed hash

        await forget_customers(batch(erased("x:mwt-4471", at=T0 + timedelta(hours=1)), topic=topics.CRM_ERASURES),
                               store=store, hashes=HASHES)
        await keep(correction(text, mention=mine, customer="x:mwt-4471", minutes=30, category=Category.PRAISE))
        for trace in ("Ming-Wai", "25 suites", str(mine)):
            assert await columns_holding(database_url, "classifier", trace) == [], trace
        assert await pool.fetchval("SELECT count(*) FROM corrections WHERE mention_id = $1", theirs) == 1
        # redelivered, the erasure does it again without harm
        await forget_customers(batch(erased("x:mwt-4471", at=T0 + timedelta(hours=1)), topic=topics.CRM_ERASURES),
                               store=store, hashes=HASHES)
        assert await pool.fetchval("SELECT count(*) FROM erased_identities") == 1
