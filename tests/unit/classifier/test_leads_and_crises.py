"""Sales leads and crisis signals as first-class (issue 12 point 4), measured on the team's own
posts: purchase intent is a `sales_lead` (recall ≥ 0.9, no lead invented from a parcel or a
refund); threats of media, lawyers, regulators and harm to health or safety are critical whatever
the sentiment, and never a question or praise."""

from __future__ import annotations

import pytest

from heed.contracts.events import Category, Urgency
from heed_classifier.domain import Classifier
from tests.unit.factories import mention

SALES_LEADS = [
    # en
    "How much for the honeymoon suite package for 3 nights in December?",
    "Do you offer corporate rates? We need 40 rooms for our sales conference in May",
    "Looking for a quote on 500 units of the air fryer for our stores",
    "What's the price for a group booking of 25 people, breakfast included?",
    "We'd like to buy in bulk for our office, can someone from sales contact me?",
    "Do you have a wedding package? Around 120 guests",
    "Interested in becoming a reseller of your kettles in Malaysia",
    "Can I get pricing for the family suite for Christmas week?",
    "Is there a discount if we book 10 rooms for a company retreat?",
    "Please send me your price list for wholesale orders",
    # zh-Hans
    "你们的蜜月套餐多少钱？想订三晚",
    "公司年会要订30间房，有企业协议价吗？",
    "想批发200台空气炸锅，请问怎么报价",
    "团购50份有优惠吗",
    "我们是旅行社，想谈一下团队价格合作",
    "请问行政套房包早餐的套餐怎么卖",
    # zh-Hant
    "想問一下你們的婚宴套餐價錢",
    "公司想訂20間房開會，有沒有團體優惠？",
    "我哋公司想大量採購，可唔可以報個價",
    "請問企業客戶有冇折扣方案",
    # th
    "สอบถามราคาแพ็กเกจห้องสวีทสำหรับฮันนีมูนค่ะ",
    "บริษัทต้องการจองห้องประชุมและห้องพัก 30 ห้อง มีราคาองค์กรไหมคะ",
    "อยากสั่งซื้อจำนวนมากสำหรับร้าน ขอใบเสนอราคาหน่อยครับ",
    "มีโปรกรุ๊ปทัวร์ 20 คนไหมครับ",
    "ขอราคาขายส่งหม้อทอดไร้น้ำมัน 100 เครื่องค่ะ",
    # other languages
    "Bonjour, quel est le prix du forfait suite pour un séminaire d'entreprise ?",
    "¿Cuánto cuesta el paquete de luna de miel para dos personas?",
    "Wir suchen ein Firmenangebot für 30 Zimmer im Juni",
    "Berapa harga pakej bilik suite untuk syarikat kami?",
    "Berapa harga paket kamar untuk rombongan 20 orang?",
    "Cho tôi xin báo giá gói phòng cho đoàn 30 người",
]

NOT_LEADS = [
    "My package still hasn't arrived after two weeks",
    "How much longer do I have to wait for my refund?",
    "I was charged twice for the suite, please fix this",
    "我的包裹还没到，快递单号查不到",
    "價錢寫錯了，多收了我錢",
    "พัสดุยังไม่ได้รับเลยค่ะ",
    "Thanks for the lovely stay, the suite was perfect!",
]

CRISES = [
    # en
    "Got food poisoning from your buffet last night. My lawyer will be in touch",
    "Lovely hotel, nice staff, but my son got food poisoning at dinner and we spent the night in the ER",
    "Your charger caught fire on my desk. I'm reporting this to the consumer protection agency",
    "If I don't hear back today I'm going to the press with the photos",
    "The balcony railing is loose, my daughter almost fell. This is dangerous",
    "We found bed bugs and my wife had an allergic reaction, thanks for nothing",
    "Filing a complaint with the health department about your kitchen",
    "I'll be suing you for the injury I got from the broken chair",
    # zh-Hans
    "吃了你们的外卖全家食物中毒，已经报警并找律师",
    "房间里的热水壶漏电，我被电到了，要去12315投诉",
    "再不给说法我就找媒体曝光",
    "服务挺好的，就是吃完早餐孩子过敏送医院了",
    # zh-Hant
    "吃完你們的海鮮全家食物中毒進了醫院",
    "我會向消委會投訴，仲會搵記者",
    # th
    "กินอาหารที่โรงแรมแล้วอาหารเป็นพิษ ต้องเข้าโรงพยาบาล",
    "จะฟ้อง สคบ. และแจ้งนักข่าวแน่นอน",
    "ปลั๊กไฟในห้องช็อตจนไฟไหม้ อันตรายมาก",
    # other languages
    "Intoxication alimentaire après votre buffet, mon avocat vous contactera",
    "Mi abogado se pondrá en contacto con ustedes por la intoxicación",
    "Nach dem Essen hatten wir eine Lebensmittelvergiftung, ich gehe zum Anwalt",
    "Kami keracunan makanan selepas makan di restoran hotel",
    "Cả nhà bị ngộ độc thực phẩm sau bữa tối ở khách sạn",
]


@pytest.fixture(scope="module")
def model() -> Classifier:
    return Classifier.load()


def test_sales_lead_recall_on_the_teams_posts_is_at_least_nine_in_ten(model):
    results = model.classify_batch([mention(t) for t in SALES_LEADS])
    missed = [(t, c.category.value) for t, c in zip(SALES_LEADS, results, strict=True)
              if c.category is not Category.SALES_LEAD]
    recall = 1 - len(missed) / len(SALES_LEADS)
    assert recall >= 0.9, missed


@pytest.mark.parametrize("text", SALES_LEADS[:5] + SALES_LEADS[10:12] + SALES_LEADS[16:18] + SALES_LEADS[20:22])
def test_a_purchase_enquiry_is_a_lead_in_every_language(model, text):
    c = model.classify(mention(text))
    assert c.category is Category.SALES_LEAD, c.explanation
    assert c.issue_type is None  # a lead is no problem to fix: no invented issue type


@pytest.mark.parametrize("text", NOT_LEADS)
def test_parcels_refunds_and_praise_are_no_leads(model, text):
    c = model.classify(mention(text))
    assert c.category is not Category.SALES_LEAD, c.explanation


def test_crisis_recall_is_complete_on_the_teams_posts(model):
    results = model.classify_batch([mention(t) for t in CRISES])
    missed = [(t, c.urgency.value, c.category.value) for t, c in zip(CRISES, results, strict=True)
              if c.urgency is not Urgency.CRITICAL or c.category in (Category.QUESTION, Category.PRAISE)]
    assert not missed


@pytest.mark.parametrize("text", [
    "Lovely hotel, nice staff, but my son got food poisoning at dinner and we spent the night in the ER",
    "服务挺好的，就是吃完早餐孩子过敏送医院了",
    "Thanks for the stay, everyone was kind. Also food poisoning from the buffet, my lawyer will write",
])
def test_a_mildly_positive_crisis_is_a_critical_complaint(model, text):
    c = model.classify(mention(text))
    assert (c.category, c.urgency) == (Category.COMPLAINT, Urgency.CRITICAL), c.explanation
    assert c.sentiment < 0
    assert "critical" in c.explanation


@pytest.mark.parametrize("text", [
    "Is the hotel close to a hospital?", "Your new album is fire 🔥", "Do you sell fire extinguishers?",
    "What time does the press conference start?", "Is the pool safe for toddlers?",
])
def test_words_near_a_crisis_are_not_one(model, text):
    assert model.classify(mention(text)).urgency is not Urgency.CRITICAL
