"""What the customer record changes in a reply, decided without I/O: the name on record to greet by
in private (dropped rather than failing the reply; never in public), the language on record, and what
an erasure leaves."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest

from heed.contracts.events import (
    AnswerKind,
    CaseAnswer,
    Category,
    Channel,
    CustomerTier,
    CustomerUpdate,
    HandlingMode,
    RoutedCase,
    Visibility,
)
from heed_responder.domain.catalog import LANGUAGES, SAMPLE
from heed_responder.domain.customers import (
    CustomerProfile,
    Erasure,
    ProfileVersion,
    applied,
    erasures,
    preferred_language,
    profile_versions,
)
from heed_responder.domain.outbox import ERASED, OutboxRow, OutboxStatus, forget
from heed_responder.domain.planning import outcome, plan, plan_answer, plan_handoff
from tests.unit.factories import classification, mention
from tests.unit.responder.fakes import shipped_context

LUMO = shipped_context()
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
MEI = CustomerProfile(display_name="Mei-Ling Chan")


def update(*identities: str, version: int = 1, name: str | None = None, language: str | None = None,
           erased: bool = False, at: datetime = NOW) -> CustomerUpdate:
    return CustomerUpdate(event_id=uuid.uuid4(), occurred_at=at, customer_id=uuid.uuid4(), identities=list(identities),
                          version=version, display_name=name, language=language, erased=erased)


def routed(text: str = "my parcel is late", *, channel: Channel = Channel.FACEBOOK, language: str = "en",
           script: str | None = None, category: Category = Category.COMPLAINT,
           mode: HandlingMode = HandlingMode.HOLDING, visibility: Visibility = Visibility.PUBLIC) -> RoutedCase:
    m = mention(text, channel, visibility=visibility)
    return RoutedCase(event_id=uuid.uuid4(), mention_id=m.mention_id, case_id=uuid.uuid4(), mention=m,
                      classification=classification(category, language=language, script=script),
                      department="logistics", handling_mode=mode, priority=50,
                      sla_due_at=m.received_at + timedelta(hours=2), rule_id="r", customer_tier=CustomerTier.STANDARD)


# the name on record


def test_a_private_reply_greets_by_the_name_on_record_never_the_name_the_post_shows():
    row = plan(routed(visibility=Visibility.PRIVATE), LUMO, MEI)
    assert row.visibility == "private"
    assert row.status is OutboxStatus.PENDING and (row.text or "").startswith("Hi Mei-Ling Chan,")
    assert "Amy" not in (row.text or "")  # the post's author is "Amy" on the platform


def test_a_public_reply_greets_by_the_name_the_post_shows_never_the_name_on_record():
    # the record's name is often a real name: in a public thread it would unmask a pseudonymous handle
    row = plan(routed(), LUMO, MEI)
    assert row.status is OutboxStatus.PENDING and (row.text or "").startswith("Hi Amy,")
    assert "Mei-Ling" not in (row.text or "")
    question = routed("How do I reset my robot vacuum?", category=Category.QUESTION, mode=HandlingMode.ANSWER)
    answered = plan(question, LUMO, MEI)
    assert answered.substantive and (answered.text or "").startswith("Hi Amy, to reset your robot vacuum")
    # private handling of a public post: the public acknowledgement names no one on record, the DM does
    angry = routed("you lost my parcel again!!", mode=HandlingMode.PRIVATE)
    assert "Mei-Ling" not in (plan(angry, LUMO, MEI).text or "")
    handoff = plan_handoff(angry, LUMO, MEI)
    assert handoff is not None and "Mei-Ling Chan" in (handoff.text or "")
    assert (plan_answer(follow_up(), LUMO, MEI).text or "").startswith("We hope this is sorted")


def test_without_a_name_on_record_the_greeting_is_the_one_before():
    assert (plan(routed(), LUMO).text or "").startswith("Hi Amy,")
    assert (plan(routed(), LUMO, CustomerProfile(language="en")).text or "").startswith("Hi Amy,")


@pytest.mark.parametrize(("language", "script", "text", "name", "greeting"), [
    ("zh", "Hans", "我的订单还没到", "陈美玲", "陈美玲您好"),
    # a Traditional reply keeps a name recorded in Simplified as recorded: never 陳美玲
    ("zh", "Hant", "我的訂單還沒到", "陈美玲", "陈美玲您好"),
    ("zh", "Hant", "我的訂單還沒到", "陳美玲", "陳美玲您好"),
    ("th", None, "ของยังไม่มา", "สมใจ", "สวัสดีค่ะคุณสมใจ"),
])
def test_every_language_greets_privately_by_the_name_on_record_as_recorded(language, script, text, name, greeting):
    row = plan(routed(text, language=language, script=script, visibility=Visibility.PRIVATE), LUMO,
               CustomerProfile(display_name=name))
    assert row.status is OutboxStatus.PENDING and (row.text or "").startswith(greeting)
    assert row.script == script


def test_every_shipped_template_and_answer_greets_by_the_name_on_record_and_falls_back_without_it():
    catalog = LUMO.catalog
    values = {**SAMPLE, "name": "Amy"}
    for entry in catalog.file.templates:
        if entry.mode == "link_in_place":
            continue  # a sentence added to a reply that has greeted already
        for language in LANGUAGES:
            for script in (("Hans", "Hant") if language == "zh" else (None,)):
                [named] = catalog.render(entry, language, script=script, region=None,
                                         values={**values, "customer_name": "Mei-Ling Chan"})
                [unnamed] = catalog.render(entry, language, script=script, region=None,
                                           values={**values, "customer_name": ""})
                assert "Mei-Ling Chan" in named.text, (entry.id, language, script)
                if entry.mode == "follow_up":  # the rating check-back greets no one without a record
                    assert "Mei-Ling" not in unnamed.text and "Amy" not in unnamed.text
                else:
                    assert unnamed.text == named.text.replace("Mei-Ling Chan", "Amy"), (entry.id, language, script)
    for known in LUMO.knowledge().file.entries:
        for language in LANGUAGES:
            assert "{{ customer_name or name }}" in known.answer[language], (known.id, language)


@pytest.mark.parametrize(("channel", "language", "script", "text", "name"), [
    (Channel.X, "en", None, "my parcel is late", "N" * 10_000),  # an X direct message holds 10,000
    (Channel.WEIBO, "zh", "Hans", "我的订单还没到", "陈" * 120),  # Weibo's 140, a Chinese character weighs one
])
def test_a_name_on_record_too_long_for_the_channel_is_dropped_rather_than_the_reply_held(
        channel, language, script, text, name):
    post = routed(text, channel=channel, language=language, script=script, visibility=Visibility.PRIVATE)
    row = plan(post, LUMO, CustomerProfile(display_name=name))
    assert row.status is OutboxStatus.PENDING and row.error is None
    assert row.text == plan(post, LUMO).text and name[:5] not in (row.text or "")  # the greeting before


def test_a_private_knowledge_answer_greets_by_the_name_on_record():
    question = routed("How do I reset my robot vacuum?", category=Category.QUESTION, mode=HandlingMode.ANSWER,
                      visibility=Visibility.PRIVATE)
    row = plan(question, LUMO, MEI)
    assert row.substantive and (row.text or "").startswith("Hi Mei-Ling Chan, to reset your robot vacuum")


def test_the_private_message_of_a_handoff_greets_by_the_name_on_record():
    angry = routed("you lost my parcel again!!", mode=HandlingMode.PRIVATE)
    handoff = plan_handoff(angry, LUMO, MEI)
    assert handoff is not None and (handoff.text or "").startswith("Hi Mei-Ling Chan, this is Lumo customer care")


def follow_up(language: str = "en", script: Literal["Hans", "Hant"] | None = None,
              channel: Channel = Channel.WEIBO, visibility: Visibility = Visibility.PUBLIC) -> CaseAnswer:
    return CaseAnswer(event_id=uuid.uuid4(), answer_id=uuid.uuid4(), case_id=uuid.uuid4(), kind=AnswerKind.FOLLOW_UP,
                      mention_id=uuid.uuid4(), channel=channel, in_reply_to="n1", recipient_platform_id="u1",
                      visibility=visibility, text=None, language=language, script=script,
                      author="system:follow-up", department="logistics", received_at=NOW - timedelta(hours=1))


def test_a_private_follow_up_greets_by_the_name_on_record_when_it_fits():
    private = follow_up(visibility=Visibility.PRIVATE)
    assert (plan_answer(private, LUMO, MEI).text or "").startswith("Hi Mei-Ling Chan, we hope this is sorted")
    assert (plan_answer(private, LUMO).text or "").startswith("We hope this is sorted")
    long = plan_answer(follow_up("zh", "Hans", visibility=Visibility.PRIVATE), LUMO,
                       CustomerProfile(display_name="陈" * 120))
    assert long.status is OutboxStatus.PENDING and (long.text or "").startswith("希望您的问题已经解决")


# the language on record


@pytest.mark.parametrize(("recorded", "expected"), [
    ("en", ("en", None)), ("th", ("th", None)), ("zh-Hans", ("zh", "Hans")), ("zh-Hant", ("zh", "Hant")),
    ("zh_hant", ("zh", "Hant")), ("zh-TW", ("zh", "Hant")), ("zh-HK", ("zh", "Hant")), ("zh-CN", ("zh", "Hans")),
    ("zh", ("zh", None)), ("en-GB", ("en", None)), ("fr", None), ("", None), (None, None),
])
def test_a_recorded_language_is_read_as_a_template_language_and_script(recorded, expected):
    assert preferred_language(recorded, LANGUAGES) == expected


def test_the_language_on_record_wins_over_the_one_detected():
    row = plan(routed("my parcel is late"), LUMO, CustomerProfile(language="zh-Hant"))
    assert (row.language, row.script) == ("zh", "Hant") and "處理" in (row.text or "")
    assert row.template_id == "holding/zh"
    th = plan(routed("my parcel is late"), LUMO, CustomerProfile(language="th"))
    assert th.language == "th" and "การจัดส่ง" in (th.text or "")


def test_a_simplified_or_traditional_preference_chooses_the_script_whatever_the_post():
    hant_post = routed("我的訂單還沒到", language="zh", script="Hant")
    hans = plan(hant_post, LUMO, CustomerProfile(language="zh-Hans"))
    assert hans.script == "Hans" and "处理" in (hans.text or "") and "處理" not in (hans.text or "")
    # "zh" alone leaves the post's script
    assert plan(hant_post, LUMO, CustomerProfile(language="zh")).script == "Hant"


def test_a_language_the_brand_has_no_templates_in_changes_nothing():
    post = routed("ของยังไม่มา", language="th")
    assert plan(post, LUMO, CustomerProfile(language="fr")).text == plan(post, LUMO).text
    french = routed("mon colis est en retard", language="fr")
    row = plan(french, LUMO, CustomerProfile(language="fr"))
    assert row.language == "en" and (row.template_id or "").endswith("+fallback-from-fr")
    # a post in a language without templates, from a customer who asked for Chinese: Chinese, no fallback
    zh = plan(french, LUMO, CustomerProfile(language="zh-Hans"))
    assert (zh.language, zh.script, zh.template_id) == ("zh", "Hans", "holding/zh")


def test_a_question_is_recognised_in_its_language_and_answered_in_the_one_on_record():
    question = routed("How do I reset my robot vacuum?", category=Category.QUESTION, mode=HandlingMode.ANSWER)
    row = plan(question, LUMO, CustomerProfile(language="th"))
    assert row.substantive and row.language == "th" and (row.template_id or "").startswith("kb:reset-vacuum/th")


def test_the_follow_up_and_an_agents_chinese_answer_follow_the_language_on_record():
    hant = CustomerProfile(language="zh-Hant")
    assert "這次服務打分" in (plan_answer(follow_up("en"), LUMO, hant).text or "")
    agent = follow_up("zh", "Hans").model_copy(update={"kind": AnswerKind.AGENT, "text": "已经为您补寄，明天送到",
                                                       "author": "agent:li"})
    row = plan_answer(agent, LUMO, hant)
    assert row.script == "Hant" and (row.text or "").startswith("已經")
    english = agent.model_copy(update={"language": "en", "script": None, "text": "Refund sent today."})
    assert plan_answer(english, LUMO, hant).text == "Refund sent today."  # never translated


# the record's versions and erasures


def test_the_newest_version_of_an_identity_wins_in_a_batch_and_after_it():
    v2, v1 = update("x:u1", version=2, name="Mei"), update("x:u1", version=1, name="Amy")
    [newest] = profile_versions([v2, v1])
    assert (newest.version, newest.display_name) == (2, "Mei")
    [older] = profile_versions([v1])
    assert applied(newest, older) == newest


def test_an_erasure_blanks_the_profile_and_no_older_announcement_brings_it_back():
    erased_at = NOW + timedelta(days=1)
    [tombstone] = profile_versions([update("x:u1", version=5, erased=True, at=erased_at)])
    assert (tombstone.display_name, tombstone.language, tombstone.erased) == (None, None, True)
    [late] = profile_versions([update("x:u1", version=4, name="Mei-Ling Chan", language="th")])
    kept = applied(tombstone, late)
    assert (kept.display_name, kept.language, kept.forgotten_before) == (None, None, erased_at)
    # the customer comes back (a newer record): greeted by that name, and the erasure's time is kept
    [back] = profile_versions([update("x:u1", version=9, name="Mei")])
    after = applied(kept, back)
    assert (after.display_name, after.forgotten_before) == ("Mei", erased_at)


def test_an_erasure_names_each_identity_with_its_time_and_a_merge_pointer_names_none():
    merged = CustomerUpdate(event_id=uuid.uuid4(), customer_id=uuid.uuid4(), identities=[], version=3,
                            merged_into=uuid.uuid4())
    assert profile_versions([merged]) == [] and erasures([merged]) == []
    assert erasures([update("x:u1", "wechat:o:p", erased=True)]) == [Erasure("x", "u1", NOW),
                                                                      Erasure("wechat", "o:p", NOW)]


def test_a_mention_from_before_the_erasure_is_never_answered_and_keeps_nothing():
    gone = CustomerProfile(forgotten_before=NOW)
    post = routed()
    row = plan(post, LUMO, gone)
    assert (row.status, row.text, row.recipient, row.in_reply_to, row.erased) == (
        OutboxStatus.IGNORED, None, "", "", True)
    assert outcome(row, NOW) is None and plan_handoff(routed(mode=HandlingMode.PRIVATE), LUMO, gone) is None
    answer = plan_answer(follow_up(), LUMO, gone)
    assert (answer.status, answer.text, answer.recipient, answer.erased) == (OutboxStatus.IGNORED, None, "", True)
    # written after the erasure: a new conversation, answered (with no name: none is on record)
    later = post.model_copy(update={"mention": post.mention.model_copy(update={"received_at": NOW + timedelta(1)})})
    assert (plan(later, LUMO, gone).text or "").startswith("Hi Amy,")


@pytest.mark.parametrize(("before", "after"), [
    (OutboxStatus.PENDING, OutboxStatus.FAILED), (OutboxStatus.SENDING, OutboxStatus.UNKNOWN),
    (OutboxStatus.SENT, OutboxStatus.SENT), (OutboxStatus.FAILED, OutboxStatus.FAILED),
])
def test_an_erased_reply_is_cancelled_if_unsent_and_keeps_nothing_of_the_customer(before, after):
    row = OutboxRow(reply_id=uuid.uuid4(), mention_id=uuid.uuid4(), case_id=uuid.uuid4(), channel="x",
                    visibility="public", mode="holding", in_reply_to="p1", recipient="u1", text="Hi Mei",
                    language="en", script=None, template_id="holding/en", status=before, received_at=NOW,
                    sla_due_at=None, thread_root="p0", platform_message_id="m1")
    gone = forget(row)
    assert (gone.status, gone.text, gone.recipient, gone.in_reply_to, gone.thread_root,
            gone.platform_message_id) == (after, None, "", "", None, None)
    assert gone.error == (ERASED if before in (OutboxStatus.PENDING, OutboxStatus.SENDING) else None)
    assert outcome(gone, NOW) is None  # never reported again


def test_profile_versions_keep_only_what_changes_a_reply():
    [v] = profile_versions([update("x:u1", name="  Mei-Ling \n Chan ", language=" zh-Hant ")])
    assert v == ProfileVersion(identity="x:u1", version=1, display_name="Mei-Ling Chan", language="zh-Hant",
                               erased=False, forgotten_before=None)
