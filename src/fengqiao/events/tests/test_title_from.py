"""A matter taken in without a title gets one from its content that is not cut mid-word."""

from __future__ import annotations

from fengqiao.events.actions.intake import AUTO_TITLE_CHARS, title_from


def test_short_content_is_its_own_title():
    assert title_from("路灯不亮") == "路灯不亮"


def test_the_first_sentence_when_it_says_something():
    text = "健中居委会石料厂夜里噪声很大。已经持续一个多月了，附近居民都睡不着觉，希望有关部门尽快处理。"
    assert title_from(text) == "健中居委会石料厂夜里噪声很大"


def test_a_long_first_sentence_is_cut_and_marked():
    text = "市民来电反映健跳镇沿港居委会某小区有住户长期把电瓶车推进楼道并从三楼窗户拉电线下来充电存在火灾隐患请处理"
    title = title_from(text)
    assert title.endswith("…") and len(title) == AUTO_TITLE_CHARS and text.startswith(title[:-1])


def test_a_greeting_is_not_a_title():
    text = "您好！" + "我家楼下的烧烤店每天营业到凌晨两点，油烟和噪音都很大，严重影响休息。"
    assert title_from(text).startswith("您好！我家楼下")
