"""Dashboards: officials follow pairings down the funnel by field, district and batch; the
public sees published figures only, without anyone's contact details."""

import re
from datetime import date
from types import SimpleNamespace

import pytest
from listdata import (
    make_batch,
    make_capability,
    make_pairing,
    make_scenario,
    read_xlsx,
    record_step,
)
from sqlmodel import select

from models import AuditEntry, DockingEvent, DockingStage, OrgKind, Recommendation, Role
from models import RecommendationStatus as S
from support import login, make_org, make_user

FUNNEL_ROW = re.compile(r'data-stage="(\w+)"><th scope="row">[^<]*</th><td>(\d+)</td>')
SVG = re.compile(r"<svg.*?</svg>", re.S)


@pytest.fixture
def world(session):
    """Two batches, five scenarios, four capabilities and eight pairings at every stage."""
    buyer_org = make_org(session, OrgKind.demand, name="重庆市某区政务服务中心")
    buyer = make_user(session, buyer_org)
    firm_a = make_org(session, name="重庆甲软件有限公司")
    firm_b = make_org(session, name="重庆乙信息技术有限公司")
    firm_c = make_org(session, name="重庆丙数据科技有限公司")
    first, second = make_batch(session), make_batch(session, "2024年第二批", 2)
    s1 = make_scenario(
        session, buyer_org, batch_id=first.id, contact_name="王联系人", contact_phone="13900001111"
    )
    s2 = make_scenario(
        session,
        buyer_org,
        title="产线设备联网改造",
        field="工业互联网",
        district="两江新区",
        batch_id=first.id,
    )
    s3 = make_scenario(
        session,
        buyer_org,
        title="医院门诊智能分诊",
        field="智慧医疗",
        district="江北区",
        batch_id=second.id,
    )
    make_scenario(session, buyer_org, title="尚未提交的草稿场景", status="draft")
    make_scenario(session, buyer_org, title="城市交通大数据分析", field="大数据")
    a1 = make_capability(session, firm_a)
    b1 = make_capability(session, firm_b, title="工业设备联网网关", field="工业互联网")
    b2 = make_capability(session, firm_b, title="智能分诊问答系统", field="智慧医疗")
    make_capability(session, firm_c, title="交通数据治理平台", field="大数据")
    make_capability(session, firm_a, title="未提交的能力草稿", status="draft")

    make_pairing(session, s1, a1)
    make_pairing(session, s1, b1, S.rejected)
    make_pairing(session, s2, a1, S.approved)
    make_pairing(session, s2, b1, S.published, batch_id=first.id)
    contacted = make_pairing(session, s3, a1, S.published, batch_id=second.id)
    signed = make_pairing(session, s3, b2, S.published, batch_id=second.id)
    signed_at_once = make_pairing(session, s1, b2, S.published, batch_id=first.id)
    closed = make_pairing(session, s2, b2, S.published, batch_id=first.id)

    record_step(session, contacted, buyer, DockingStage.contacted)
    for stage in (DockingStage.contacted, DockingStage.negotiating):
        record_step(session, signed, buyer, stage)
    record_step(session, signed, buyer, DockingStage.signed, on=date(2024, 6, 1), amount=80)
    # An amended contract: the latest signing is the one that counts.
    record_step(session, signed, buyer, DockingStage.signed, on=date(2024, 7, 1), amount=100)
    record_step(session, signed_at_once, buyer, DockingStage.signed, amount=50)
    record_step(session, closed, buyer, DockingStage.closed)

    official = make_user(
        session, make_org(session, OrgKind.authority, name="市经济信息委"), role=Role.official
    )
    return SimpleNamespace(
        official=official, buyer=buyer, firm_c=firm_c, first=first, second=second
    )


def funnel_on(page: str) -> dict[str, int]:
    return {stage: int(n) for stage, n in FUNNEL_ROW.findall(page)}


def funnel_from_database(session) -> dict[str, int]:
    """The funnel counted one pairing at a time in Python, as a check on the SQL."""
    counts = dict.fromkeys(["recommended", "approved", "published", "contacted", "signed"], 0)
    for pairing in session.exec(select(Recommendation)):
        stages = {
            e.stage
            for e in session.exec(
                select(DockingEvent).where(DockingEvent.recommendation_id == pairing.id)
            )
        }
        signed = DockingStage.signed in stages
        contacted = signed or bool(stages & {DockingStage.contacted, DockingStage.negotiating})
        published = contacted or pairing.status == S.published
        approved = published or pairing.status == S.approved
        for stage, reached in zip(
            counts, (True, approved, published, contacted, signed), strict=True
        ):
            counts[stage] += reached
    return counts


def test_the_officials_funnel_matches_the_database(client, session, world):
    login(client, world.official)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    expected = {"recommended": 8, "approved": 6, "published": 5, "contacted": 3, "signed": 2}
    assert funnel_on(page) == expected == funnel_from_database(session)
    assert '<span class="num">150</span>' in page  # signed contract value: 100 (latest of p6) + 50
    # 3 of 4 published scenarios have a published pairing: in the headline as in the section.
    assert '<span class="num">75.0%</span>' in page
    assert world.firm_c.name in page  # published capabilities, never recommended


