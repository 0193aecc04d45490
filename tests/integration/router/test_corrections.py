"""Agents' corrections of the classifier on the real PostgreSQL: the desk keeps the latest value of
each field on the case, moves the case's urgency (queue order) and language, records a `corrected`
event, and sends the correction with the mention's text, the model's own labels and who corrected it
to the classifier; after the customer's erasure there is no text to send and the desk says so."""

from __future__ import annotations

from datetime import timedelta

import pytest

from heed.contracts import topics
from heed.contracts.events import (
    CaseEvent,
    CaseEventKind,
    Category,
    ClassifierCorrection,
    ClassifierLabels,
    IssueType,
    RoutedCase,
    Urgency,
)
from heed_router.domain.desk import CaseConflict, CaseFilter, CaseNotFound
from tests.integration.router.test_case_store import T0, Router, complaint
from tests.integration.router.test_customer_360 import learn
from tests.unit.router.test_customer_handlers import announced

pytestmark = pytest.mark.integration


async def test_a_correction_is_kept_on_the_case_reorders_the_queue_and_reaches_the_classifier_with_the_text(pool):
    router = Router(pool)
    await router.route(complaint("c0", "c0", "快递又晚了", author="u-late"),
                       complaint("c1", "c1", "我想订三十间房开年会，有团体价吗", minutes=1, author="u-corp"))
    older, first = router.publisher.events(topics.CASES_ROUTED, RoutedCase)
    case_id = first.case_id
    queue = await router.desk.list_cases(CaseFilter(department=first.department), limit=10, cursor=None)
    assert [c.case_id for c in queue.items] == [older.case_id, case_id]  # both normal: the older case first
    router.at(T0 + timedelta(minutes=5))

    detail = await router.desk.correct(case_id, "agent:li", ClassifierLabels(
        category=Category.SALES_LEAD, urgency=Urgency.HIGH), None)
    [sent] = router.publisher.events(topics.CLASSIFIER_CORRECTIONS, ClassifierCorrection)
    assert (sent.mention_id, sent.case_id, sent.native_id, sent.text) == (
        first.mention_id, case_id, "c1", "我想订三十间房开年会，有团体价吗")
    assert sent.original == ClassifierLabels(category=Category.COMPLAINT, urgency=first.classification.urgency)
    assert sent.corrected == ClassifierLabels(category=Category.SALES_LEAD, urgency=Urgency.HIGH)
    assert (sent.actor, sent.customer, sent.corrected_at, sent.model_version) == (
        "agent:li", "x:u-corp", T0 + timedelta(minutes=5), first.classification.model_version)
    assert detail.urgency is Urgency.HIGH
    assert detail.case_mentions[0].category == "complaint"  # what the model said stays visible
    assert detail.transitions[-1].kind is CaseEventKind.CORRECTED
    assert detail.transitions[-1].detail == "category complaint → sales_lead; urgency normal → high"
    assert router.publisher.events(topics.CASE_EVENTS, CaseEvent)[-1].kind is CaseEventKind.CORRECTED
    queue = await router.desk.list_cases(CaseFilter(department=first.department), limit=10, cursor=None)
    assert [c.case_id for c in queue.items] == [case_id, older.case_id]  # high before normal

    router.at(T0 + timedelta(minutes=6))
    detail = await router.desk.correct(case_id, "agent:bo", ClassifierLabels(
        category=Category.QUESTION, issue_type=IssueType.BILLING), first.mention_id)
    assert [(c.field.value, c.original, c.corrected, c.actor) for c in detail.corrections] == [
        ("urgency", "normal", "high", "agent:li"), ("category", "complaint", "question", "agent:bo"),
        ("issue_type", "shipping_delivery", "billing", "agent:bo")]  # the latest per field
    assert len(router.publisher.events(topics.CLASSIFIER_CORRECTIONS, ClassifierCorrection)) == 2

    with pytest.raises(CaseNotFound, match="has no mention"):
        await router.desk.correct(case_id, "agent:li", ClassifierLabels(urgency=Urgency.LOW),
                                  older.mention_id)


async def test_after_the_customers_erasure_a_correction_has_no_text_to_send_and_is_refused(pool):
    from tests.integration.router.test_customer_360 import A

    router = Router(pool)
    await router.route(complaint("e1", "e1", "Ming Wu here, the suite price for 12 May?", author="wb-gone"))
    [routed] = router.publisher.events(topics.CASES_ROUTED, RoutedCase)
    await learn(router, announced(A, 10, "x:wb-gone", erased=True, at=T0 + timedelta(hours=1)))
    assert await pool.fetchval("SELECT text FROM routed WHERE mention_id = $1", routed.mention_id) is None
    with pytest.raises(CaseConflict, match="no longer held"):
        await router.desk.correct(routed.case_id, "agent:li", ClassifierLabels(category=Category.SALES_LEAD), None)
    assert router.publisher.events(topics.CLASSIFIER_CORRECTIONS, ClassifierCorrection) == []
