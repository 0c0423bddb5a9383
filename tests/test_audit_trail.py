"""Officials browse the audit trail: filter, page, export; nobody can change it."""

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import select

from matchmaker.audit.trail import safe_cell
from models import AuditEntry, OrgKind, Role
from pairings import days_ago, make_capability, make_scenario
from support import login, make_org, make_user, post


@pytest.fixture
def official(app, session):
    user = make_user(
        session,
        make_org(session, OrgKind.authority, name="重庆市经济和信息化委员会"),
        role=Role.official,
        email="official@jxw.cq.example",
    )
    client = app.test_client()
    login(client, user)
    client.get("/?lang=en")
    return client


def trail(session, *entries):
    for entry in entries:
        session.add(entry)
    session.commit()


def rows_of(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def test_an_official_filters_the_trail_newest_first_and_pages_through_it(app, session, official):
    firm = make_org(session, name="重庆云栈科技有限公司")
    clerk = make_user(session, firm, email="clerk@yunzhan.example")
    scenario = make_scenario(session, make_org(session, OrgKind.demand, name="重庆市某局"))
    trail(
        session,
        AuditEntry(
            action="organisation.verify",
            object_type="organisation",
            object_id=firm.id,
            at=days_ago(20),
        ),
        AuditEntry(
            action="scenario.submit",
            object_type="scenario",
            object_id=scenario.id,
            user_id=clerk.id,
            at=days_ago(3),
            changes={"status": "submitted"},
        ),
        AuditEntry(
            action="scenario.publish", object_type="scenario", object_id=scenario.id, at=days_ago(1)
        ),
    )

    page = official.get("/audit/").get_data(as_text=True)
    order = [page.index(f'title="{a}"') for a in ("scenario.publish", "scenario.submit")]
    assert order == sorted(order) and order[-1] < page.index('title="organisation.verify"')
    assert scenario.title in page and "重庆云栈科技有限公司" in page  # objects by their names

    by_type = official.get("/audit/?object_type=scenario").get_data(as_text=True)
    assert "scenario.submit" in by_type and 'title="organisation.verify"' not in by_type
    by_action = official.get("/audit/?action=scenario.submit").get_data(as_text=True)
    assert 'title="scenario.submit"' in by_action and 'title="scenario.publish"' not in by_action
    by_user = official.get("/audit/?user=yunzhan").get_data(as_text=True)
    assert "1 entry" in by_user and "clerk@yunzhan.example" in by_user

    from_date = (days_ago(5) + timedelta(hours=1)).date().isoformat()
    to_date = (days_ago(2)).date().isoformat()
    ranged = official.get(f"/audit/?date_from={from_date}&date_to={to_date}")
    assert "1 entry" in ranged.get_data(as_text=True)

    app.config["PAGE_SIZE"] = 2
    first = official.get("/audit/").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'title="organisation.verify"' not in first
    second = official.get("/audit/?page=2").get_data(as_text=True)
    assert 'title="organisation.verify"' in second

    live = official.get(
        "/audit/?action=scenario.publish", headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert "<html" not in live.get_data(as_text=True) and live.headers["Vary"]


@pytest.mark.parametrize(
    "query", ["date_from=yesterday&page=lots", "date_from=0001-01-01", "date_to=9999-12-31"]
)
def test_bad_filter_values_are_explained_not_an_error(official, query):
    for url in (f"/audit/?{query}", f"/audit/export.csv?{query}"):
        response = official.get(url)
        assert response.status_code == 200
        response.close()
    assert "is not a date" in official.get(f"/audit/?{query}").get_data(as_text=True)


def test_an_officials_csv_export_escapes_a_title_starting_with_equals(app, session, official):
    owner = make_org(session, OrgKind.demand, name="重庆市某国有企业")
    hostile = make_scenario(session, owner, title='=HYPERLINK("http://evil.example","点我")')
    firm = make_org(session, name="-减号开头的科技有限公司")
    capability = make_capability(session, firm, title="@SUM(1+1) 能力")
    seller = make_user(session, firm)
    seller_client = app.test_client()
    login(seller_client, seller)
    response = post(
        seller_client, f"/interest/scenarios/{hostile.id}", {"capability": str(capability.id)}
    )
    assert response.status_code == 302  # a real action writes the audit row
    trail(
        session,
        AuditEntry(action="scenario.publish", object_type="scenario", object_id=hostile.id),
        AuditEntry(action="organisation.verify", object_type="organisation", object_id=firm.id),
    )

    export = official.get("/audit/export.csv?object_type=scenario")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "attachment" in export.headers["Content-Disposition"]
    rows = rows_of(export)
    assert rows[0][:3] == ["Time", "User", "Action"]
    assert [r[7] for r in rows[1:]] == ["scenario.publish"]  # the filter applies to the export
    assert rows[1][2] == "Scenario published" and rows[1][3] == "Scenario"  # as on the page
    assert rows[1][5] == "'" + hostile.title

    everything = rows_of(official.get("/audit/export.csv"))
    cells = [cell for row in everything for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'-减号开头的科技有限公司" in cells
    interest_row = next(r for r in everything if r[7] == "interest.express")
    assert interest_row[1] == seller.email and '=HYPERLINK(\\"http' in interest_row[9]
    assert interest_row[9].startswith("{")  # the changes as recorded, JSON
    assert "=HYPERLINK(" in interest_row[6] and not interest_row[6].startswith("{")


def test_an_export_gives_its_database_connection_back(app, session, official):
    trail(session, AuditEntry(action="scenario.publish", object_type="scenario", object_id=1))
    pool = app.extensions["engine"].pool
    assert len(rows_of(official.get("/audit/export.csv"))) == 2
    assert pool.checkedout() == 0
    abandoned = official.get("/audit/export.csv")  # a client that goes away mid-download
    next(abandoned.response)
    abandoned.close()
    assert pool.checkedout() == 0


@pytest.mark.parametrize(
    "value, cell",
    [
        ("=1+2", "'=1+2"),
        ("+86 023", "'+86 023"),
        ("-3", "'-3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("数字孪生=未来", "数字孪生=未来"),
        (None, ""),
        (42, "42"),
    ],
)
def test_formula_like_cells_get_a_leading_apostrophe(value, cell):
    assert safe_cell(value) == cell


def test_only_officials_and_admins_can_read_the_trail(app, session):
    firm_user = make_user(session, make_org(session))
    client = app.test_client()
    assert client.get("/audit/").status_code == 302  # sign in first
    login(client, firm_user)
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403

    admin = make_user(session, make_org(session, OrgKind.authority), role=Role.admin)
    admin_client = app.test_client()
    login(admin_client, admin)
    assert admin_client.get("/audit/").status_code == 200


def test_no_route_edits_or_deletes_the_trail(app, session, official):
    writes = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/audit") and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
    ]
    assert writes == []
    trail(session, AuditEntry(action="scenario.publish", object_type="scenario", object_id=1))
    assert post(official, "/audit/").status_code == 405
    assert len(session.exec(select(AuditEntry)).all()) == 1


def test_the_chinese_trail_names_every_change_in_chinese(app, session, official):
    # What was recorded is codes and field names; what an official reads is their words.
    trail(
        session,
        AuditEntry(action="evidence.upload", object_type="evidence", object_id=1,
                   changes={"kind": "qualification", "claim": "高新技术企业", "size": 431,
                            "sha256": "ae33", "replaces": None, "status": "pending"}),
        AuditEntry(action="interest.accept", object_type="interest", object_id=2,
                   changes={"recommendation_id": 4751, "pairing_status": "recommended",
                            "capability_id": 1001}),
        AuditEntry(action="scenario.update", object_type="scenario", object_id=3,
                   changes={"fields": ["title", "budget_max_wan"], "status": "published"}),
        AuditEntry(action="docking.correct", object_type="dockingevent", object_id=4,
                   changes={"stage": "signed", "corrects": {"id": 3, "stage": "negotiating"}}),
        AuditEntry(action="saved_search.create", object_type="saved_search", object_id=5,
                   changes={"name": "桥梁", "kind": "scenarios"}),
        AuditEntry(action="recommendation.displace", object_type="recommendation", object_id=6,
                   changes={"score": 0.1073}),
        AuditEntry(action="batch.create", object_type="batch", object_id=7,
                   changes={"year": 2026, "number": 1}),
        AuditEntry(action="user.role", object_type="user", object_id=8,
                   changes={"role": ["member", "org_admin"]}),
        AuditEntry(action="docking.step", object_type="dockingevent", object_id=9,
                   changes={"contract_amount_wan": 380.0}),
        AuditEntry(action="import.commit", object_type="organisation", object_id=10,
                   changes={"organisations": {"166": 1}, "ids": [1002]}),
    )  # fmt: skip
    official.get("/?lang=zh")
    page = official.get("/audit/").get_data(as_text=True)
    for said in (
        "类型：资质", "文件大小（字节）：431", "SHA-256 校验值：ae33", "状态：待处理",
        "匹配 ID：4751", "匹配状态：已推荐", "企业能力 ID：1001",
        "修改的字段：名称、预算上限（万元）", "状态：已发布",
        "阶段：已签约", "更正的步骤：ID：3、阶段：洽谈中", "类型：应用场景", "得分：0.11",
        "年度：2026", "年内序号：1", "角色：成员 → 单位管理员", "合同金额（万元）：380",
        "各单位条目数：#166：1", "条目 ID：1002",
    ):  # fmt: skip
        assert said in page, said
    for raw in ("qualification", "recommended", "published", "budget_max_wan", "scenarios",
                "sha256", "pairing status", "negotiating", "year", "number", "org_admin",
                "organisations", "ids"):  # fmt: skip
        assert raw not in page.split("<table", 1)[1], raw
