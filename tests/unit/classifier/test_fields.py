"""The shipped classifier, field by field, on hand-written posts in en, zh-Hans, zh-Hant and th."""

from __future__ import annotations

from typing import Any

import pytest

from heed.contracts.events import Author, Category, Classification, Complexity, IssueType, Urgency
from heed_classifier.domain import Classifier
from heed_classifier.domain.pii import find_pii
from tests.unit.factories import mention

FIELDS = ("language", "script", "category", "issue_type", "sentiment", "urgency", "complexity", "pii")


@pytest.fixture(scope="module")
def model() -> Classifier:
    return Classifier.load()


def classify(model: Classifier, text: str, **kw: Any) -> Classification:
    return model.classify(mention(text, **kw))


@pytest.mark.parametrize(("text", "language", "script"), [
    ("外卖送得太慢了，饭菜都凉了", "zh", "Hans"),
    ("外賣送得太慢了，飯菜都涼了", "zh", "Hant"),
    ("呢間酒店啲職員好有禮貌", "zh", "Hant"),  # Cantonese, Traditional
    ("Where is my parcel? It has been a week", "en", None),
    ("สั่งของไปอาทิตย์นึงแล้วยังไม่ได้รับเลยค่ะ", "th", None),
    ("我的 order 还没到, so annoying", "zh", "Hans"),  # mixed: Chinese with English words
    ("My 訂單 has not arrived yet and support is not answering", "en", "Hant"),  # mostly English, still a script
    ("我的订单三天了还没发货", "zh", "Hans"),
    ("我的訂單三天了還沒發貨", "zh", "Hant"),
    ("頭髮護理產品有貨嗎", "zh", "Hant"),
    ("头发护理产品有货吗", "zh", "Hans"),
    ("Where is my parcel?", "en", None),
    ("ส่งของช้ามากค่ะ", "th", None),
    ("订单 order #A12345 还没到 please check", "zh", "Hans"),
])
def test_language_and_script_from_character_evidence(model, text, language, script):
    c = classify(model, text)
    assert (c.language, c.script) == (language, script)
    assert 0.5 <= c.confidences["language"] <= 1.0


def test_script_is_decided_by_characters_not_by_language(model):
    # the same sentence in both scripts differs only in its characters
    assert classify(model, "这台电脑质量很好").script == "Hans"
    assert classify(model, "這台電腦質量很好").script == "Hant"


@pytest.mark.parametrize(("text", "category"), [
    ("@ZipTel my internet has been down for three days and nobody answers the phone", Category.COMPLAINT),
    ("Does the downtown store open on Sundays?", Category.QUESTION),
    ("Thanks for the quick help today, love the new kettle!", Category.PRAISE),
    ("Can you send a quote for 200 units for our office? We are a reseller", Category.SALES_LEAD),
    ("Suggest you add a dark mode to the app", Category.SUGGESTION),
    ("Free crypto airdrop!!! click here bit.ly/xyz", Category.SPAM),
    ("买的热水器用了一个月就坏了，太失望了", Category.COMPLAINT),
    ("請問你們門市週末幾點開門？", Category.QUESTION),
    ("味道很好，送餐也快，五星好评", Category.PRAISE),
    ("想咨询一下企业批量采购50台的报价", Category.SALES_LEAD),
    ("建议APP增加夜间模式", Category.SUGGESTION),
    ("加微信日赚五百，兼职刷单", Category.SPAM),
    ("ร้านเปิดกี่โมงคะ", Category.QUESTION),
    ("สินค้าเสียตั้งแต่วันแรก ผิดหวังมาก", Category.COMPLAINT),
    ("ขอบคุณมากค่ะ บริการดีมาก ประทับใจ", Category.PRAISE),
    ("I was charged twice for my order, please fix this", Category.COMPLAINT),
    ("Love the new air fryer, best purchase this year!", Category.PRAISE),
    ("想咨询一下企业批量采购50台的价格", Category.SALES_LEAD),
    ("Free crypto airdrop, click here", Category.SPAM),
])
def test_category(model, text, category):
    c = classify(model, text)
    assert c.category == category, c.explanation
    assert 0.0 < c.confidences["category"] <= 1.0


