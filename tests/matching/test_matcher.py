"""Stories of the matcher: a buyer posts a scenario, a firm registers a capability."""

import dataclasses

import pytest

from matchmaker.matching import Entry, Matcher, MatcherConfig


def by_id(entries: list[Entry], id: str) -> Entry:
    return next(e for e in entries if e.id == id)


def top_ids(recs) -> list[str]:
    return [r.capability_id for r in recs]


def test_each_scenario_gets_the_capability_written_for_it_first(matcher):
    first = {}
    for rec in matcher.rematch(k=3, cap=None):
        first.setdefault(rec.scenario_id, rec.capability_id)
    assert first == {
        "s-ocr": "c-ocr",
        "s-parking": "c-parking",
        "s-pump": "c-phm",
        "s-v2x": "c-v2x",
        "s-security": "c-security",
    }


def test_a_traditional_full_width_copy_of_a_scenario_ranks_like_the_original(matcher, scenarios):
    original = by_id(scenarios, "s-ocr")
    copy = Entry(
        "s-ocr-tw",
        "政務服務大廳證照材料自動錄入",
        "辦事群眾提交的身分證、營業執照等證照材料需要人工錄入，效率低、易出錯，"
        "希望引入ＯＣＲ能力自動提取證照欄位並回填審批系統。",
        ["ＯＣＲ", "政務服務"],
        "智慧政務",
        "渝北區",
        budget_wan=80,
    )
    ours = matcher.recommend_for(original, side="scenario")
    theirs = matcher.recommend_for(copy, side="scenario")
    assert top_ids(theirs) == top_ids(ours)
    assert [r.score for r in theirs] == [r.score for r in ours]


def test_an_acronym_meets_its_chinese_name_through_the_concept_layer(matcher, scenarios):
    # The buyer writes "OCR"; the firm writes "光学字符识别" and "文字识别" and never "OCR".
    rec = matcher.recommend_for(by_id(scenarios, "s-ocr"), side="scenario")[0]
    assert rec.capability_id == "c-ocr"
    assert rec.parts["concept"] > 0
    assert ("concept", "OCR≈光学字符识别") in rec.reasons or (
        "concept",
        "OCR≈文字识别",
    ) in rec.reasons
    assert rec.tags == ["OCR"]


def test_without_the_concept_layer_the_acronym_and_its_expansion_never_meet():
    # One scenario says only "OCR", one capability only "光学字符识别": no word in common.
    scenarios = [
        Entry("s1", "OCR", "", ["OCR"], None, None),
        Entry("s2", "停车诱导", "", ["停车诱导"], None, None),
    ]
    capabilities = [
        Entry("c1", "光学字符识别", "", ["光学字符识别"], None, None),
        Entry("c2", "停车诱导屏", "", ["停车诱导"], None, None),
    ]
    config = MatcherConfig(latent_dims=1, min_score=0.1)
    with_concepts = Matcher(config).fit(scenarios, capabilities)
    without = Matcher(dataclasses.replace(config, concept_scale=0.0)).fit(scenarios, capabilities)
    [rec] = with_concepts.recommend_for(scenarios[0], side="scenario")
    assert rec.capability_id == "c1" and rec.parts["concept"] > 0
    assert ("concept", "OCR≈光学字符识别") in rec.reasons
    assert without.recommend_for(scenarios[0], side="scenario") == []


def test_an_explanation_names_the_shared_terms_tags_and_reasons(matcher, scenarios, capabilities):
    rec = matcher.recommend_for(by_id(scenarios, "s-parking"), side="scenario")[0]
    assert rec.capability_id == "c-parking"
    terms = dict(rec.terms)
    assert "泊位" in terms
    assert all(weight > 0 for weight in terms.values())
    scenario, capability = by_id(scenarios, "s-parking"), by_id(capabilities, "c-parking")
    for term in terms:
        assert term in str(scenario.words) and term in str(capability.words)
    assert rec.tags == ["智慧停车", "停车诱导"]
    assert ("same_field", "智慧交通") in rec.reasons
    assert ("same_district", "江北区") in rec.reasons


def test_required_qualifications_show_as_held_or_missing(matcher, scenarios):
    recs = matcher.recommend_for(by_id(scenarios, "s-pump"), side="scenario")
    assert ("qualification", "专精特新") in recs[0].reasons
    assert all(("missing_qualification", "专精特新") in r.reasons for r in recs[1:])


def test_a_budget_that_reaches_the_firms_smallest_project_is_a_reason(matcher, scenarios):
    rec = matcher.recommend_for(by_id(scenarios, "s-ocr"), side="scenario")[0]
    assert ("budget_fit", "20.0≤80.0") in rec.reasons


def test_the_parts_of_a_score_add_up_to_it(matcher):
    for rec in matcher.rematch(k=5, cap=None):
        assert abs(sum(rec.parts.values()) - rec.score) < 1e-9


def test_a_scenario_nobody_serves_gets_no_recommendation(matcher, scenarios):
    choir = by_id(scenarios, "s-choir")
    assert matcher.recommend_for(choir, side="scenario") == []
    assert all(r.scenario_id != "s-choir" for r in matcher.rematch(cap=None))


def test_recommend_for_an_indexed_scenario_equals_the_full_rematch(matcher, scenarios):
    full = matcher.rematch(k=3, cap=None)
    for scenario in scenarios:
        assert matcher.recommend_for(scenario, side="scenario", k=3) == [
            r for r in full if r.scenario_id == scenario.id
        ]