def test_filters_narrow_every_figure(client, world):
    login(client, world.official)
    medical = client.get("/dashboard/?field=智慧医疗&lang=en").get_data(as_text=True)
    assert '<span class="num">1</span> signed project</div>' in medical  # one, not "projects"
    by_field = funnel_on(medical)
    assert by_field == {
        "recommended": 2,
        "approved": 2,
        "published": 2,
        "contacted": 2,
        "signed": 1,
    }
    by_batch = client.get(f"/dashboard/?batch={world.first.id}").get_data(as_text=True)
    assert funnel_on(by_batch) == {
        "recommended": 3,
        "approved": 3,
        "published": 3,
        "contacted": 1,
        "signed": 1,
    }
    # With a batch chosen, the page says what counts under it (a pairing's own batch).
    assert "counts under its own batch" in by_batch
    assert "counts under its own batch" not in medical
    nonsense = client.get("/dashboard/?batch=abc&field=<script>&district=x'--")
    assert (
        nonsense.status_code == 200
        and funnel_on(nonsense.get_data(as_text=True))["recommended"] == 8
    )


def test_a_filter_change_from_htmx_gets_only_the_figures(client, world):
    login(client, world.official)
    response = client.get(
        "/dashboard/?district=江北区", headers={"HX-Request": "true", "HX-Target": "figures"}
    )
    page = response.get_data(as_text=True)
    assert "<html" not in page and funnel_on(page)["signed"] == 1
    assert "HX-Request" in response.headers["Vary"]


def test_the_dashboard_is_for_officials_only(client, session, world):
    assert client.get("/dashboard/").status_code == 302
    login(client, world.buyer)
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/export.xlsx").status_code == 403


