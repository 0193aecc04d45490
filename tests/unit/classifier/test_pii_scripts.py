"""PII in every script (issue 12 point 5): order numbers, booking references, id and card numbers,
phones and e-mail addresses, written as customers write them in each market; kinds only, never
values; and a scan whose work is bounded by construction whatever the post's length."""

from __future__ import annotations

import pytest

from heed_classifier.domain import Classifier
from heed_classifier.domain.pii import SCAN_CHARS, find_pii, hk_id_valid, read_bound, thai_id_valid, tw_id_valid
from tests.unit.factories import mention


@pytest.mark.parametrize(("text", "kinds"), [
    # phones: Chinese, Thai, Hong Kong, Taiwan, Japanese, Korean, international; full-width and Thai digits
    ("我的手机１３８－１２３４－５６７８，请回电", ["phone"]),
    ("打我座机010-12345678", ["phone"]),
    ("โทรกลับที่ ๐๘๑-๒๓๔-๕๖๗๘ ได้เลยค่ะ", ["phone"]),
    ("เบอร์ออฟฟิศ 02-123-4567", ["phone"]),
    ("請打 +852 9123 4567 搵我", ["phone"]),
    ("我的手機 0912-345-678", ["phone"]),
    ("電話は03-1234-5678です", ["phone"]),
    ("제 번호는 010-1234-5678 입니다", ["phone"]),
    ("Appelez-moi au +33 6 12 34 56 78", ["phone"]),
    # e-mail addresses, ASCII and internationalised, full-width @
    ("mail me at amy.lee@example.com", ["email"]),
    ("邮箱 amy＠example.com", ["email"]),
    ("我的邮箱是 小明@例子.中国", ["email"]),
    ("อีเมล สมชาย@ตัวอย่าง.ไทย ค่ะ", ["email"]),
    # id numbers with their check digits
    ("身份证 11010519491231002X 登记错了", ["id_number"]),
    ("เลขบัตรประชาชน 1-1012-00001-12-2 ค่ะ", ["id_number"]),
    ("เลขบัตร ๑๑๐๑๒๐๐๐๐๑๑๒๒", ["id_number"]),
    ("身份證 A123456(3) 寫錯咗", ["id_number"]),
    ("身分證字號 A123456789", ["id_number"]),
    # cards (Luhn), also in full-width digits
    ("card 4111 1111 1111 1111 was charged", ["card_number"]),
    ("卡号４１１１１１１１１１１１１１１１被扣了两次", ["card_number"]),
    # order numbers and booking references in each language
    ("order #A12345 never arrived", ["order_number"]),
    ("订单号：202311230001 还没发货", ["order_number"]),
    ("訂單編號 TW20231123 還沒到", ["order_number"]),
    ("ออเดอร์ 88123456 ยังไม่ได้รับค่ะ", ["order_number"]),
    ("Ma commande 4587221 n'est jamais arrivée", ["order_number"]),
    ("Mi pedido nº 99812 llegó roto", ["order_number"]),
    ("No. pesanan 77123 belum sampai", ["order_number"]),
    ("Pesanan 77123 belum sampai", ["order_number"]),
    ("Đơn hàng 12345678 của tôi chưa tới", ["order_number"]),
    ("注文番号：１２３４５６ がまだ届きません", ["order_number"]),
    ("booking ref: HX7Q2K9 was cancelled", ["booking_reference"]),
    ("Reservation number 55123 for tonight", ["booking_reference"]),
    ("预订号 HX2023112301 被取消了", ["booking_reference"]),
    ("การจอง เลขที่ 20231123 ถูกยกเลิก", ["booking_reference"]),
    ("予約番号 A9981234 を確認してください", ["booking_reference"]),
    ("예약번호 12345678 확인 부탁드립니다", ["booking_reference"]),
    ("Meine Buchung 4471123 wurde storniert", ["booking_reference"]),
])
def test_pii_in_every_script_is_named_by_kind(text, kinds):
    assert find_pii(text) == kinds


@pytest.mark.parametrize("text", [
    "my order never arrived", "order number please", "booking for two nights", "the reservation was lovely",
    "record 2023 was a good year", "border control took ages", "我的订单还没到", "ออเดอร์ยังไม่มาเลย",
    "身份证 110105194912310021 登记错了",  # wrong check digit
    "เลขบัตร 1-1012-00001-12-3",  # wrong check digit
    "card 4111 1111 1111 1112",  # fails Luhn
    "A123456(4)",  # wrong check digit
    "see you @ 5pm", "room 1203 was cold", "thanks @united",
])
def test_no_pii_is_invented(text):
    assert find_pii(text) == []


def test_check_digits():
    # computed by hand from each scheme's published rule
    assert thai_id_valid("1101200001122") and not thai_id_valid("1101200001121")
    assert not thai_id_valid("0101200001122")  # no Thai id starts with 0
    assert hk_id_valid("A123456(3)") and hk_id_valid("A1234563") and not hk_id_valid("A123456(5)")
    assert tw_id_valid("A123456789") and not tw_id_valid("A123456788")


def test_a_post_with_pii_in_another_script_is_handled_privately_and_its_values_never_reported():
    model = Classifier.load()
    c = model.classify(mention("訂單編號 TW20231123 還沒到，請打 ０９１２-３４５-６７８ 聯絡我"))
    assert c.pii == ["order_number", "phone"]
    assert "TW20231123" not in c.model_dump_json() and "345" not in c.explanation


ADVERSARIAL = [
    "order" + " " * 99_995, "訂單" + "　" * 99_998, "１" * 100_000, "1 " * 50_000, "1-" * 50_000, "@" * 100_000,
    "a." * 50_000, "ก" * 100_000, "a@" * 50_000, "+1 " * 33_333, "(123) " * 16_666, "A" * 100_000,
    "A123456(" * 12_500, "booking no " * 9_090, "สมชาย@" * 16_666, "x" * 99_990 + "@example.com",
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: repr(t[:12]))
def test_a_100000_character_crafted_post_costs_a_bounded_scan(text):
    # linear by construction: what the scan reads is capped at SCAN_CHARS, and each pattern reads at
    # most its longest match from each start (bounded, unnested repetitions: test_pii_linear.py), so
    # the work for 100,000 characters is the work for SCAN_CHARS, a constant
    assert len(text) >= 99_990
    assert read_bound(len(text)) == read_bound(SCAN_CHARS) == read_bound(10 * len(text))
    assert read_bound(SCAN_CHARS) < 1000 * SCAN_CHARS  # under a thousand reads per scanned character
    kinds = find_pii(text)
    assert "email" not in kinds and "order_number" not in kinds and "booking_reference" not in kinds
    assert kinds == find_pii(text[:SCAN_CHARS])


def test_the_bound_grows_linearly_below_the_cap():
    assert read_bound(2000) == 2 * read_bound(1000)
