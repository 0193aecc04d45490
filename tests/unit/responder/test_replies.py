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
)
from heed_responder.domain.planning import ReplyContext, plan
from heed_responder.domain.templates import render_reply
from tests.unit.factories import classification, mention

DUE = "2026-11-20 08:30 UTC"


def render(text, c, mode=HandlingMode.HOLDING, channel=Channel.WEIBO, department="logistics"):
    return render_reply(mention(text, channel), c, mode, department, "AB12CD34", DUE, "Lumo", "400-820-0000")


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


def test_replies_fit_the_channel_limit():
    long_name = mention("late", Channel.X).model_copy(update={"author": mention().author.model_copy(
        update={"name": "N" * 400})})
    r = render_reply(long_name, classification(Category.COMPLAINT), HandlingMode.HOLDING, "logistics",
                     "AB12CD34", DUE, "Lumo", "400")
    assert len(r.text) == 280 and r.text.endswith("…")


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


def test_private_handling_and_private_conversations_are_answered_privately_and_spam_not_at_all():
    assert plan(_routed(HandlingMode.PRIVATE), LUMO).visibility == "private"
    assert plan(_routed(HandlingMode.ANSWER, Visibility.PRIVATE), LUMO).visibility == "private"
    assert plan(_routed(HandlingMode.ANSWER), LUMO).visibility == "public"
    spam = plan(_routed(HandlingMode.IGNORE), LUMO)
    assert spam.status == "ignored" and spam.text is None


def test_the_reply_id_is_the_same_however_often_a_mention_is_planned():
    routed = _routed(HandlingMode.ANSWER)
    assert plan(routed, LUMO).reply_id == plan(routed, LUMO).reply_id
