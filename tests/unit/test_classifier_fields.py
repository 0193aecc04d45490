"""The classifier on hand-written posts in every supported language and both scripts, per field."""

from __future__ import annotations

import pytest

from heed.contracts.events import Author, Category, Urgency
from heed_classifier.domain import Classifier
from heed_classifier.domain.pii import find_pii
from tests.unit.factories import mention


@pytest.fixture(scope="module")
def model() -> Classifier:
    return Classifier.load()


@pytest.mark.parametrize(("text", "language", "script"), [
    ("我的订单三天了还没发货", "zh", "Hans"),
    ("我的訂單三天了還沒發貨", "zh", "Hant"),
    ("頭髮護理產品有貨嗎", "zh", "Hant"),
    ("头发护理产品有货吗", "zh", "Hans"),
    ("Where is my parcel?", "en", None),
    ("ส่งของช้ามากค่ะ", "th", None),
    ("订单 order #A12345 还没到 please check", "zh", "Hans"),
])
def test_language_and_script_come_from_the_characters(model, text, language, script):
    c = model.classify(mention(text))
    assert (c.language, c.script) == (language, script)


@pytest.mark.parametrize(("text", "category"), [
    ("I was charged twice for my order, please fix this", Category.COMPLAINT),
    ("請問你們門市週末幾點開門？", Category.QUESTION),
    ("Love the new air fryer, best purchase this year!", Category.PRAISE),
    ("想咨询一下企业批量采购50台的价格", Category.SALES_LEAD),
    ("建议APP增加夜间模式", Category.SUGGESTION),
    ("Free crypto airdrop, click here", Category.SPAM),
    ("ร้านเปิดกี่โมงคะ", Category.QUESTION),
])
def test_category(model, text, category):
    assert model.classify(mention(text)).category is category


def test_threats_to_go_public_are_critical_and_big_accounts_complaining_are_high(model):
    angry = model.classify(mention("第三次投诉了，再不解决我就找12315和媒体曝光！！"))
    assert angry.urgency is Urgency.CRITICAL and angry.category is Category.COMPLAINT
    big = mention("My order arrived broken", author=Author(platform_id="v", followers=250_000))
    assert model.classify(big).urgency is Urgency.HIGH


def test_pii_kinds_are_found_and_values_never_reported(model):
    c = model.classify(mention("Call me on 138-1234-5678 or mail amy@example.com about order #A99812"))
    assert c.pii == ["email", "order_number", "phone"]
    assert "5678" not in c.explanation and "amy@" not in c.explanation
    assert find_pii("card 4111 1111 1111 1111") == ["card_number"]
    assert find_pii("card 4111 1111 1111 1112") == []


@pytest.mark.parametrize("text", ["", "😀🔥👍", "a" * 100_000, "\x01\x1f\u200b\ufeff", "中" * 50_000])
def test_never_fails_on_odd_text(model, text):
    c = model.classify(mention(text))
    assert -1.0 <= c.sentiment <= 1.0 and c.model_version


def test_every_field_has_a_confidence_and_an_explanation(model):
    c = model.classify(mention("客服态度太差了"))
    assert set(c.confidences) >= {"language", "script", "category", "issue_type", "urgency", "pii"}
    assert "态度太差" in c.explanation


@pytest.mark.parametrize(("text", "issue"), [
    ("I was charged twice for my order", "billing"),
    ("快递三天了还没到，物流不更新", "shipping_delivery"),
    ("客服態度很差，一直不理人", "service_attitude"),
    ("The kettle leaks and the handle cracked", "product_quality"),
    ("APP连不上，说明书看不懂怎么设置", "usage_difficulty"),
    ("ห้องน้ำสกปรก มีกลิ่น", "facilities_hygiene"),
])
def test_issue_type(model, text, issue):
    c = model.classify(mention(text))
    assert c.issue_type is not None and c.issue_type.value == issue


@pytest.mark.parametrize(("text", "sign"), [
    ("Love it, excellent service, thank you!", 1),
    ("Terrible, broken again, worst purchase ever", -1),
    ("太好用了，非常满意，推荐", 1),
    ("质量太差了，很失望", -1),
    ("超好用，很滿意", 1),
    ("品質很差，很失望", -1),
    ("ดีมาก ชอบมากค่ะ", 1),
    ("แย่มาก ผิดหวัง", -1),
])
def test_sentiment_sign(model, text, sign):
    assert model.classify(mention(text)).sentiment * sign > 0


@pytest.mark.parametrize(("text", "complexity"), [
    ("What time do you open on Sunday?", "general"),
    ("门店几点开门？", "general"),
    ("I was charged twice and want a refund and compensation", "complex"),
    ("扣了两次款，要求退款", "complex"),
    ("ขอคืนเงินค่าสินค้าที่เสีย", "complex"),
])
def test_complexity(model, text, complexity):
    assert model.classify(mention(text)).complexity.value == complexity
