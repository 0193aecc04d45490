"""Issue types for hospitality as well as retail (issue 12 point 6), on the team's own complaints
in en, zh-Hans, zh-Hant and th: each type its own cue table, and the shipped routing rules send
each to its department."""

from __future__ import annotations

import pytest

from heed.contracts.events import Category, CustomerTier, IssueType
from heed_classifier.domain import Classifier
from heed_router.domain.rules import route
from tests.unit.factories import mention
from tests.unit.router.builtin_rules import SHIPPED_RULES

T = IssueType
POSTS: list[tuple[str, IssueType]] = [
    # facilities and hygiene
    ("The pool was closed all week and the gym smelled terrible", T.FACILITIES_HYGIENE),
    ("酒店大堂的电梯坏了，卫生间也不干净", T.FACILITIES_HYGIENE),
    ("泳池好髒，電梯又壞咗", T.FACILITIES_HYGIENE),
    ("ห้องน้ำสกปรกมาก มีแมลงสาบด้วย", T.FACILITIES_HYGIENE),
    # food and beverage
    ("Breakfast buffet was stale and the coffee was cold, terrible", T.FOOD_BEVERAGE),
    ("早餐自助餐太难吃了，菜品也不新鲜", T.FOOD_BEVERAGE),
    ("餐廳的食物好難吃，咖啡仲係凍嘅", T.FOOD_BEVERAGE),
    ("อาหารเช้าไม่อร่อยเลย บุฟเฟ่ต์มีให้เลือกน้อยมาก", T.FOOD_BEVERAGE),
    # room
    ("The air conditioning in my room never worked and the mattress was awful", T.ROOM),
    ("房间空调坏了，热水也没有，太失望了", T.ROOM),
    ("客房冷氣壞咗，枕頭又硬，好失望", T.ROOM),
    ("แอร์ในห้องพักเสีย น้ำอุ่นก็ไม่มี ผิดหวังมาก", T.ROOM),
    # booking
    ("You cancelled my booking without telling me and now the hotel is overbooked", T.BOOKING),
    ("我预订的房间到了前台说没有记录，入住等了两个小时", T.BOOKING),
    ("預訂咗嘅房話冇晒，退房又收多錢，好嬲", T.BOOKING),
    ("จองห้องไว้แล้วแต่พอไปเช็คอินบอกว่าไม่มีการจอง แย่มาก", T.BOOKING),
    # billing
    ("I was charged twice for my stay, please refund the extra payment", T.BILLING),
    ("退房的时候多扣了我两百块，发票也开错了", T.BILLING),
    # delivery
    ("My parcel is a week late and tracking shows nothing", T.SHIPPING_DELIVERY),
    ("快遞一個星期都未到，物流都冇更新", T.SHIPPING_DELIVERY),
    ("พัสดุยังไม่ได้รับเลย ส่งช้ามาก", T.SHIPPING_DELIVERY),
    # product quality
    ("The kettle is defective, it leaks and stopped working", T.PRODUCT_QUALITY),
    ("吹风机用了两天就坏了，质量太差", T.PRODUCT_QUALITY),
    # attitude
    ("The front desk staff were rude and ignored us", T.SERVICE_ATTITUDE),
    ("前台服務員態度好差，完全唔理人", T.SERVICE_ATTITUDE),
    ("พนักงานมารยาทแย่มาก ไม่สนใจลูกค้า", T.SERVICE_ATTITUDE),
    # usage
    ("I can't figure out how to connect the app, the login keeps failing", T.USAGE_DIFFICULTY),
    ("APP连不上，说明书看不懂怎么设置", T.USAGE_DIFFICULTY),
]

DEPARTMENTS = {
    T.FOOD_BEVERAGE: "food-beverage", T.ROOM: "rooms", T.BOOKING: "reservations",
    T.FACILITIES_HYGIENE: "facilities", T.BILLING: "billing", T.SHIPPING_DELIVERY: "logistics",
    T.PRODUCT_QUALITY: "product-quality", T.SERVICE_ATTITUDE: "customer-service",
}


@pytest.fixture(scope="module")
def model() -> Classifier:
    return Classifier.load()


@pytest.mark.parametrize(("text", "issue"), POSTS)
def test_each_complaint_gets_its_issue_type(model, text, issue):
    c = model.classify(mention(text))
    assert c.category is Category.COMPLAINT, c.explanation
    assert c.issue_type is issue, c.explanation


def test_every_issue_type_is_found_in_every_seed_language_table():
    from heed_classifier.domain.lexicon import ISSUE_CUES

    assert set(ISSUE_CUES) == set(IssueType) - {IssueType.OTHER}
    for issue, cues in ISSUE_CUES.items():
        assert any(c.isascii() for c in cues), issue  # en
        assert any("\u4e00" <= c[0] <= "\u9fff" for c in cues), issue  # zh (both scripts, folded)
        assert any("\u0e00" <= c[0] <= "\u0e7f" for c in cues), issue  # th


@pytest.mark.parametrize(("text", "issue"), [(t, i) for t, i in POSTS if i in DEPARTMENTS])
def test_the_shipped_rules_send_each_issue_type_to_its_department(model, text, issue):
    c = model.classify(mention(text))
    d = route(SHIPPED_RULES, mention(text), c.model_copy(update={"urgency": "normal"}), CustomerTier.STANDARD)
    assert d.department == DEPARTMENTS[issue], (d.rule_id, c.explanation)
