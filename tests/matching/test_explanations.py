"""Explanations tell the truth: what a pairing's reasons say is what its score measured."""

from pathlib import Path

import numpy as np
import pytest

from matchmaker.matching import Entry, Matcher, MatcherConfig
from matchmaker.matching.concepts import concept_of
from matchmaker.matching.evaluate import load_dataset
from matchmaker.matching.explain import Written, is_telling, latin_as_written
from matchmaker.matching.reasons import PART_OF, VISIBLE, WORD_PARTS, equivalent, same_thing
from matchmaker.matching.text import stopwords

SEED = Path(__file__).resolve().parents[2] / "seed"
LISTS = [SEED / "eval", SEED / "dev-c"]


def entry(id: str, title: str, description: str, tags: list[str], field: str) -> Entry:
    return Entry(id, title, description, tags, field, "渝北区")


def test_equivalent_forms_are_one_thing_and_related_ones_are_not():
    assert equivalent("ocr", "OCR", "光学字符识别") and same_thing("文字识别", "OCR")
    # One group, but related topics, not the same thing (issue 11's examples).
    assert not same_thing("井盖", "路灯")
    assert not same_thing("地质灾害", "桥梁")
    assert not same_thing("EMR", "HIS")
    assert same_thing("EMR", "电子病历")


def test_a_manhole_cover_and_a_street_lamp_are_related_topics_not_the_same_thing():
    # Both name the 市政 group, which links them; the reason must not call them synonyms.
    scenarios = [
        entry(
            "s1",
            "老旧小区井盖异动监测",
            "井盖被盗、移位后及时告警，防止行人跌落。",
            ["井盖"],
            "智慧城市",
        ),
        entry("s2", "学校食堂明厨亮灶", "后厨视频接入监管平台。", ["明厨亮灶"], "智慧政务"),
    ]
    capabilities = [
        entry("c1", "路灯单灯控制器", "路灯远程开关、故障告警与能耗统计。", ["路灯"], "智慧城市"),
        entry("c2", "食堂视频监管", "后厨操作规范识别。", ["食品安全"], "人工智能"),
    ]
    matcher = Matcher(MatcherConfig(latent_dims=1, min_score=0.0)).fit(scenarios, capabilities)
    [rec] = [
        r for r in matcher.recommend_for(scenarios[0], side="scenario") if r.capability_id == "c1"
    ]
    assert rec.parts["concept"] > 0
    assert ("related_concept", "井盖 / 路灯") in rec.reasons
    assert not any(code == "concept" for code, _ in rec.reasons)


def test_shared_terms_leave_out_single_characters_numbers_and_common_words():
    assert list(is_telling(["路", "30", "2.0", "实施", "其中", "分析", "不够", "泊位", "5g", "12345"])) == [
        False, False, False, False, False, False, False, True, True, True,
    ]  # fmt: skip


def test_a_place_name_is_never_a_shared_term_every_district_included():
    # 九龙坡区 shared by an OTA platform and a business-registration hall explained nothing.
    from matchmaker.entries.reference import DISTRICTS  # the app's list, kept in step

    assert not is_telling(
        [*DISTRICTS, "九龙坡", "经开区", "高新区", "重庆市", "设有", "以上"]
    ).any()
    assert is_telling(["政务服务", "审核"]).all()


def test_shared_terms_keep_the_capitals_the_entries_write():
    # The matcher compares lower-cased text; a reader knows OCR, IoT and 5G by their capitals.
    scenarios = [
        entry("s1", "增值税发票OCR识别", "用IoT网关采集票据影像，经5G回传。", ["OCR"], "智慧政务"),
        entry("s2", "学校食堂明厨亮灶", "后厨视频接入监管平台。", ["明厨亮灶"], "智慧政务"),
    ]
    capabilities = [
        entry("c1", "ＯＣＲ票据识别引擎", "iot设备采集票据影像，5g专网回传。", ["ocr"], "人工智能"),
        entry("c2", "食堂视频监管", "后厨操作规范识别。", ["食品安全"], "人工智能"),
    ]
    matcher = Matcher(MatcherConfig(latent_dims=1, min_score=0.0)).fit(scenarios, capabilities)
    for side, entry_ in (("scenario", scenarios[0]), ("capability", capabilities[0])):
        found = matcher.recommend_for(entry_, side=side)
        [rec] = [r for r in found if (r.scenario_id, r.capability_id) == ("s1", "c1")]
        terms = {term for term, _ in rec.terms}
        # The scenario's writing first, as both sides' lists show the same pairing.
        assert {"OCR", "IoT"} <= terms and not terms & {"ocr", "iot"}, terms
    # Words joined by 、 too; a word neither entry writes alone stays as it is.
    assert (
        Written({}).words("5g、票据、ocr、xyz", *scenarios[:1], capabilities[0])
        == "5G、票据、OCR、xyz"
    )


