from __future__ import annotations

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opencc import OpenCC

from heed_responder.domain.regional import (
    convert_template,
    off_script,
    region_of,
    to_simplified,
    to_traditional,
)

CANTONESE_HYGIENE_COMPLAINT = "間餐廳啲枱好污糟，廁所又冇人清潔，真係頂唔順"
TAIWAN_CARD_COMPLAINT = "昨天在台北捷運站用悠遊卡加值失敗，打客服都沒人接"
MAINLAND_QUESTION = "我的订单还没到，请问什么时候发货？"

REPLY_HANS = "{name}您好，因为这里的系统升级，我们会为您处理，软件信息稍后发送。"


# region_of


def test_a_cantonese_post_is_hong_kong():
    assert region_of(CANTONESE_HYGIENE_COMPLAINT) == "HK"


def test_a_taiwanese_post_is_taiwan():
    assert region_of(TAIWAN_CARD_COMPLAINT) == "TW"


def test_clear_cantonese_wins_over_a_taiwan_market():
    assert region_of(CANTONESE_HYGIENE_COMPLAINT, market="TW") == "HK"


def test_clear_taiwanese_wins_over_a_hong_kong_market():
    assert region_of(TAIWAN_CARD_COMPLAINT, market="HK") == "TW"


def test_one_place_name_does_not_override_the_market():
    visitor = "下個月去旺角玩，請問那邊有門市嗎？"
    assert region_of(visitor, market="TW") == "TW"
    assert region_of(visitor) == "HK"  # with no market, weak evidence is all there is


def test_without_evidence_the_market_decides():
    assert region_of(MAINLAND_QUESTION, market="HK") == "HK"
    assert region_of(MAINLAND_QUESTION, market="mo") == "HK"
    assert region_of(MAINLAND_QUESTION, market="TW") == "TW"


def test_without_evidence_or_a_regional_market_there_is_no_region():
    assert region_of(MAINLAND_QUESTION) is None
    assert region_of(MAINLAND_QUESTION, market="CN") is None
    assert region_of("") is None


def test_mandarin_words_with_xi_are_not_cantonese():
    assert region_of("沒關係，係數算錯了也沒事") is None


def test_cantonese_xi_meaning_to_be_is_hong_kong():
    assert region_of("你哋個客服係咪放假？") == "HK"


def test_zhuyin_is_taiwan():
    assert region_of("這個超好用ㄉ") == "TW"


def test_equal_clear_evidence_for_both_falls_back_to_the_market():
    both = "佢哋喺台北開分店，用悠遊卡"
    assert region_of(both, market="HK") == "HK"


def test_simplified_cantonese_is_hong_kong_too():
    assert region_of("点解我嘅订单仲未到？") == "HK"


# to_traditional / to_simplified


def test_generic_conversion_writes_forms_nobody_uses_and_region_conversion_does_not():
    generic = OpenCC("s2t").convert("因为这里")
    assert "爲" in generic and "裏" in generic  # the embarrassment the product must avoid
    for region in ("HK", "TW", None):
        converted = to_traditional("因为这里", region)
        assert converted == "因為這裡", region


def test_no_region_ever_outputs_wei_or_li_variants():
    text = "为了您，我们在这里、那里和心里都为您服务。"
    for region in ("HK", "TW", None):
        converted = to_traditional(text, region)
        assert "爲" not in converted and "裏" not in converted
        assert "為" in converted and "裡" in converted


def test_taiwan_gets_taiwanese_vocabulary():
    assert to_traditional("软件信息", "TW") == "軟體資訊"


def test_hong_kong_keeps_hong_kong_vocabulary():
    assert to_traditional("软件信息", "HK") == "軟件信息"


def test_the_customers_name_is_never_converted():
    reply = to_traditional("台北阿凯您好，我们会为您处理。", "TW", keep=["台北阿凯"])
    assert reply == "台北阿凯您好，我們會為您處理。"
    # without the name kept, Taiwan's standard would rewrite it
    assert to_traditional("台北阿凯", None).startswith("臺北")


def test_a_traditional_name_survives_every_region():
    for region in ("HK", "TW", None):
        reply = to_traditional("台北阿凱您好，为您处理。", region, keep=["台北阿凱"])
        assert reply.startswith("台北阿凱您好")
        assert reply.endswith("為您處理。")


def test_every_occurrence_of_a_kept_string_stays_and_the_longest_wins():
    reply = to_traditional("@小龙 你好，小龙的订单已为小龙处理", "HK", keep=["小龙", "@小龙", ""])
    assert reply == "@小龙 你好，小龙的訂單已為小龙處理"


def test_kept_quotes_stay_in_simplified_conversion():
    assert to_simplified("謝謝台北阿凱的回饋：「軟體很好用」", keep=["台北阿凱", "「軟體很好用」"]) == \
        "谢谢台北阿凱的回馈：「軟體很好用」"


def test_to_simplified_converts_traditional():
    assert to_simplified("為您處理") == "为您处理"


@settings(max_examples=40, deadline=None)
@given(
    before=st.text(alphabet="为这里台北发后干软件信息您好，。 ", max_size=12),
    name=st.text(alphabet="台北阿凯为里發后乾", min_size=1, max_size=6),
    after=st.text(alphabet="为这里台北发后干软件信息您好，。 ", max_size=12),
    region=st.sampled_from(["HK", "TW", None]),
)
def test_a_kept_name_comes_out_exactly_as_given(before, name, after, region):
    converted = to_traditional(before + name + after, region, keep=[name])
    assert name in converted
    assert "爲" not in converted.replace(name, "")


# convert_template


def test_template_text_is_converted_and_its_tags_are_not():
    source = '{{ name }}您好，{% if due %}我们会在 {{ due }} 前为您处理{% endif %}{# 这里为注释 #}{{ "为" }}'
    converted = convert_template(source, "HK")
    assert converted == '{{ name }}您好，{% if due %}我們會在 {{ due }} 前為您處理{% endif %}{# 这里为注释 #}{{ "为" }}'


def test_whitespace_control_and_multiline_tags_are_untouched():
    source = "{%- for item in items -%}\n{{ item\n  | upper }}这里{%- endfor %}"
    assert convert_template(source, "TW") == "{%- for item in items -%}\n{{ item\n  | upper }}這裡{%- endfor %}"


def test_a_converted_template_renders_the_name_unconverted():
    template = jinja2.Template(convert_template("{{ name }}您好，我们会为您处理。", "TW"))
    assert template.render(name="台北阿凯") == "台北阿凯您好，我們會為您處理。"


def test_convert_template_is_cached():
    convert_template.cache_clear()
    convert_template("{{ name }}您好", "HK")
    convert_template("{{ name }}您好", "HK")
    info = convert_template.cache_info()
    assert (info.hits, info.misses) == (1, 1)


# off_script


@pytest.mark.parametrize(("text", "script", "foreign"), [
    ("我們會为您處理", "Hant", ("为",)),
    ("我们会為您处理", "Hans", ("為",)),
    ("这里为您", "Hant", ("这", "为")),
    ("一公里，台北，皇后，干杯", "Hant", ()),  # characters both scripts write
    ("一公里，台北，皇后，干杯", "Hans", ()),
    ("Hello 👋 123", "Hant", ()),
    ("为為为", None, ()),
])
def test_off_script_lists_the_other_scripts_characters(text, script, foreign):
    assert off_script(text, script) == foreign
