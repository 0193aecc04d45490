from __future__ import annotations

import dataclasses
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heed.contracts.events import Channel
from heed_responder.domain.guard import (
    GuardInput,
    Verdict,
    check,
    fits,
    platform_length,
    platform_limit,
    readable,
)
from heed_responder.domain.regional import to_traditional

HOTLINE = "400-820-8820"


def guard(text: str, **kw: Any) -> Verdict:
    """The verdict on `text`, by default a public automatic Weibo reply to a neutral question."""
    values: dict[str, Any] = dict(
        text=text, channel="weibo", private=False, automatic=True, mode="answer", category="question",
        sentiment=0.0, sales_lead=False, post_text="请问你们的门店几点关门？", post_private=False, script=None)
    values.update(kw)
    return check(GuardInput(**values))


def test_a_clean_reply_passes():
    verdict = guard("您好，门店每天 22:00 关门，欢迎光临。——Lumo", script="Hans")
    assert verdict == Verdict(ok=True, reasons=())


# placeholders


def test_an_unfilled_jinja_placeholder_is_refused_and_named():
    verdict = guard("小美您好，我们将在 {{ due }} 前回复您。")
    assert not verdict.ok
    assert verdict.reasons == ("placeholder: {{ due }} left unfilled",)


@pytest.mark.parametrize("leftover", [
    "{name}", "{ name }", "{0}", "{}", "{{ case.ref }}", "{% if vip %}", "{# note #}", "${hotline}", "$name",
    "<customer_name>", "<Order Number>", "%s", "%(brand)s", "[[NAME]]", "__NAME__", "{{ due", "hotline }}",
])
def test_every_template_leftover_style_is_refused(leftover):
    verdict = guard(f"Hi, your case is with us ({leftover}). – Lumo", channel="x")
    assert verdict.codes == ("placeholder",)


@pytest.mark.parametrize("text", [
    "Save 20% on your next order!", "Only $5 for delivery.", "$TSLA holders, hi!", "We <3 our customers.",
    "Works with C# and F#.", "Mail care@lumo.com", "If x < y > z, call us.", "A smiley :-} for you",
    "Rate us 1-5 {if you like}", "您好，【公告】门店升级：100% 可用。",
])
def test_ordinary_text_is_not_taken_for_a_placeholder(text):
    assert "placeholder" not in guard(text, channel="x").codes


# thanks and praise wording to an unhappy customer


def test_a_cantonese_hygiene_complaint_thanked_for_its_approval_is_refused():
    verdict = guard(
        "Thank you so much for your approval! We'll pass your kind words to the team. – Lumo",
        channel="facebook", mode="acknowledge", category="complaint", sentiment=-0.8,
        post_text="間餐廳啲枱好污糟，廁所又冇人清潔，真係頂唔順")
    assert verdict.codes == ("thanks",)


@pytest.mark.parametrize("text", [
    "感谢您的肯定！我们会把您的鼓励转达给团队。",
    "谢谢阿凯的肯定！",
    "謝謝您的鼓勵，我們會繼續努力。",
    "ขอบคุณมากค่ะ เราจะส่งต่อคำชมนี้ให้ทีมงานนะคะ",
    "Thanks so much for your kind words!",
])
def test_praise_thanks_to_a_negative_post_is_refused_in_every_language(text):
    verdict = guard(text, channel="facebook", mode="acknowledge", category="other", sentiment=-0.5)
    assert "thanks" in verdict.codes


def test_praise_thanks_to_a_mildly_negative_post_that_is_no_complaint_passes():
    assert guard("感谢您的肯定！", mode="acknowledge", category="other", sentiment=-0.1).ok


def test_thanks_for_reporting_a_complaint_is_fine():
    assert guard("感谢您的反馈，非常抱歉，我们已安排清洁。", category="complaint", sentiment=-0.8).ok


def test_approval_in_another_sense_is_not_praise():
    assert guard("Your refund is waiting for manager approval; we'll update you today.", channel="x",
                 mode="holding", category="complaint", sentiment=-0.7).ok


def test_an_agent_may_thank_a_complaint_in_their_own_words():
    assert guard("Thank you so much for bearing with us.", channel="x", automatic=False,
                 category="complaint", sentiment=-0.6).ok


# an answer promised to praise