def test_the_public_statistics_show_published_figures_without_contacts(client, world):
    response = client.get("/statistics/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert funnel_on(page) == {"published": 5, "contacted": 3, "signed": 2}
    assert "王联系人" not in page and "13900001111" not in page
    assert world.firm_c.name not in page
    charts = SVG.findall(page)
    assert len(charts) >= 4
    assert all("<script" not in svg and "javascript:" not in svg for svg in charts)
    assert page.count("<script") == 1  # only the htmx file, loaded from /static


def test_the_charts_are_labelled_in_the_users_language(client, world):
    client.get("/?lang=en")
    page = client.get("/statistics/").get_data(as_text=True)
    assert "<title>Pairings at each stage</title>" in page
    assert "Smart healthcare" in SVG.findall(page)[1]  # the field's English name


def test_the_figures_export_carries_the_same_numbers(client, world):
    login(client, world.official)
    response = client.get("/dashboard/export.xlsx")
    assert response.status_code == 200
    funnel = read_xlsx(response.data, sheet=1)
    assert [row[1] for row in funnel[1:]] == [8, 6, 5, 3, 2]
    overview = read_xlsx(response.data, sheet=0)
    assert overview[1][0] != "筛选条件"  # the whole platform: nothing to say
    public = client.get("/statistics/export.csv").get_data(as_text=True)
    assert public.startswith("\ufeff") and "王联系人" not in public
    assert world.firm_c.name not in public
    # A filtered export says so, in its first row and in its file name.
    narrowed = client.get("/dashboard/export.xlsx?field=智慧医疗&district=渝北区")
    assert "dashboard-filtered-" in narrowed.headers["Content-Disposition"]
    assert read_xlsx(narrowed.data, sheet=0)[1] == ("筛选条件", "领域：智慧医疗、区县：渝北区")


def test_a_funnel_where_one_stage_dwarfs_the_others_stays_readable(client, session, world):
    # 8 pairings from the world, plus 292 recommended ones: 2 signed of 300, under 1%.
    buyer_org = make_org(session, OrgKind.demand, name="重庆市某区大数据局")
    scenarios = [make_scenario(session, buyer_org, title=f"园区能耗监测第{n}期") for n in range(4)]
    firms = [make_org(session, name=f"重庆第{n}号软件有限公司") for n in range(73)]
    capabilities = [make_capability(session, firm, title=f"{firm.name}能耗平台") for firm in firms]
    session.add_all(
        Recommendation(scenario_id=s.id, capability_id=c.id, score=0.3)
        for s in scenarios
        for c in capabilities
    )
    session.commit()
    login(client, world.official)
    page = client.get("/dashboard/?lang=en").get_data(as_text=True)
    signed = re.search(r'data-stage="signed">.*?</tr>', page, re.S).group(0)
    # 2 of 300: one decimal, never a rounded "0%"; and 2 of the 3 contacted before them.
    assert "0.7%" in signed and "66.7%" in signed and ">0%<" not in signed
    assert "(logarithmic scale)" in page
    # The tables count every entry ever submitted, and say so.
    assert "count from submission on, closed and withdrawn ones included" in page
    # The coverage share likewise: one decimal, as the funnel's.
    covered, published, shown = re.search(r"<dd>(\d+) / (\d+) \(([^)]*)\)</dd>", page).groups()
    assert shown == f"{100 * int(covered) / int(published):.1f}%"
    assert f'<span class="num">{shown}</span>' in page  # the headline card too, not "0%"
    assert "logarithmic" not in client.get("/statistics/").get_data(as_text=True)


def test_the_audit_log_names_actions_and_objects_in_words(client, session, world):
    login(client, world.official)
    batch = world.first
    session.add(
        AuditEntry(
            user_id=world.official.id,
            action="batch.add",
            object_type="batch",
            object_id=batch.id,
            changes={"pairings": [56, 57], "versions": {"56": 2}},
        )
    )
    session.commit()
    page = client.get("/audit/?lang=en").get_data(as_text=True)
    assert "Items added to a batch" in page and ">batch.add<" not in page
    assert f"Batch #{batch.id}" in page
    assert "Batch 1 of 2024" in page and "2024年第一批" not in page  # its name, in English
    assert "Pairings: 56, 57" in page and "#56: 2" in page and "{&#39;56&#39;" not in page


def test_every_action_the_app_records_has_a_label_in_the_audit_log():
    """The audit log names each action in words: none recorded anywhere may lack a label."""
    import re
    from pathlib import Path

    import matchmaker
    from matchmaker.audit.trail import ACTION_LABELS
    from matchmaker.docking.followup import REMIND_ACTION

    source = "\n".join(p.read_text() for p in Path(matchmaker.__file__).parent.rglob("*.py"))
    recorded = set(re.findall(r'audit\.record\(\s*session,\s*"([a-z_]+\.[a-z_]+)"', source))
    assert len(recorded) > 20
    assert sorted((recorded | {REMIND_ACTION}) - set(ACTION_LABELS)) == []


def test_on_a_logarithmic_scale_the_smallest_stage_still_has_a_bar(app):
    import re

    from matchmaker.dashboard import charts

    with app.test_request_context():
        svg = str(charts.bars("Funnel", ["a", "b", "c"], [("n", [1000, 3, 3])], logarithmic=True))
    heights = re.findall(r'height="([\d.]+)" class="rect reactive tooltip-trigger"', svg)
    assert len(heights) == 3 and all(float(h) > 0 for h in heights)


def test_a_time_recorded_in_a_change_reads_in_china_time(app):
    from matchmaker.audit.trail import change_value

    with app.app_context():
        assert change_value("2026-12-09T10:30:40.945582+00:00") == "2026-12-09 18:30"
        assert change_value("not a time") == "not a time"


def test_the_fields_a_saved_search_edit_changed_read_as_its_form_names_them(app):
    from matchmaker.audit.trail import change_value

    with app.test_request_context("/?lang=en"):
        assert change_value(["q", "frequency"], "fields") == "Words, Tell me"
        assert change_value(["title"], "fields") == "Title"  # an entry's, as before


def test_a_chart_of_a_few_pairings_counts_in_whole_pairings(app):
    from matchmaker.dashboard import charts

    with app.test_request_context():
        few = str(charts.bars("Funnel", ["a", "b", "c"], [("n", [3, 1, 0])]))
        many = str(charts.bars("Funnel", ["a", "b"], [("n", [8295, 120])]))
        empty = str(charts.lines("By batch", ["a", "b"], [("n", [0, 0])]))
    assert re.findall(r">(\d+(?:\.\d+)?)</text>", few) == ["0", "1", "2", "3"]
    # Large counts and amounts are grouped as the tables beside the charts are.
    ticks = re.findall(r">([\d.,]+)</text>", many)
    assert "." not in "".join(ticks) and "8,000" in ticks
    # A chart with nothing to show says so, with no axis of fractions.
    assert not re.findall(r">[\d.]+</text>", empty)


def test_a_chart_s_axis_has_few_enough_ticks_to_read(app):
    from matchmaker.dashboard import charts

    with app.test_request_context():
        series = [("scenarios", [150, 128, 126]), ("signed", [0, 0, 0])]
        svg = str(charts.lines("By batch", ["a", "b", "c"], series))
    # One tick every ten from 0 to 150 ran together in the chart's small box.
    axis = svg.split('<g class="axis y', 1)[1].split('<g class="axis x', 1)[0]
    ticks = re.findall(r'class="(?:major)?">([\d,]+)</text>', axis)
    assert 3 <= len(ticks) <= 8, ticks


def test_the_last_batch_of_a_trend_keeps_its_whole_name(app):
    from matchmaker.dashboard import charts

    labels = ["Batch 1 of 2022", "Batch 2 of 2022", "Batch 1 of 2026"]
    with app.test_request_context():
        svg = str(charts.lines("By batch", labels, [("n", [151, 130, 3])]))
    left = float(re.search(r'<g transform="translate\(([\d.]+), [\d.]+\)" class="plot">', svg)[1])
    centre = float(re.search(r'<text x="([\d.]+)" y="[\d.]+" class="">Batch 1 of 2026<', svg)[1])
    # The label is centred on its point; pygal reckons a Latin letter 0.6 of the font size.
    assert left + centre + len(labels[-1]) * 0.3 * charts.STYLE["label_font_size"] <= 800