def test_a_firm_sees_the_scenarios_that_fit_its_capability(matcher, capabilities):
    recs = matcher.recommend_for(by_id(capabilities, "c-security"), side="capability", k=3)
    assert recs[0].scenario_id == "s-security"
    assert all(r.capability_id == "c-security" for r in recs)
    full = matcher.rematch(k=3, cap=None, side="capability")
    assert [r for r in full if r.capability_id == "c-security"] == recs


def test_a_new_scenario_is_answered_without_refitting(matcher):
    fitted_vocabulary = matcher.vectorizer_.vocabulary.copy()
    new = Entry(
        "s-new",
        "医院停车场车位引导",
        "医院停车难，需要车位检测和停车诱导。",
        ["智慧停车"],
        "智慧交通",
        "渝中区",
    )
    recs = matcher.recommend_for(new, side="scenario")
    assert recs[0].capability_id == "c-parking"
    assert (matcher.vectorizer_.vocabulary == fitted_vocabulary).all()


def test_the_cap_keeps_one_firm_from_taking_every_slot():
    # Five parking scenarios, one parking firm that fits them all, and a weaker second one.
    parking = [
        Entry(
            f"s{n}",
            f"{place}停车泊位管理",
            "路内停车泊位检测与停车诱导，无感支付。",
            ["智慧停车"],
            "智慧交通",
            "江北区",
        )
        for n, place in enumerate(["观音桥", "解放碑", "杨家坪", "三峡广场", "南坪"])
    ]
    firms = [
        Entry(
            "big",
            "智慧停车云平台",
            "泊位检测、停车诱导与无感支付。",
            ["智慧停车"],
            "智慧交通",
            "江北区",
        ),
        Entry("small", "停车诱导屏", "路内停车诱导信息发布。", ["停车诱导"], "智慧交通", None),
    ]
    matcher = Matcher(MatcherConfig(latent_dims=2)).fit(parking, firms)
    uncapped = matcher.rematch(k=1, cap=None)
    assert {r.capability_id for r in uncapped} == {"big"}
    capped = matcher.rematch(k=1, cap=3)
    counts = {firm: sum(r.capability_id == firm for r in capped) for firm in ("big", "small")}
    assert counts == {"big": 3, "small": 2}
    # The big firm keeps the scenarios it fits best; the others fall back to their next choice.
    best = sorted(uncapped, key=lambda r: -r.score)[:3]
    assert {r.scenario_id for r in capped if r.capability_id == "big"} == {
        r.scenario_id for r in best
    }


def test_a_capability_posted_after_the_fit_is_a_candidate_without_refitting(
    scenarios, capabilities
):
    parking = by_id(capabilities, "c-parking")
    fitted = Matcher().fit(scenarios, [c for c in capabilities if c is not parking])
    vocabulary = fitted.vectorizer_.vocabulary.copy()
    wanted = by_id(scenarios, "s-parking")
    assert "c-parking" not in top_ids(fitted.recommend_for(wanted, side="scenario"))
    assert "c-parking" not in fitted.indexed("capability")

    recs = fitted.recommend_for(wanted, side="scenario", newcomers=fitted.shard([parking]))
    assert top_ids(recs)[0] == "c-parking"
    assert recs[0].terms and recs[0].reasons  # explained like any other
    assert (fitted.vectorizer_.vocabulary == vocabulary).all()


def test_a_newcomer_that_fits_nothing_changes_no_list(matcher, scenarios):
    # Searched as a shard of its own beside the index, it must leave every other list as
    # the index alone makes it: same pairs, same scores, same explanations.
    choir = Entry(
        "c-choir", "合唱团乐谱分发", "社区合唱团乐谱分发与排练签到。", ["合唱"], "文化", "渝中区"
    )
    shard = matcher.shard([choir])
    for scenario in scenarios:
        if scenario.id != "s-choir":
            alone = matcher.recommend_for(scenario, side="scenario", k=5)
            assert matcher.recommend_for(scenario, side="scenario", k=5, newcomers=shard) == alone


def test_a_saved_matcher_loads_and_answers_the_same(matcher, scenarios, tmp_path):
    path = tmp_path / "matcher.npz"
    matcher.read_at = "2026-12-07T08:00:00+00:00"
    matcher.save(path)
    loaded = Matcher.load(path)
    assert loaded.config == matcher.config
    assert loaded.read_at == matcher.read_at
    assert loaded.rematch(k=3) == matcher.rematch(k=3)
    new = by_id(scenarios, "s-v2x")
    assert loaded.recommend_for(new, side="scenario") == matcher.recommend_for(new, side="scenario")


def test_field_weights_must_be_whole_numbers_of_at_least_one():
    with pytest.raises(ValueError, match="whole numbers"):
        MatcherConfig(body_weight=0)


def test_a_matcher_with_no_scenarios_yet_recommends_nothing_and_still_answers_firms(
    capabilities,
):
    matcher = Matcher(MatcherConfig(latent_dims=2)).fit([], capabilities)
    assert matcher.rematch() == []
    assert matcher.recommend_for(capabilities[0], side="capability") == []


def test_two_entries_with_no_word_in_common_fit_and_recommend_nothing():
    """A programme's first scenario and first firm may share nothing at all."""
    parking = Entry("s1", "智慧停车", "停车场车位引导与反向寻车", ["停车"], "智慧交通", "渝中区")
    faces = Entry("c1", "人脸识别门禁", "园区门禁与考勤", ["人脸识别"], "安防", "江北区")
    matcher = Matcher().fit([parking], [faces])
    assert matcher.rematch() == []
    assert matcher.recommend_for(parking, side="scenario") == []