def test_shared_terms_are_the_mainland_words_the_entries_wrote():
    # OpenCC's Taiwan table reads mainland 核心 as the Taiwan word for 内核 (kernel) and 文件 as
    # the one for 文档; the index keeps that, but a reader is shown what the entries wrote.
    scenarios = [
        entry(
            "s1", "核心业务系统国产化", "核心系统的文件与程序迁移到国产数据库。", ["核心"], "信创"
        ),
        entry("s2", "学校食堂明厨亮灶", "后厨视频接入监管平台。", ["明厨亮灶"], "智慧政务"),
    ]
    capabilities = [
        entry(
            "c1", "信创核心系统迁移", "核心系统与文件迁移，程序适配国产數據庫。", ["核心"], "信创"
        ),
        entry("c2", "操作系统内核加固", "Linux内核漏洞修补。", ["内核"], "网络安全"),
    ]
    matcher = Matcher(MatcherConfig(latent_dims=1, min_score=0.0)).fit(scenarios, capabilities)
    recs = matcher.recommend_for(scenarios[0], side="scenario")
    [rec] = [r for r in recs if r.capability_id == "c1"]
    terms = {term for term, _ in rec.terms}
    assert "核心" in terms and "文件" in terms and not terms & {"内核", "文档", "进程"}, terms
    # Written as the scenario writes it, else as the capability does, else as indexed.
    written = Written({"内核": "核心"})
    assert written.term("内核", scenarios[0], capabilities[1]) == "核心"
    assert written.term("内核", scenarios[1], capabilities[1]) == "内核"
    assert written.term("内核", scenarios[1], capabilities[0]) == "核心"


def test_every_showing_part_of_a_small_list_has_a_reason(matcher):
    recs = matcher.rematch(k=3, cap=None) + matcher.rematch(k=3, cap=None, side="capability")
    for rec in recs:
        assert_true(rec, matcher.config)
    # The firm's side of the feedback names its own words, which the best firms share.
    parking = next(r for r in recs if r.capability_id == "c-parking")
    [(_, words)] = [(c, v) for c, v in parking.reasons if c == "near_best_capabilities"]
    assert "泊位" in words.split("、")


def assert_true(rec, config: MatcherConfig) -> None:
    """The checks of issue 11 on one recommendation."""
    where = f"{rec.scenario_id}–{rec.capability_id}"
    for code, value in rec.reasons:
        if code == "concept":  # "the same thing in other words" only for equivalents
            assert same_thing(*value.split("≈")), (where, value)
    for term, _ in rec.terms:
        assert concept_of(term) or (
            len(term) > 1 and not term.replace(".", "").isdigit() and term not in stopwords()
        ), (where, term)
    codes = {code for code, _ in rec.reasons}
    explained = {PART_OF.get(code) for code in codes}
    if rec.terms or "common_words" in codes:
        explained |= set(WORD_PARTS)
    for part, value in rec.parts.items():
        if value >= VISIBLE:
            assert part in explained, (where, part, value, rec.reasons)
    # Reasons that say two entries are alike come only with a score over the threshold.
    assert rec.score >= config.min_score, where


@pytest.mark.slow
@pytest.mark.parametrize("directory", LISTS, ids=[d.name for d in LISTS])
def test_every_recommendation_of_a_labelled_list_is_explained_truly(directory):
    data = load_dataset(directory)
    matcher = Matcher(MatcherConfig()).fit(data.scenarios, data.capabilities)
    recs = matcher.rematch() + matcher.rematch(side="capability")
    assert len(recs) > 10 * len(data.scenarios)
    title_characters = {
        e.id: set("".join(e.words["title"])) for e in (*data.scenarios, *data.capabilities)
    }
    for rec in recs:
        assert_true(rec, matcher.config)
        # "Titles written alike" only for titles that share something besides word breaks.
        if rec.parts.get("fuzzy_title", 0) > 0:
            shared = title_characters[rec.scenario_id] & title_characters[rec.capability_id]
            assert shared, (rec.scenario_id, rec.capability_id)