def test_a_thai_compliment_answered_with_an_answer_promise_is_refused():
    thai_answer = ("สวัสดีค่ะคุณมะลิ ขอบคุณที่สอบถามนะคะ ทีมบริการลูกค้าได้รับคำถามแล้ว "
                   "และจะตอบกลับที่นี่โดยเร็ว ติดต่อได้ตลอดที่ 02-123-4567 – Lumo")
    verdict = guard(thai_answer, channel="facebook", mode="answer", category="praise", sentiment=0.9,
                    post_text="ร้านนี้บริการดีมาก พนักงานน่ารักสุดๆ ประทับใจค่ะ")
    assert verdict.codes == ("promise",)


def test_answer_promise_wording_to_praise_is_refused_whatever_the_mode():
    verdict = guard("Thanks! We'll answer your question shortly.", channel="x", mode="acknowledge",
                    category="praise", sentiment=0.8, post_text="Best coffee in town, love it!")
    assert verdict.codes == ("promise",)


def test_a_thank_you_to_praise_passes():
    assert guard("Thank you so much, Mali! Made our day.", channel="x", mode="acknowledge",
                 category="praise", sentiment=0.9, post_text="Best coffee in town!").ok


# apology to a sales lead


def test_an_apology_to_a_sales_lead_is_refused():
    verdict = guard(f"您好，非常抱歉给您带来不便，销售部门将在今天内联系您。热线：{HOTLINE}。",
                    mode="holding", category="sales_lead", sales_lead=True,
                    post_text="请问你们企业版 100 个账号怎么报价？")
    assert verdict.codes == ("apology",)


def test_an_apology_to_a_complaint_is_expected():
    assert guard("We're sorry about this, our team is on it.", channel="x", mode="holding",
                 category="complaint", sentiment=-0.7).ok


# a public reply to a post without words


@pytest.mark.parametrize("post", [
    "", "   \n", "👍👍👍", "@LumoCare https://t.co/aBc123", "#fail", "？？？!!!", "lumo.com",
    "æˆ‘è¦\x81é€€æ¬¾ï¼Œè°¢è°¢",  # 我要退款，谢谢 decoded as Windows-1252
    "\ufffd\ufffd\ufffd\ufffd 好",
])
def test_a_public_reply_to_an_empty_or_unreadable_post_is_refused(post):
    verdict = guard("您好，感谢您的关注！如需帮助，随时找我们。", mode="acknowledge", category="other",
                    post_text=post)
    assert verdict.codes == ("empty-post",)


def test_a_private_reply_to_an_empty_post_is_allowed():
    assert guard("您好，请问有什么可以帮您？", private=True, post_text="👍").ok


@pytest.mark.parametrize("post", ["👍 好吃", "@LumoCare 订单 123 还没到", "Café très bon", "ช้ามาก", "#话题# 太慢了"])
def test_posts_with_words_are_readable(post):
    assert readable(post)


# move to private, to a customer already in private


def test_a_private_message_told_to_move_to_private_is_refused():
    verdict = guard("Hi Amy, we've sent you a private message: please continue there so your details stay "
                    "private. – Lumo", channel="messenger", private=True, mode="private", category="complaint",
                    sentiment=-0.6, post_private=True, post_text="My card was charged twice!!")
    assert verdict.codes == ("private-handoff",)


def test_a_chinese_private_message_told_to_continue_in_private_is_refused():
    verdict = guard("您好，已给您发送私信，请在私信中继续沟通。", private=True, mode="private",
                    category="complaint", sentiment=-0.5, post_private=True, post_text="扣了两次钱！")
    assert "private-handoff" in verdict.codes


def test_a_public_post_may_be_moved_to_private():
    assert guard("您好，已给您发送私信，请在私信中继续沟通。", mode="private", category="complaint",
                 sentiment=-0.5, post_text="扣了两次钱！").ok


# script


def test_a_traditional_reply_with_wei_from_generic_conversion_is_refused_and_region_conversion_passes():
    generic = "您好，我們會爲您處理，這裏是熱線。"  # what OpenCC's plain s2t writes
    assert guard(generic, script="Hant").codes == ("variant",)
    regional = to_traditional("您好，我们会为您处理，这里是热线。", "HK")
    assert regional == "您好，我們會為您處理，這裡是熱線。"
    assert guard(regional, script="Hant").ok