@pytest.mark.parametrize(("text", "issue"), [
    ("I was charged twice for one order, I want a refund", IssueType.BILLING),
    ("My parcel still hasn't been delivered, tracking shows nothing", IssueType.SHIPPING_DELIVERY),
    ("The agent was rude and hung up on me", IssueType.SERVICE_ATTITUDE),
    ("The kettle is defective, it stopped working after two days", IssueType.PRODUCT_QUALITY),
    ("快递三天了还没到，物流信息也不更新", IssueType.SHIPPING_DELIVERY),
    ("客服態度太差了，問了三次都不理人", IssueType.SERVICE_ATTITUDE),
    ("酒店房间很脏，卫生间有蟑螂", IssueType.FACILITIES_HYGIENE),
    ("เครื่องพังหลังใช้ได้สองวัน คุณภาพแย่มาก", IssueType.PRODUCT_QUALITY),
    ("I was charged twice for my order", IssueType.BILLING),
    ("快递三天了还没到，物流不更新", IssueType.SHIPPING_DELIVERY),
    ("客服態度很差，一直不理人", IssueType.SERVICE_ATTITUDE),
    ("The kettle leaks and the handle cracked", IssueType.PRODUCT_QUALITY),
    ("APP连不上，说明书看不懂怎么设置", IssueType.USAGE_DIFFICULTY),
    ("ห้องน้ำสกปรก มีกลิ่น", IssueType.FACILITIES_HYGIENE),
])
def test_issue_type(model, text, issue):
    assert classify(model, text).issue_type == issue


def test_praise_has_no_issue(model):
    assert classify(model, "Love it, thank you so much!").issue_type is None


