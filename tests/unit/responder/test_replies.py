from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from heed.contracts.events import (
    Category,
    Channel,
    CustomerTier,
    HandlingMode,
    RoutedCase,
    Visibility,
    customer_id_for,
    derive_id,
)
from heed.secure_link import verify
from heed_responder.domain.outbox import OutboxStatus
from heed_responder.domain.planning import customer_values, plan, plan_handoff, reply_event
from tests.unit.factories import classification, mention
from tests.unit.responder.fakes import shipped_context

DUE_AT = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
LUMO = shipped_context()  # the shipped replies file: the Lumo brand, Asia/Shanghai, lumo_hk and lumo_tw accounts


def render(text, c, mode=HandlingMode.HOLDING, channel=Channel.WEIBO, department="logistics", account=None,
           name="Amy"):
    m = mention(text, channel).model_copy(update={"account": account})
    m = m.model_copy(update={"author": m.author.model_copy(update={"name": name})})
    routed = RoutedCase(event_id=uuid.uuid4(), mention_id=m.mention_id, case_id=uuid.UUID(int=0xAB12CD34 << 96),
                        mention=m, classification=c, department=department, handling_mode=mode, priority=50,
                        sla_due_at=DUE_AT, rule_id="r", customer_tier=CustomerTier.STANDARD)
    return plan(routed, LUMO)


def test_traditional_posts_get_traditional_replies_and_simplified_posts_simplified():
    hant = render("我的訂單還沒到", classification(Category.COMPLAINT, language="zh", script="Hant"))
    hans = render("我的订单还没到", classification(Category.COMPLAINT, language="zh", script="Hans"))
    assert "處理" in (hant.text or "") and "处理" not in (hant.text or "")
    assert "处理" in (hans.text or "") and "處理" not in (hans.text or "")
    assert (hant.script, hans.script) == ("Hant", "Hans")


def test_holding_replies_name_the_department_the_case_and_the_hotline():
    r = render("my parcel is late", classification(Category.COMPLAINT), channel=Channel.FACEBOOK)
    assert r.text is not None and "delivery" in r.text and "AB12CD34" in r.text and "400-820-0000" in r.text
    th = render("ของยังไม่มา", classification(Category.COMPLAINT, language="th"), channel=Channel.FACEBOOK)
    assert "การจัดส่ง" in (th.text or "") and th.language == "th"


def test_a_reply_too_long_for_the_channel_is_held_for_a_person_never_cut():
    long_name = mention("late", Channel.X).model_copy(update={"author": mention().author.model_copy(
        update={"name": "N" * 400})})
    routed = _routed(HandlingMode.HOLDING).model_copy(update={"mention": long_name})
    row = plan(routed, LUMO)
    assert row.status is OutboxStatus.FAILED and row.text is not None and "…" not in row.text
    assert row.error is not None and row.error.startswith("held by the reply guard: length:")


def test_due_times_are_in_the_brands_time_zone_and_the_customers_date_format():
    c = classification(Category.COMPLAINT)
    assert "16:30 (UTC+8) on 20 Nov" in (render("late", c, channel=Channel.FACEBOOK).text or "")
    zh = render("还没到", classification(Category.COMPLAINT, language="zh", script="Hans"))
    assert "11月20日 16:30" in (zh.text or "") and "UTC" not in (zh.text or "")
    th = render("ของยังไม่มา", classification(Category.COMPLAINT, language="th"), channel=Channel.FACEBOOK)
    assert "20 พ.ย. 16:30 น." in (th.text or "")


def test_hong_kong_and_taiwan_posts_get_their_own_traditional_and_the_name_stays_as_written():
    hant = classification(Category.COMPLAINT, language="zh", script="Hant")
    r = render("你哋嘅客服真係好差，等咗三日都冇人理", hant, channel=Channel.FACEBOOK, department="customer-service",
               name="台北阿凱")
    assert r.text is not None and "台北阿凱" in r.text and "臺北阿凱" not in r.text
    assert "爲" not in r.text and "裏" not in r.text
    question = classification(Category.QUESTION, language="zh", script="Hant")
    tw = render("請問台北捷運站附近的門市軟體更新要多久", question, HandlingMode.ANSWER, Channel.FACEBOOK,
                "technical-support")
    assert "技術支援" in (tw.text or "")
    # a Hong Kong account's replies follow Hong Kong even when the post shows no region
    hk = render("我的訂單還沒到", hant, channel=Channel.FACEBOOK, account="lumo_hk")
    assert "+852" in (hk.text or "") and "(UTC" not in (hk.text or "")


def test_a_sales_lead_is_welcomed_not_apologised_to():
    r = render("I'd like a quote for 40 suites for our company retreat", classification(Category.SALES_LEAD),
               channel=Channel.X, department="sales")
    assert r.status is OutboxStatus.PENDING and "sorry" not in (r.text or "").lower() and "interest" in (r.text or "")


def test_a_private_message_is_never_told_to_move_to_private_messages():
    row = plan(_routed(HandlingMode.PRIVATE, visibility=Visibility.PRIVATE), LUMO)
    assert row.status is OutboxStatus.PENDING and row.visibility == "private"
    assert row.text is not None and "private message" not in row.text and "reply here" in row.text


def test_an_empty_post_gets_no_public_reply_but_goes_to_a_person():
    routed = _routed(HandlingMode.ANSWER).model_copy(update={"mention": mention("  🙂 ", Channel.WEIBO)})
    row = plan(routed, LUMO)
    assert row.status is OutboxStatus.FAILED and row.error is not None and "empty-post" in row.error


def test_the_customers_phone_is_never_echoed_in_public():
    assert customer_values("call me on 138 0013 8000 or a@b.cn, order 2211") == ["a@b.cn", "138 0013 8000"]