def test_a_simplified_character_in_a_traditional_reply_is_refused():
    verdict = guard("您好，我們會为您處理。", script="Hant")
    assert verdict.reasons == ("script: 为 written in Simplified in a Hant reply",)


def test_a_traditional_character_in_a_simplified_reply_is_refused():
    verdict = guard("您好，我们会為您处理。", script="Hans")
    assert verdict.codes == ("script",)


def test_characters_both_scripts_write_pass_in_either():
    for script in ("Hans", "Hant"):
        assert guard("一公里，台北，皇后，干杯", script=script).ok


def test_the_customers_own_name_and_words_are_exempt_from_the_script_check():
    reply = "台北阿凱您好，关于您说的“軟體當機”，我们已在处理。"
    assert guard(reply, script="Hans").codes == ("script",)
    assert guard(reply, script="Hans", protected=["台北阿凱", "軟體當機"]).ok


# length: refused, never cut


def test_a_weibo_reply_over_140_ending_in_a_hotline_is_refused_not_cut():
    reply = "您好，" + "非常抱歉给您带来不便，我们正在处理。" * 8 + f"热线：{HOTLINE}"
    verdict = guard(reply, mode="holding", category="complaint", sentiment=-0.5, script="Hans")
    length = platform_length(reply, "weibo")
    assert length > 140
    assert not fits(reply, "weibo", private=False)
    assert verdict.reasons == (f"length: {length} of 140 weighted characters on weibo (public reply)",)
    assert reply.endswith(HOTLINE)  # the guard refuses; it does not shorten anything


def test_the_same_hotline_reply_fits_when_short_enough():
    reply = "您好，非常抱歉给您带来不便，我们正在处理。热线：" + HOTLINE
    assert fits(reply, "weibo", private=False)
    assert guard(reply, mode="holding", category="complaint", sentiment=-0.5).ok


def test_a_private_message_gets_the_private_limit():
    reply = "a" * 1500
    assert guard(reply, channel="instagram", private=False).ok
    assert guard(reply, channel="instagram", private=True).codes == ("length",)


def test_x_140_cjk_characters_weigh_280_and_fit():
    reply = "好" * 140
    assert platform_length(reply, "x") == 280
    assert fits(reply, "x", private=False)


def test_x_141_cjk_characters_weigh_282_and_are_refused():
    reply = "好" * 141
    assert platform_length(reply, "x") == 282
    assert guard(reply, channel="x").reasons == ("length: 282 of 280 weighted characters on x (public reply)",)


@pytest.mark.parametrize("url", ["http://a.co", "https://lumo.example.com/help/orders?id=123456789&lang=zh-Hant"])
def test_x_counts_any_url_as_23(url):
    assert platform_length(url, "x") == 23
    assert platform_length(f"見 {url}。", "x") == 2 + 1 + 23 + 2


def test_x_a_url_decides_whether_a_reply_fits():
    url = "https://lumo.example.com/" + "x" * 100
    assert fits("a" * 256 + " " + url, "x", private=False)  # 257 + 23 = 280
    assert not fits("a" * 257 + " " + url, "x", private=False)


@pytest.mark.parametrize(("text", "weight"), [
    ("👍", 2), ("👍🏽", 2), ("👨\u200d👩\u200d👧", 2), ("🇭🇰", 2), ("1\ufe0f\u20e3", 2),
    ("e\u0301", 1),  # NFC makes one é
    ("—“”", 3), ("…", 2),  # dashes and quotes weigh 1; the ellipsis, U+2026, is outside the ranges ("lumo.com", 23),
])
def test_x_weighs_emoji_sequences_normalisation_and_punctuation(text, weight):
    assert platform_length(text, "x") == weight


@pytest.mark.parametrize(("text", "length"), [
    ("好" * 140, 140), ("ab", 1), ("abc", 2), (f"热线：{HOTLINE}", 9),
    ("详情 https://lumo.example.com/a/b", 2 + 1 + 10),
    ("http://t.cn/A6abcd", 9),
])
def test_weibo_counts_two_latin_characters_as_one_and_a_link_as_ten(text, length):
    assert platform_length(text, "weibo") == length


def test_platform_limits():
    public = {c.value: platform_limit(c.value, False) for c in Channel}
    assert public == {"weibo": 140, "wechat": 600, "x": 280, "facebook": 8000, "instagram": 2200,
                      "linkedin": 1250, "whatsapp": 4096, "messenger": 2000, "api": 2000}
    private = {c.value: platform_limit(c.value, True) for c in Channel}
    assert private["x"] == 10000 and private["instagram"] == 1000 and private["facebook"] == 2000
    assert private["weibo"] == 140  # unconfirmed: held to the comment limit