@pytest.mark.parametrize(("text", "sign"), [
    ("Worst customer service ever, I'm done with you", -1),
    ("Absolutely love this phone, best purchase this year", 1),
    ("送餐太慢，饭都凉了，再也不点了", -1),
    ("分量足味道好，下次还点", 1),
    ("房間很乾淨，服務很周到，下次還住", 1),
    ("質量太差，用了三天就壞了", -1),
    ("ห่วยมาก ส่งช้า ไม่พอใจเลย", -1),
    ("อร่อยมาก ชอบมากค่ะ", 1),
    ("😡😡😡", -1),
    ("😍😍", 1),
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
    c = classify(model, text)
    assert -1.0 <= c.sentiment <= 1.0
    assert c.sentiment * sign > 0, (text, c.sentiment)


@pytest.mark.parametrize(("text", "urgency"), [
    ("My charger caught fire last night, this is dangerous", Urgency.CRITICAL),
    ("If this isn't refunded by Friday I'm calling my lawyer", Urgency.CRITICAL),
    ("再不处理我就打12315投诉，还要找媒体曝光", Urgency.CRITICAL),
    ("吃了你們的外賣食物中毒進了醫院", Urgency.CRITICAL),
    ("ถ้าไม่คืนเงินจะร้องเรียน สคบ", Urgency.CRITICAL),
    ("This is the third time my order is late, still waiting", Urgency.HIGH),
    ("又是这样，第三次送错了", Urgency.HIGH),
    ("Does the store open on Sunday?", Urgency.NORMAL),
    ("Thanks, love it!", Urgency.LOW),
])
def test_urgency_triggers(model, text, urgency):
    assert classify(model, text).urgency == urgency


def test_a_threat_to_go_public_is_a_critical_complaint(model):
    c = classify(model, "第三次投诉了，再不解决我就找12315和媒体曝光！！")
    assert (c.category, c.urgency) == (Category.COMPLAINT, Urgency.CRITICAL)


@pytest.mark.parametrize("text", ["My order arrived broken and support is useless", "My order arrived broken"])
def test_high_reach_author_raises_a_complaint_to_high(model, text):
    low = classify(model, text, author=Author(platform_id="u1", followers=12))
    high = classify(model, text, author=Author(platform_id="u2", followers=250_000))
    assert low.category == high.category == Category.COMPLAINT
    assert low.urgency == Urgency.NORMAL
    assert high.urgency == Urgency.HIGH
    assert "high-reach" in high.explanation


@pytest.mark.parametrize(("text", "complexity"), [
    ("What time do you open on Saturdays?", Complexity.GENERAL),
    ("How do I reset my password?", Complexity.GENERAL),
    ("You charged me twice and I need a refund and compensation for the damaged item", Complexity.COMPLEX),
    ("几点开门？", Complexity.GENERAL),
    ("收到的货破损了，要求退款并赔偿", Complexity.COMPLEX),
    ("ขอคืนเงินและเคลมสินค้าที่เสียหาย", Complexity.COMPLEX),
    ("What time do you open on Sunday?", Complexity.GENERAL),
    ("门店几点开门？", Complexity.GENERAL),
    ("I was charged twice and want a refund and compensation", Complexity.COMPLEX),
    ("扣了两次款，要求退款", Complexity.COMPLEX),
    ("ขอคืนเงินค่าสินค้าที่เสีย", Complexity.COMPLEX),
])
def test_complexity(model, text, complexity):
    assert classify(model, text).complexity == complexity


@pytest.mark.parametrize(("text", "kinds"), [
    ("Call me on 13812345678", ["phone"]),
    ("my email is amy.lee@example.com", ["email"]),
    ("card 4111 1111 1111 1111 was charged", ["card_number"]),
    ("card 4111 1111 1111 1112 was charged", []),  # fails the Luhn check
    ("card 4111 1111 1111 1111", ["card_number"]),
    ("card 4111 1111 1111 1112", []),
    ("身份证 11010519491231002X 登记错了", ["id_number"]),
    ("身份证 110105194912310021 登记错了", []),  # wrong checksum
    ("订单号：202311230001 还没发货", ["order_number"]),
    ("order #A12345 never arrived", ["order_number"]),
    ("No personal data here", []),
])
def test_pii_kinds_never_values(model, text, kinds):
    assert find_pii(text) == kinds
    c = classify(model, text)
    assert c.pii == kinds
    for kind in kinds:  # the kind is named, the value never appears in the result
        assert kind in c.explanation
    assert "13812345678" not in c.model_dump_json()
    assert "amy.lee@example.com" not in c.model_dump_json()


def test_several_kinds_of_pii_in_one_post_are_named_and_their_values_never_reported(model):
    c = classify(model, "Call me on 138-1234-5678 or mail amy@example.com about order #A99812")
    assert c.pii == ["email", "order_number", "phone"]
    assert "5678" not in c.explanation and "amy@" not in c.explanation


@pytest.mark.parametrize("text", [
    "", " ", "😀", "🙏🙏🙏🔥", "\x01\x1f\u200b\ufeff", "a" * 100_000,
    "差" * 100_000, "ดี" * 50_000, "!!!???...", "12345 67890", "<script>alert(1)</script>",
    "😀🔥👍", "中" * 50_000, "客服态度太差了",
])
def test_never_raises_and_always_answers_every_field(model, text):
    c = classify(model, text)
    assert -1.0 <= c.sentiment <= 1.0
    assert c.model_version == model.version
    assert set(c.confidences) >= {"language", "script", "category", "issue_type", "sentiment", "urgency",
                                  "complexity", "pii"}
    assert all(0.0 <= v <= 1.0 for v in c.confidences.values())
    assert c.explanation


def test_emoji_and_empty_posts_have_no_language_and_no_script(model):
    for text in ("", "😀😀", "👍"):
        c = classify(model, text)
        assert (c.language, c.script) == ("und", None)
        assert c.category in (Category.OTHER, Category.PRAISE)


def test_batch_equals_one_by_one(model):
    texts = ["外卖送得太慢了", "Love it!", "ร้านเปิดกี่โมงคะ", "", "My order #A12345 is late again"]
    batch = model.classify_batch([mention(t) for t in texts])
    single = [model.classify(mention(t)) for t in texts]
    assert [b.model_dump() for b in batch] == [s.model_dump() for s in single]
    assert model.classify_batch([]) == []


@pytest.mark.parametrize(("text", "evidence"), [
    ("我要找律师起诉你们，订单号：202311230001", ["律师", "order_number"]),
    ("客服态度太差了", ["态度太差"]),
])
def test_explanation_names_the_evidence(model, text, evidence):
    c = classify(model, text)
    assert all(e in c.explanation for e in evidence), c.explanation
    assert c.model_version.startswith("rules-")
