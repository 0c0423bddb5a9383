"""Officials read why each pairing was recommended, and what they read is true."""

import re

from posting_data import matched_lists, official
from sqlmodel import select

from models import OrgKind, Recommendation, RecommendationSource
from pairings import make_capability, make_scenario
from support import login, make_org


def review_page(app, session) -> str:
    """The review queue, in Chinese (the default), as an official reads it."""
    desk = app.test_client()
    login(desk, official(session))
    return desk.get("/review/").get_data(as_text=True)


def row_of(page: str, rec: Recommendation) -> str:
    return page.split(f'<tr id="rec-{rec.id}"', 1)[1].split("</tr>", 1)[0]


def test_an_official_reads_the_reasons_for_each_part_of_a_pairings_score(app, session):
    matched_lists(app, session)
    found = list(session.exec(select(Recommendation)))
    assert found
    page = review_page(app, session)
    for rec in found:
        row = row_of(page, rec)
        why = re.search(r'<p class="why">(.*?)</p>', row, re.S).group(1)
        # The largest part of every pairing here is its closeness to the best fits.
        assert "与最契合该场景的" in why or "与该企业最契合的" in why
        assert "含义相近" not in why
        terms = re.search(r"共同关键词：([^<]*)", why)
        if terms:
            assert all(len(term) > 1 for term in terms.group(1).split("、"))
        # The breakdown lists only the parts that print as at least 0.01.
        assert "0.00" not in row.split('<ul class="parts">', 1)[1].split("</ul>", 1)[0]


def test_a_pairing_stored_with_an_overclaiming_reason_now_reads_as_related(app, session):
    # A decided pairing keeps the reasons it was stored with, from before concept groups
    # told equivalents from related topics.
    city = make_org(session, OrgKind.demand, name="重庆市城市管理局")
    firm = make_org(session, OrgKind.supply, name="重庆光明照明科技有限公司")
    scenario = make_scenario(session, city, title="井盖异动监测")
    capability = make_capability(session, firm)
    legacy = Recommendation(
        scenario_id=scenario.id,
        capability_id=capability.id,
        score=0.6,
        parts={"feedback": 0.5, "concept": 0.004, "fuzzy_title": 0.003},
        reasons=[["concept", "井盖≈路灯"], ["concept", "OCR≈光学字符识别"]],
    )
    session.add(legacy)
    session.commit()
    row = row_of(review_page(app, session), legacy)
    assert "相关主题（并非同义）：井盖 / 路灯" in row
    assert "表述不同、含义相同：OCR≈光学字符识别" in row
    assert "井盖≈路灯" not in row
    assert "名称相似" not in row  # 0.003 prints as 0.00: not shown


def test_a_pairing_the_matcher_scores_below_its_threshold_claims_no_closeness(app, session):
    # Both parties asked for it (an accepted interest): the matcher found nothing to name.
    city = make_org(session, OrgKind.demand, name="重庆市合川区文化旅游委员会")
    firm = make_org(session, OrgKind.supply, name="重庆山城合唱团服务有限公司")
    asked = Recommendation(
        scenario_id=make_scenario(session, city, title="社区合唱排练预约").id,
        capability_id=make_capability(session, firm).id,
        source=RecommendationSource.interest,
    )
    session.add(asked)
    session.commit()
    row = row_of(review_page(app, session), asked)
    assert "0.00" in row
    assert "匹配器未找到可列出的共同点" in row
    assert "相近" not in row and "相同" not in row


def test_a_budget_reason_writes_its_amounts_as_every_page_does(app):
    from matchmaker.web.labels import reason_label

    with app.test_request_context("/?lang=en"):
        assert reason_label("budget_fit", "12345.67≤1000000.0") == (
            "Budget fits (12,345.67≤1,000,000 × 10,000 yuan)"
        )
        # As stored before the matcher kept every digit.
        assert reason_label("budget_fit", "20≤80") == "Budget fits (20≤80 × 10,000 yuan)"
