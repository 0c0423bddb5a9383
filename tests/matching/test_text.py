"""Text normalisation and segmentation: what the matcher reads out of an entry."""

import subprocess
import sys

import pytest
from opencc import OpenCC

from matchmaker.matching import analyze, normalize
from matchmaker.matching.text import segment


def test_full_width_letters_and_digits_become_plain_and_lower_case():
    assert normalize("ＡＩ赋能５Ｇ专网") == "ai赋能5g专网"


def test_traditional_taiwan_wording_becomes_mainland_simplified():
    assert normalize("軟體開發與資訊安全") == "软件开发与信息安全"
    assert normalize("資料庫") == "数据库"


def test_mainland_words_the_taiwan_table_would_rewrite_are_kept():
    # tw2sp alone turns 智慧 into 智能 and 影像 into 图像; the Simplified original says 智慧.
    assert normalize("智慧城市") == "智慧城市"
    assert normalize("醫學影像") == "医学影像"
    assert normalize("人工智慧") == "人工智能"


@pytest.mark.parametrize(
    "mainland",
    ["微信小程序", "应用程序", "批次", "呼叫中心", "向量数据库", "显著提升", "软件著作权", "软著"],
)  # fmt: skip
def test_a_mainland_word_keeps_its_meaning_and_its_traditional_spelling_becomes_it(mainland):
    # OpenCC's Taiwan table reads these as Taiwan usage (小程序→小进程, 呼叫→调用): shown
    # terms were words neither entry used.
    assert normalize(mainland) == mainland
    assert normalize(OpenCC("s2tw").convert(mainland)) == mainland


@pytest.mark.parametrize(
    "mainland",
    ["产品质量追溯", "一个资产管理平台", "大多数位于两江新区", "数字元宇宙展厅", "本身分析",
     "经营运输", "保留两位小数位"],
)  # fmt: skip
def test_a_taiwan_phrase_straddling_two_mainland_words_is_left_alone(mainland):
    # 品质 (Taiwan for 质量) sits across 产品|质量; the plain replace made 产质量量.
    assert normalize(mainland) == mainland
    assert normalize(OpenCC("s2tw").convert(mainland)) == mainland


@pytest.mark.parametrize(
    ("taiwan", "mainland"),
    [
        ("個資外洩", "个人信息外泄"),  # 个|资|外泄: the phrase is two words of the dictionary
        ("品質管控", "质量管控"),
        ("營運中心", "运营中心"),
        ("身分證明", "身份证明"),  # 身分|证明: the longest phrase (身分证) is not a word here
        ("一個資訊平台", "一个信息平台"),  # 个资 straddles 一个|资讯; 资讯 is a word
        ("感測器", "传感器"),  # a phrase that begins a dictionary word
        ("數位化轉型", "数字化转型"),
        ("高品質服務", "高质量服务"),  # … or ends one
    ],
)
def test_a_taiwan_phrase_that_is_a_word_is_put_in_mainland_words(taiwan, mainland):
    assert normalize(taiwan) == mainland


def test_domain_words_stay_whole_and_acronyms_and_numbers_are_kept():
    words = segment("基于AI的智能网联汽车车路协同平台，支持V2X、5G与等保2.0")
    assert {"ai", "智能网联汽车", "车路协同", "v2x", "5g", "等保2.0"} <= set(words)
    # Not torn into fragments an explanation would show (测数据, 一张).
    assert segment("自动驾驶路测数据管理") == ["自动驾驶", "路测", "数据管理"]
    assert "一张网" in segment("全市一张网运行")


def test_stop_words_and_punctuation_are_dropped():
    words = segment("我们提供一套基于大数据的解决方案。")
    assert words == ["大数据"]


def test_a_traditional_full_width_copy_of_an_entry_has_the_same_tokens():
    simplified = analyze(
        "政务服务大厅证照材料自动录入",
        "办事群众提交的身份证、营业执照等证照材料需要人工录入，希望引入OCR能力自动提取证照字段。",
        ["OCR", "政务服务"],
    )
    traditional = analyze(
        "政務服務大廳證照材料自動錄入",
        "辦事群眾提交的身分證、營業執照等證照材料需要人工錄入，希望引入ＯＣＲ能力自動提取證照欄位。",
        ["ＯＣＲ", "政務服務"],
    )
    assert traditional == simplified


def test_analyze_keeps_each_tag_whole_beside_its_words():
    tokens = analyze("标题", "描述", ["智慧 停车", "ＡＩ"])
    assert tokens["phrases"] == ["智慧 停车", "ai"]
    assert "ai" in tokens["tags"]


def test_importing_the_package_does_not_load_the_dictionary():
    code = (
        "import matchmaker.matching as m, matchmaker.matching.text as t;"
        "assert t._tokenizer.cache_info().currsize == 0"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