def test_latent_and_feedback_reasons_write_latin_words_as_the_entries_do():
    # The words that carry the LSA and feedback parts come from the index (lower case); the
    # page shows 8K and 5G as the firms write them.
    scenarios = [
        entry("s1", "8K超高清赛事直播", "体育馆赛事8K超高清直播，5G回传。", ["8K"], "超高清视频"),
        entry("s2", "学校食堂明厨亮灶", "后厨视频接入监管平台。", ["明厨亮灶"], "智慧政务"),
    ]
    capabilities = [
        entry("c1", "8K超高清转播车", "8K超高清转播与5G直播回传。", ["8K"], "超高清视频"),
        entry("c2", "8K直播编码器", "8K超高清直播编码，5G回传。", ["8K"], "超高清视频"),
        entry("c3", "食堂视频监管", "后厨操作规范识别。", ["食品安全"], "人工智能"),
    ]
    matcher = Matcher(MatcherConfig(latent_dims=1, min_score=0.0)).fit(scenarios, capabilities)
    recs = matcher.rematch(k=3, cap=None) + matcher.rematch(k=3, cap=None, side="capability")
    named = [
        word
        for rec in recs
        for code, value in rec.reasons
        if code
        in ("latent_firm", "latent_scenario", "near_best_capabilities", "near_best_scenarios")
        for word in value.split("、")
    ]
    assert {"8K", "5G"} & set(named), named
    assert not {"8k", "5g"} & set(named), named


def test_a_latin_piece_of_a_longer_word_is_left_out_of_a_reason():
    # The segmenter may cut TARA's "ar" or OpenHarmony's "mony" out of a Latin word; neither
    # entry writes them whole, so a reason does not name them.
    scenario = entry("s1", "车联网安全TARA分析", "按R155开展威胁分析与风险评估。", [], "车联网")
    capability = entry("c1", "OpenHarmony车载系统", "入侵检测，满足R155。", [], "车联网")
    words = {"latent": (np.array([0]), np.array(["r155、ar、入侵检测、mony"], dtype=object))}
    latin_as_written(words, [scenario], [capability])
    assert words["latent"][1][0] == "R155、入侵检测"


def test_a_best_match_is_not_explained_as_close_to_itself():
    # The feedback part is a candidate's closeness to the query's best first matches. The best
    # match is among them; its reason names the words that bring it close to the *other* ones,
    # and with no other best match (one feedback document) it names none of its own words.
    scenarios = [
        entry(
            "s-check",
            "政务大厅证照材料智能预审",
            "窗口收件时自动识别证照材料，预审材料是否齐全，减少群众跑腿。",
            ["OCR", "预审"],
            "智慧政务",
        ),
        entry(
            "s-school",
            "中学教学楼装修改造",
            "教学楼装修改造，更换家具与导视标识。",
            ["装修"],
            "教育",
        ),
    ]
    capabilities = [
        entry(
            "c-ocr",
            "证照OCR识别引擎",
            "身份证、营业执照等证照材料自动识别，字段回填。",
            ["OCR"],
            "人工智能",
        ),
        entry(
            "c-precheck",
            "材料智能预审系统",
            "申报材料齐全性与规范性智能预审，窗口收件提效。",
            ["预审"],
            "智慧政务",
        ),
        entry(
            "c-fitout",
            "政务大厅装修与导视系统",
            "政务大厅装修设计、窗口柜台与导视标识。",
            ["装修"],
            "智慧政务",
        ),
    ]
    config = MatcherConfig(latent_dims=2, min_score=0.0, feedback_docs=1)
    matcher = Matcher(config).fit(scenarios, capabilities)
    recs = matcher.recommend_for(scenarios[0], side="scenario")
    feedback = {
        r.capability_id: value for r in recs for code, value in r.reasons if code.startswith("near")
    }
    assert recs[0].capability_id == "c-ocr"
    assert feedback["c-ocr"] == ""  # once "证照、材料、OCR": its own words, close to itself
    assert feedback["c-precheck"]


def test_a_latent_reason_says_whose_words_it_names(matcher):
    # A page may show a pair away from the list it was found for (a scenario's page lists the
    # firms whose own lists hold the scenario), so the code says whose words these are.
    for side, code, other in (
        ("scenario", "latent_firm", "latent_scenario"),
        ("capability", "latent_scenario", "latent_firm"),
    ):
        codes = {c for r in matcher.rematch(k=3, cap=None, side=side) for c, _ in r.reasons}
        assert code in codes and other not in codes and "latent" not in codes, (side, codes)
