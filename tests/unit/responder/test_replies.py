from __future__ import annotations

import uuid
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
from heed_responder.domain.planning import ReplyContext, customer_values, plan, plan_handoff
from heed_responder.domain.templates import render_reply
from tests.unit.factories import classification, mention

DUE_AT = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
DUE = "08:30 (UTC) on 20 Nov"


def render(text, c, mode=HandlingMode.HOLDING, channel=Channel.WEIBO, department="logistics", **kw):
    return render_reply(mention(text, channel), c, mode, department, "AB12CD34", DUE_AT, "Lumo", "400-820-0000",
                        **kw)


def test_traditional_posts_get_traditional_replies_and_simplified_posts_simplified():
    hant = render("我的訂單還沒到", classification(Category.COMPLAINT, language="zh", script="Hant"))
    hans = render("我的订单还没到", classification(Category.COMPLAINT, language="zh", script="Hans"))
    assert "處理" in hant.text and "处理" not in hant.text
    assert "处理" in hans.text and "處理" not in hans.text
    assert (hant.script, hans.script) == ("Hant", "Hans")


def test_holding_replies_name_the_department_the_case_and_the_hotline():
    r = render("my parcel is late", classification(Category.COMPLAINT), channel=Channel.FACEBOOK)
    assert "delivery" in r.text and "AB12CD34" in r.text and "400-820-0000" in r.text and DUE in r.text
    th = render("ของยังไม่มา", classification(Category.COMPLAINT, language="th"), channel=Channel.FACEBOOK)
    assert "การจัดส่ง" in th.text and th.language == "th"


def test_a_reply_too_long_for_the_channel_is_held_for_a_person_never_cut():
    long_name = mention("late", Channel.X).model_copy(update={"author": mention().author.model_copy(
        update={"name": "N" * 400})})
    routed = _routed(HandlingMode.HOLDING).model_copy(update={"mention": long_name})
    row = plan(routed, LUMO)
    assert row.status is OutboxStatus.FAILED and row.text is not None and "…" not in row.text
    assert row.error is not None and row.error.startswith("held by the reply guard: length:")


def test_due_times_are_in_the_brands_time_zone_and_the_customers_date_format():
    c = classification(Category.COMPLAINT)
    assert "16:30 (UTC+8) on 20 Nov" in render("late", c, time_zone="Asia/Shanghai").text
    zh = render("还没到", classification(Category.COMPLAINT, language="zh", script="Hans"), time_zone="Asia/Shanghai")
    assert "11月20日 16:30" in zh.text and "UTC" not in zh.text
    th = render("ของยังไม่มา", classification(Category.COMPLAINT, language="th"), time_zone="Asia/Bangkok")
    assert "20 พ.ย. 15:30 น." in th.text


def test_hong_kong_and_taiwan_posts_get_their_own_traditional_and_the_name_stays_as_written():
    author = mention().author.model_copy(update={"name": "台北阿凱"})
    hk = mention("你哋嘅客服真係好差，等咗三日都冇人理", Channel.FACEBOOK).model_copy(update={"author": author})
    r = render_reply(hk, classification(Category.COMPLAINT, language="zh", script="Hant"), HandlingMode.HOLDING,
                     "customer-service", "AB12CD34", DUE_AT, "Lumo", "400-820-0000")
    assert "台北阿凱" in r.text and "臺北阿凱" not in r.text
    assert "爲" not in r.text and "裏" not in r.text
    tw = mention("請問台北捷運站附近的門市軟體更新要多久", Channel.FACEBOOK)
    r = render_reply(tw, classification(Category.QUESTION, language="zh", script="Hant"), HandlingMode.ANSWER,
                     "technical-support", "AB12CD34", DUE_AT, "Lumo", "400-820-0000")
    assert "技術支援" in r.text or "技術支持" in r.text


def test_a_sales_lead_is_welcomed_not_apologised_to():
    r = render("I'd like a quote for 40 suites for our company retreat", classification(Category.SALES_LEAD),
               channel=Channel.X, department="sales")
    assert "sorry" not in r.text.lower() and "interest" in r.text


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


def test_unknown_languages_get_english_and_praise_gets_thanks():
    r = render("merci beaucoup", classification(Category.PRAISE, language="fr"), HandlingMode.ACKNOWLEDGE,
               Channel.INSTAGRAM, "marketing")
    assert r.language == "en" and r.text.startswith("Thank you")


def _routed(mode: HandlingMode, visibility=Visibility.PUBLIC) -> RoutedCase:
    m = mention("help", Channel.WEIBO, visibility=visibility)
    return RoutedCase(event_id=uuid.uuid4(), mention_id=m.mention_id, case_id=uuid.uuid4(), mention=m,
                      classification=classification(), department="customer-service", handling_mode=mode,
                      priority=50, sla_due_at=datetime.now(UTC) + timedelta(minutes=15), rule_id="r",
                      customer_tier=CustomerTier.STANDARD)


LUMO = ReplyContext(brand="Lumo", hotline="1")


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
LINKED = ReplyContext(brand="Lumo", hotline="1", link_keys=(KEY,), verify_url="https://care.example.com/verify")


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
    assert private.template_id.startswith("private/handoff-no-link/")


def test_a_private_conversation_gets_the_link_in_its_own_reply_and_no_second_message():
    routed = _routed(HandlingMode.PRIVATE, visibility=Visibility.PRIVATE)
    assert plan_handoff(routed, LINKED) is None
    row = plan(routed, LINKED)
    assert row.visibility == "private" and "https://care.example.com/verify/" in (row.text or "")


def test_only_private_handling_gets_a_handoff():
    assert plan_handoff(_routed(HandlingMode.HOLDING), LINKED) is None
