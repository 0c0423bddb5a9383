"""Exports: lists go out in the import's layout (so they come back in), cells cannot run as
formulas, and each reader gets only what they may see."""

import csv
import io
import re
from datetime import date

import pytest
from listdata import (
    make_batch,
    make_capability,
    make_pairing,
    make_scenario,
    read_xlsx,
    record_step,
    upload,
)
from openpyxl import load_workbook
from sqlmodel import select

from models import Capability, DockingStage, OrgKind, Role, Scenario
from models import RecommendationStatus as S
from support import login, make_org, make_user, post

FORMULA_TITLE = '=HYPERLINK("http://evil.example","点击领取")平台'


@pytest.fixture
def buyer_org(session):
    return make_org(session, OrgKind.demand, name="重庆某制造集团")


@pytest.fixture
def buyer(session, buyer_org):
    return make_user(session, buyer_org)


@pytest.fixture
def official(session):
    org = make_org(session, OrgKind.authority, name="市经济信息委")
    return make_user(session, org, role=Role.official)


def csv_rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel needs the BOM to read UTF-8 Chinese
    return list(csv.reader(io.StringIO(text[1:])))


def as_dicts(rows) -> list[dict]:
    header, *body = rows
    # Workbooks leave trailing empty cells out of a row.
    return [
        dict(zip(header, [*row, *[None] * (len(header) - len(row))], strict=True)) for row in body
    ]


def test_a_title_that_looks_like_a_formula_is_escaped(client, session, buyer_org, official):
    make_scenario(
        session, buyer_org, title=FORMULA_TITLE, tags=["+86热线", "@提醒"], budget_max_wan=50
    )
    login(client, official)
    [cells] = as_dicts(read_xlsx(client.get("/io/export/scenarios.xlsx").data))
    assert cells["场景名称"] == "'" + FORMULA_TITLE  # text, not a formula
    assert cells["标签"] == "'+86热线；@提醒"
    assert cells["预算上限(万元)"] == 50 and not isinstance(cells["预算上限(万元)"], str)
    [cells] = as_dicts(csv_rows(client.get("/io/export/scenarios.csv")))
    assert cells["场景名称"] == "'" + FORMULA_TITLE
    assert cells["预算上限(万元)"] == "50"


def test_an_exported_list_imports_again_unchanged(client, session, buyer_org, official):
    original = make_scenario(
        session,
        buyer_org,
        title=FORMULA_TITLE,
        tags=["数字孪生", "-负荷预测"],
        budget_min_wan=20,
        budget_max_wan=50.5,
        deadline=date(2031, 3, 31),
        problem="人工抄表",
        contact_name="王工",
        contact_phone="13900001111",
    )
    draft = make_scenario(session, buyer_org, title="尚未提交的草稿场景", status="draft")
    login(client, official)
    exported = client.get("/io/export/scenarios.xlsx").data
    # While the entries are live, importing them again would make copies: refused.
    response = upload(client, "scenarios", exported, "scenarios.xlsx")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count("所属单位已有同名条目") == 2
    # Once they are closed, the list posts them again, every value as it was.
    for entry in (original, draft):
        entry.status = "closed"
        session.add(entry)
    session.commit()
    response = upload(client, "scenarios", exported, "scenarios.xlsx")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "编号" in page  # bookkeeping columns are named as ignored, not refused
    assert post(client, response.headers["Location"], {"status": "draft"}).status_code == 302

    copies = session.exec(select(Scenario).where(Scenario.id > 2).order_by(Scenario.id)).all()
    assert [c.title for c in copies] == [FORMULA_TITLE, "尚未提交的草稿场景"]
    copy = copies[0]
    for name in (
        "tags",
        "budget_min_wan",
        "budget_max_wan",
        "deadline",
        "problem",
        "field",
        "district",
        "contact_name",
        "contact_phone",
        "organisation_id",
    ):
        assert getattr(copy, name) == getattr(original, name), name


def test_a_firm_exports_its_own_capabilities_and_imports_them_back(client, session):
    firm_org = make_org(session, OrgKind.supply, name="重庆两江智造科技有限公司")
    firm = make_user(session, firm_org)
    make_capability(
        session,
        firm_org,
        title="产线数字孪生建模",
        status="draft",
        products=["孪生平台", "采集网关"],
        qualifications=["专精特新"],
    )
    make_capability(session, make_org(session, name="别家公司"), title="别家公司的能力")
    login(client, firm)
    hub = client.get("/io/").get_data(as_text=True)
    assert "capabilities.csv?mine=1" in hub and "scenarios.csv?mine=1" not in hub
    exported = client.get("/io/export/capabilities.csv?mine=1")
    rows = as_dicts(csv_rows(exported))
    assert [r["能力名称"] for r in rows] == ["产线数字孪生建模"]
    # Withdrawn meanwhile, the capability is offered again from the exported row.
    withdrawn = session.exec(select(Capability).where(Capability.title == "产线数字孪生建模")).one()
    withdrawn.status = "withdrawn"
    session.add(withdrawn)
    session.commit()
    response = upload(client, "capabilities", exported.data, "ours.csv")
    assert post(client, response.headers["Location"], {"status": "draft"}).status_code == 302
    copy = session.exec(select(Capability).order_by(Capability.id.desc())).first()
    assert copy.title == "产线数字孪生建模" and copy.organisation_id == firm_org.id
    assert copy.products == ["孪生平台", "采集网关"] and copy.qualifications == ["专精特新"]