def test_other_languages_get_the_brands_default_language_and_the_reply_says_so():
    r = render("merci beaucoup", classification(Category.PRAISE, language="fr", sentiment=0.9),
               HandlingMode.ACKNOWLEDGE, Channel.INSTAGRAM, "marketing")
    assert r.language == "en" and (r.text or "").startswith("Thank you")
    assert r.template_id is not None and r.template_id.endswith("+fallback-from-fr")



def test_a_reply_in_the_fallback_language_names_the_customers_language_on_its_event():
    for language in ("fr", "ja", "vi"):
        r = render("bonjour", classification(Category.QUESTION, language=language), HandlingMode.HOLDING)
        event = reply_event(replace(r, status=OutboxStatus.SENT), datetime.now(UTC))
        assert (event.language, event.language_fallback) == ("en", language)
    answered_in_own = render("我的快递还没到", classification(Category.COMPLAINT, language="zh", script="Hans"))
    assert reply_event(replace(answered_in_own, status=OutboxStatus.SENT), datetime.now(UTC)).language_fallback is None


def _routed(mode: HandlingMode, visibility=Visibility.PUBLIC) -> RoutedCase:
    m = mention("help", Channel.WEIBO, visibility=visibility)
    return RoutedCase(event_id=uuid.uuid4(), mention_id=m.mention_id, case_id=uuid.uuid4(), mention=m,
                      classification=classification(), department="customer-service", handling_mode=mode,
                      priority=50, sla_due_at=datetime.now(UTC) + timedelta(minutes=15), rule_id="r",
                      customer_tier=CustomerTier.STANDARD)


def test_private_conversations_are_answered_privately_public_posts_publicly_and_spam_not_at_all():
    assert plan(_routed(HandlingMode.PRIVATE), LUMO).visibility == "public"  # the acknowledgement; see handoff
    assert plan(_routed(HandlingMode.PRIVATE, Visibility.PRIVATE), LUMO).visibility == "private"
    assert plan(_routed(HandlingMode.ANSWER, Visibility.PRIVATE), LUMO).visibility == "private"
    assert plan(_routed(HandlingMode.ANSWER), LUMO).visibility == "public"
    spam = plan(_routed(HandlingMode.IGNORE), LUMO)
    assert spam.status == "ignored" and spam.text is None


def test_the_reply_id_is_the_same_however_often_a_mention_is_planned():
    routed = _routed(HandlingMode.ANSWER)
    assert plan(routed, LUMO).reply_id == plan(routed, LUMO).reply_id


KEY = b"k" * 32
LINKED = shipped_context(link_keys=(KEY,), verify_url="https://care.example.com/verify")


def test_an_angry_public_post_gets_a_short_public_acknowledgement_and_a_private_message_with_a_secure_link():
    routed = _routed(HandlingMode.PRIVATE)
    public, private = plan(routed, LINKED), plan_handoff(routed, LINKED)
    assert public.visibility == "public" and public.kind == "auto" and "https://" not in (public.text or "")
    assert private is not None and private.kind == "handoff" and private.visibility == "private"
    assert private.status is OutboxStatus.PENDING and private.recipient == routed.mention.author.platform_id
    [url] = [w for w in (private.text or "").split() if w.startswith("https://care.example.com/verify/")]
    claims = verify(KEY, url.rsplit("/", 1)[1], now=routed.mention.received_at)
    assert (claims.case_id, claims.link_id) == (routed.case_id, derive_id("secure-link", routed.mention_id))
    assert claims.customer_id == customer_id_for("weibo", routed.mention.author.platform_id)
    assert claims.expires_at == routed.mention.received_at.replace(microsecond=0) + timedelta(hours=24)
    assert plan_handoff(routed, LINKED) == private  # planned again (a redelivery): the same message and link


def test_without_a_verification_page_the_private_message_says_the_team_continues_there():
    private = plan_handoff(_routed(HandlingMode.PRIVATE), LUMO)
    assert private is not None and "https://" not in (private.text or "") and private.template_id is not None
    assert private.template_id == "handoff-no-link/en"


def test_a_private_conversation_gets_the_link_in_its_own_reply_and_no_second_message():
    routed = _routed(HandlingMode.PRIVATE, visibility=Visibility.PRIVATE)
    assert plan_handoff(routed, LINKED) is None
    row = plan(routed, LINKED)
    assert row.visibility == "private" and "https://care.example.com/verify/" in (row.text or "")


def test_only_private_handling_gets_a_handoff():
    assert plan_handoff(_routed(HandlingMode.HOLDING), LINKED) is None


def test_a_general_question_the_knowledge_base_knows_gets_the_answer_and_counts_as_answered():
    row = render("請問你們門市週末幾點開門？", classification(Category.QUESTION, language="zh", script="Hant"),
                 HandlingMode.ANSWER, Channel.FACEBOOK, "customer-service")
    assert row.substantive and row.template_id is not None and row.template_id.startswith("kb:store-hours/zh")
    assert row.text is not None and "10:00–22:00" in row.text and "門店" in row.text and "门店" not in row.text


def test_a_question_below_the_threshold_gets_the_holding_promise_and_the_queue():
    row = render("Do you sell gift cards in your store?", classification(Category.QUESTION), HandlingMode.ANSWER,
                 Channel.FACEBOOK, "customer-service")  # "store" alone weighs 0.2
    assert not row.substantive and row.template_id == "answer/en"


def test_only_general_questions_get_knowledge_answers():
    row = render("My robot vacuum broke after the reset, I want my money back", classification(Category.COMPLAINT),
                 HandlingMode.HOLDING, Channel.FACEBOOK, "technical-support")
    assert not row.substantive and row.template_id == "holding/en"