def test_an_unknown_channel_is_an_error_that_names_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown channel 'tiktok'.*weibo"):
        platform_length("hi", "tiktok")


# personal data in public


def test_a_phone_number_the_customer_wrote_echoed_in_public_is_refused():
    verdict = guard("您好，我们会致电 138 0013 8000 与您核对订单。", customer_pii=["13800138000"])
    assert verdict.codes == ("pii",)
    assert "138" not in verdict.reasons[0]  # reasons reach logs: never the value


def test_the_same_phone_number_in_a_private_reply_is_allowed():
    assert guard("您好，我们会致电 138 0013 8000 与您核对订单。", private=True,
                 customer_pii=["13800138000"]).ok


@pytest.mark.parametrize(("reply", "value"), [
    ("We'll call 13800138000 today.", "+86 138-0013-8000"),
    ("We'll call +86 (138) 0013-8000 today.", "13800138000"),
    ("We emailed AMY.Lee@Example.com.", "amy.lee@example.com"),
    ("Your order ORD-2024-88812 is on its way.", "ord 2024 88812"),
])
def test_customer_values_are_found_whatever_their_spacing_or_case(reply, value):
    assert guard(reply, channel="x", customer_pii=[value]).codes == ("pii",)


def test_short_values_and_other_numbers_do_not_count_as_a_repeat():
    assert guard(f"Call our hotline {HOTLINE} before 2024.", channel="x",
                 customer_pii=["2024", "13800138000"]).ok


# properties


_NOT_IN_AN_ENTITY = st.characters(
    exclude_categories=["Cs"],
    exclude_characters=":./\u200d\ufe0f\u20e3",
).filter(lambda c: not (0x1F1E6 <= ord(c) <= 0x1F1FF or 0x1F3FB <= ord(c) <= 0x1F3FF or 0xE0020 <= ord(c) <= 0xE007F))


@settings(max_examples=300)
@given(st.text())
def test_unweighted_channels_count_code_points(text):
    for channel in ("wechat", "facebook", "instagram", "linkedin", "whatsapp", "messenger", "api"):
        assert platform_length(text, channel) == len(text)


@settings(max_examples=300)
@given(st.text(alphabet=_NOT_IN_AN_ENTITY))
def test_x_length_is_at_least_the_code_point_count_and_at_most_twice(text):
    # without links or emoji sequences, which X counts as one entity, every code point weighs 1 or 2
    code_points = len(unicodedata.normalize("NFC", text))
    assert code_points <= platform_length(text, "x") <= 2 * code_points


@settings(max_examples=300)
@given(st.text(alphabet=_NOT_IN_AN_ENTITY))
def test_weibo_length_is_between_half_and_all_of_the_code_points(text):
    assert -(-len(text) // 2) <= platform_length(text, "weibo") <= len(text)


def test_links_and_emoji_sequences_weigh_less_than_their_code_points_on_x():
    family = "👨\u200d👩\u200d👧\u200d👦"
    link = "https://lumo.example.com/orders/123456789"
    assert platform_length(family, "x") < len(family)
    assert platform_length(link, "x") < len(link)


@settings(max_examples=100)
@given(st.text())
def test_fits_agrees_with_length_and_limit(text):
    for channel in ("x", "weibo", "wechat"):
        for private in (False, True):
            expected = platform_length(text, channel) <= platform_limit(channel, private)
            assert fits(text, channel, private) is expected


def test_guard_input_is_frozen():
    inp = GuardInput(text="hi", channel="x", private=False, automatic=True, mode="answer", category=None,
                     sentiment=None, sales_lead=False, post_text="hi", post_private=False, script=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        inp.text = "changed"  # type: ignore[misc]


@given(st.text(max_size=60))
def test_x_weights_count_each_character_in_the_light_ranges_once_and_every_other_twice(text: str):
    from heed_responder.domain.guard import X_LIGHT_RANGES, _x_weights
    oracle = sum(1 if any(a <= ord(c) <= b for a, b in X_LIGHT_RANGES) else 2 for c in text)
    assert _x_weights(text) == oracle