def test_the_public_gets_published_entries_without_contact_people(client, session, buyer_org):
    make_scenario(session, buyer_org, contact_name="王联系人", contact_phone="13900001111")
    make_scenario(session, buyer_org, title="尚未提交的草稿场景", status="draft")
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/io/export/scenarios.{fmt}")
        assert response.status_code == 200
        rows = csv_rows(response) if fmt == "csv" else read_xlsx(response.data)
        text = repr(rows)
        assert "政务大厅材料智能预审" in text and "尚未提交的草稿场景" not in text
        assert "王联系人" not in text and "13900001111" not in text
    assert client.get("/io/export/scenarios.csv?mine=1").status_code == 401
    assert client.get("/io/export/scenarios.csv?status=draft").status_code == 200


def test_pairings_and_follow_up_go_to_those_who_may_see_them(
    client, session, buyer_org, buyer, official
):
    firm_org = make_org(session, name="重庆甲软件有限公司")
    batch = make_batch(session)
    scenario = make_scenario(session, buyer_org)
    other_buyer = make_org(session, OrgKind.demand, name="重庆另一家医院")
    published = make_pairing(
        session, scenario, make_capability(session, firm_org), S.published, batch_id=batch.id
    )
    make_pairing(session, scenario, make_capability(session, firm_org, title="候选能力平台"))
    elsewhere = make_pairing(
        session,
        make_scenario(session, other_buyer, title="别家医院场景"),
        make_capability(session, firm_org, title="第三个能力平台"),
        S.published,
    )
    record_step(session, published, buyer, DockingStage.contacted)
    record_step(session, published, buyer, DockingStage.signed, on=date(2024, 6, 1), amount=88)

    login(client, official)
    rows = as_dicts(read_xlsx(client.get("/io/export/pairings.xlsx").data))
    assert len(rows) == 3
    first = rows[0]
    assert (first["需求方"], first["供给方"]) == (buyer_org.name, firm_org.name)
    assert first["批次"] == batch.name and first["合同金额(万元)"] == 88
    assert first["得分"] == 0.5
    post(client, "/auth/logout")

    public_rows = as_dicts(csv_rows(client.get("/io/export/pairings.csv")))
    assert sorted(int(r["匹配编号"]) for r in public_rows) == [published.id, elsewhere.id]
    assert client.get("/io/export/docking.csv").status_code == 302  # sign in first

    login(client, buyer)
    follow_up = as_dicts(csv_rows(client.get("/io/export/docking.csv")))
    assert [int(r["匹配编号"]) for r in follow_up] == [published.id]
    assert follow_up[0]["进展日期"] == "2024-06-01" and follow_up[0]["合同金额(万元)"] == "88"
    assert follow_up[0]["对接记录数"] == "2"
    # In English, the same report reads in English: headers, fields, districts and stages.
    client.get("/?lang=en")
    english = as_dicts(csv_rows(client.get("/io/export/docking.csv")))
    assert [int(r["Pairing no."]) for r in english] == [published.id]
    assert english[0]["Latest stage"] == "Signed" and english[0]["Docking steps"] == "2"
    assert not re.search(r"[\u4e00-\u9fff]", english[0]["Field"] + english[0]["District"])


def test_a_streamed_export_gives_its_database_connection_back(app, client, session, buyer_org):
    for n in range(3):
        make_scenario(session, buyer_org, title=f"第{n}个公开场景名称")
    for dataset in ("scenarios", "capabilities", "pairings"):
        assert len(csv_rows(client.get(f"/io/export/{dataset}.csv"))) >= 1
    # Flask closes the request's session before a streamed body starts; the rows reopen it.
    assert app.extensions["engine"].pool.checkedout() == 0


def test_an_english_list_names_its_batches_in_english(client, session, buyer_org):
    batch = make_batch(session)  # 2024年第一批
    scenario = make_scenario(session, buyer_org, title="园区能耗监测")
    scenario.batch_id = batch.id
    session.add(scenario)
    session.commit()
    client.get("/?lang=en")
    [row] = as_dicts(csv_rows(client.get("/io/export/scenarios.csv")))
    assert row["批次"] == "Batch 1 of 2024"  # the import's headers stay; the values read in English


def test_a_workbook_s_columns_are_wide_enough_to_read_their_first_rows(client, session, buyer_org):
    long_title = "区县级城市运行管理服务平台数据汇聚与智能分析"
    make_scenario(session, buyer_org, title=long_title)
    response = client.get("/io/export/scenarios.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    title_column = sheet.cell(row=1, column=header.index("场景名称") + 1).column_letter
    # 22 Chinese characters take 44 columns of Excel's width; the header alone asked for 12.
    assert sheet.column_dimensions[title_column].width >= 44
