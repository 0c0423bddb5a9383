"""Importing lists: a firm fills in the template, uploads it, checks the preview and confirms;
bad spreadsheets are refused with a message a person can act on, and change nothing."""

import io
import json
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from listdata import make_scenario, read_xlsx, upload, xlsx
from openpyxl import Workbook, load_workbook
from sqlmodel import select

import hostile
from matchmaker.spreadsheets import files, imports
from models import (
    AuditEntry,
    Capability,
    Organisation,
    OrgKind,
    Recommendation,
    Role,
    Scenario,
)
from support import csrf_token, login, make_org, make_user, post

DESCRIPTION = "为制造企业提供设备联网、数据采集与产线数字孪生建模服务，支持私有化部署。"
SCENARIO_HEADERS = [
    "场景名称",
    "场景描述",
    "所属领域",
    "所在区县",
    "标签",
    "预算下限(万元)",
    "预算上限(万元)",
    "截止日期",
    "联系人",
    "联系电话",
]


def scenario_row(title: str, **overrides) -> list:
    values = {
        "场景名称": title,
        "场景描述": DESCRIPTION,
        "所属领域": "工业互联网",
        "所在区县": "两江新区",
        "标签": "数字孪生、设备联网",
        "预算下限(万元)": 50,
        "预算上限(万元)": 120,
        "截止日期": "2030-06-30",
        "联系人": "王工",
        "联系电话": "023-67778888",
        **overrides,
    }
    return [values[h] for h in SCENARIO_HEADERS]


@pytest.fixture
def firm(session):
    return make_user(session, make_org(session, OrgKind.supply, name="重庆两江智造科技有限公司"))


@pytest.fixture
def buyer(session):
    return make_user(session, make_org(session, OrgKind.demand, name="重庆某制造集团"))


def stashed_files(app) -> list[Path]:
    folder = Path(app.instance_path) / "imports"
    return list(folder.glob("*.json")) if folder.exists() else []


def confirm(client, preview_url: str, status: str = "draft"):
    return post(client, preview_url, {"status": status})


def test_a_firm_fills_in_the_template_and_imports_two_capabilities(app, client, session, firm):
    buyer_org = make_org(session, OrgKind.demand, name="重庆某汽车制造集团")
    wanted = make_scenario(
        session,
        buyer_org,
        title="总装产线数字孪生建模",
        field="工业互联网",
        description="为总装车间建立产线数字孪生模型，实现设备联网、数据采集与产线仿真优化。",
        tags=["数字孪生", "设备联网"],
    )
    login(client, firm)
    response = client.get("/io/template/capabilities.xlsx")
    assert response.status_code == 200
    header, example = read_xlsx(response.data)[:2]
    assert header[:3] == ("能力名称", "能力简介", "能力描述") and "所属单位" not in header
    assert example[header.index("所属领域")] == "人工智能"
    # The example is readable as opened: its summary's column is as wide as the text.
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    summary = sheet.cell(row=1, column=header.index("能力简介") + 1).column_letter
    assert sheet.column_dimensions[summary].width >= 2 * len(example[header.index("能力简介")])
    notes = [row[0] for row in read_xlsx(response.data, sheet=1)]
    assert "资质" in notes and "标签" in notes
    allowed = [row[0] for row in read_xlsx(response.data, sheet=2)]
    assert "工业互联网" in allowed

    def row(title: str, tags: str) -> list:
        values = {
            "能力名称": title,
            "能力描述": DESCRIPTION,
            "所属领域": "工业互联网",
            "所在区县": "两江新区",
            "标签": tags,
            "产品": "设备联网网关；数字孪生平台",
            # Separated as the template's note says, or as the web form's lists are; a
            # qualification typed in another case or width is the one on the values sheet.
            "资质": "专精特新、ｃｍｍｉ３"
            if title.startswith("工业")
            else "专精特新；高新技术企业",
        }
        return [values.get(h) for h in header]

    filled = xlsx(
        [
            list(header),
            row("产线数字孪生建模", "数字孪生, 产线"),
            row("工业设备联网与数据采集", "设备联网"),
        ]
    )
    response = upload(client, "capabilities", filled, "我们的能力.xlsx")
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "产线数字孪生建模" in page and "工业设备联网与数据采集" in page
    assert session.exec(select(Capability)).all() == []  # the preview writes nothing

    assert confirm(client, preview_url, "submitted").status_code == 302
    saved = session.exec(select(Capability).order_by(Capability.id)).all()
    assert [c.title for c in saved] == ["产线数字孪生建模", "工业设备联网与数据采集"]
    assert all(c.organisation_id == firm.organisation_id for c in saved)
    assert all(c.status == "submitted" and c.tokens and c.search_text for c in saved)
    assert saved[0].tags == ["数字孪生", "产线"]
    assert saved[0].products == ["设备联网网关", "数字孪生平台"]
    assert saved[0].qualifications == ["专精特新", "高新技术企业"]
    assert saved[1].qualifications == ["专精特新", "CMMI3"]
    trail = session.exec(select(AuditEntry).where(AuditEntry.action == "import.commit")).one()
    assert trail.changes["count"] == 2 and trail.user_id == firm.id
    assert sorted(trail.changes["ids"]) == [c.id for c in saved]
    # Submitted entries are matched at once, as when posted one by one.
    assert session.exec(select(Recommendation).where(Recommendation.scenario_id == wanted.id)).all()
    assert stashed_files(app) == []  # the kept upload is gone once used
    assert client.get(preview_url).status_code == 302  # and cannot be confirmed twice


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_a_csv_saved_by_excel_in_china_imports(client, session, buyer, encoding):
    login(client, buyer)
    lines = [",".join(SCENARIO_HEADERS)]
    for title in ("智能工厂能耗监测", "仓储物流调度优化"):
        lines.append(",".join(str(v) for v in scenario_row(title)))
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    response = upload(client, "scenarios", data, "场景清单.csv")
    assert response.status_code == 302
    assert confirm(client, response.headers["Location"]).status_code == 302
    saved = session.exec(select(Scenario).order_by(Scenario.id)).all()
    assert [s.title for s in saved] == ["智能工厂能耗监测", "仓储物流调度优化"]
    first = saved[0]
    assert first.status == "draft" and first.organisation_id == buyer.organisation_id
    assert (first.budget_min_wan, first.budget_max_wan) == (50, 120)
    assert first.deadline == date(2030, 6, 30) and first.tags == ["数字孪生", "设备联网"]
    assert first.contact_phone == "023-67778888" and first.tokens


def test_english_headers_are_accepted(client, session, buyer):
    login(client, buyer)
    data = xlsx(
        [
            ["Title", "Description", "Field", "District", "Budget max", "Deadline"],
            ["智能工厂能耗监测", DESCRIPTION, "工业互联网", "江北区", 80, date(2031, 1, 31)],
        ]
    )
    response = upload(client, "scenarios", data, "list.xlsx")
    assert confirm(client, response.headers["Location"]).status_code == 302
    scenario = session.exec(select(Scenario)).one()
    assert scenario.budget_max_wan == 80 and scenario.deadline == date(2031, 1, 31)


def test_the_template_s_example_row_left_in_the_file_is_left_out(client, session, buyer):
    login(client, buyer)
    header, example = read_xlsx(client.get("/io/template/scenarios.xlsx").data)[:2]
    mine = dict(zip(header, example, strict=True)) | {"场景名称": "智能工厂能耗监测"}
    data = xlsx([list(header), list(example), [mine[h] for h in header]])
    response = upload(client, "scenarios", data, "list.xlsx")
    page = client.get(response.headers["Location"], query_string={"lang": "en"}).text
    assert "Row 2 is the template's example; it is left out." in page
    assert confirm(client, response.headers["Location"]).status_code == 302
    assert [s.title for s in session.exec(select(Scenario))] == ["智能工厂能耗监测"]

    # The template as downloaded holds nothing to import: said so, with no button to press.
    untouched = upload(
        client, "scenarios", client.get("/io/template/scenarios.xlsx").data, "t.xlsx"
    )
    page = client.get(untouched.headers["Location"], query_string={"lang": "en"}).text
    assert "The file holds no row to import." in page and "Import all 0" not in page
    assert confirm(client, untouched.headers["Location"]).status_code == 400
    assert len(session.exec(select(Scenario)).all()) == 1


def too_many_rows() -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["场景名称", "场景描述", "所属领域"])
    for n in range(10_001):
        sheet.append([f"场景{n:05d}号测试", DESCRIPTION, "工业互联网"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """An xlsx-shaped zip whose sheet inflates to 300 MB from a few hundred KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b" " * (1024 * 1024)
            for _ in range(300):
                member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    return data


def lines(*rows: str, encoding: str = "utf-8") -> bytes:
    return "".join(f"{row}\r\n" for row in rows).encode(encoding)


@pytest.mark.parametrize(
    "filename, make, message",
    [
        (
            "list.xlsx",
            lambda: xlsx([["场景名称", "场景描述"], ["智能工厂能耗监测", DESCRIPTION]]),
            "Missing columns: 所属领域",
        ),
        ("list.xlsx", lambda: lines("title,description,field", "a,b,c"), "not an .xlsx workbook"),
        ("list.xlsx", lambda: b"", "The file is empty"),
        ("list.csv", lambda: b"", "The file is empty"),
        ("list.csv", lambda: lines("场景名称,场景描述,所属领域"), "no entries under it"),
        ("list.csv", lambda: b"\x00\x01\x02binary\xff\xfe", "does not look like a text CSV"),
        (
            "list.csv",
            lambda: lines("场景名称,场景描述,所属领域", "文字", encoding="utf-16-le"),
            "does not look like a text CSV",
        ),
        ("list.xls", lambda: b"\xd0\xcf\x11\xe0", "Old .xls workbooks"),
        ("list.pdf", lambda: b"%PDF-1.4", "Upload an .xlsx workbook or a .csv file"),
        ("bomb.xlsx", zip_bomb, "unpacks to far more data"),
        pytest.param("big.xlsx", too_many_rows, "more than 10,000 rows", marks=pytest.mark.slow),
    ],
    ids=[
        "missing-column",
        "renamed-text",
        "empty-xlsx",
        "empty-csv",
        "header-only",
        "binary-csv",
        "utf16-without-bom",
        "xls",
        "pdf",
        "zip-bomb",
        "10001-rows",
    ],
)
def test_a_bad_file_is_refused_with_a_readable_message(
    app, client, session, buyer, filename, make, message
):
    client.get("/?lang=en")
    login(client, buyer)
    response = upload(client, "scenarios", make(), filename)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert session.exec(select(Scenario)).all() == [] and stashed_files(app) == []


def test_a_wrong_type_is_shown_by_row_and_column_and_blocks_the_import(client, session, buyer):
    client.get("/?lang=en")
    login(client, buyer)
    data = xlsx(
        [
            SCENARIO_HEADERS,
            scenario_row("智能工厂能耗监测", **{"预算下限(万元)": "abc"}),
            scenario_row("仓储", 截止日期="下个月"),
        ]
    )
    response = upload(client, "scenarios", data, "list.xlsx")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<td>2</td><td>预算下限(万元)</td><td>Enter a number" in page
    assert "<td>3</td><td>截止日期</td><td>Enter a date" in page
    assert "<td>3</td><td>场景名称</td><td>Too short: at least 4 characters." in page
    assert 'name="status"' not in page  # no confirm button while problems remain
    response = confirm(client, response.headers["Location"])
    assert response.status_code == 400
    assert session.exec(select(Scenario)).all() == []


def test_one_bad_row_among_good_ones_means_nothing_is_written(client, session, buyer):
    client.get("/?lang=en")
    login(client, buyer)
    rows = [scenario_row(f"智能工厂第{n}号车间能耗监测") for n in range(1, 6)]
    rows[2] = scenario_row("短", 所属领域="不存在的领域")
    rows[3] = scenario_row("预算颠倒的场景", **{"预算下限(万元)": 300, "预算上限(万元)": 100})
    response = upload(client, "scenarios", xlsx([SCENARIO_HEADERS, *rows]), "list.xlsx")
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "<td>4</td><td>所属领域</td>" in page and "not one of the fields" in page
    assert "<td>5</td><td>预算上限(万元)</td><td>The budget minimum is above the maximum" in page
    assert confirm(client, preview_url).status_code == 400
    assert session.exec(select(Scenario)).all() == []
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "import.commit")).all() == []


def test_an_unknown_qualification_is_refused_as_the_web_form_refuses_it(client, session, firm):
    client.get("/?lang=en")
    login(client, firm)
    header = ["能力名称", "能力描述", "所属领域", "产品", "资质"]
    rows = [
        ["工业设备联网与数据采集", DESCRIPTION, "工业互联网", "网关、平台", "假资质；专精特新"],
        ["产线数字孪生建模", DESCRIPTION, "工业互联网", "", "专精特新、高新技术企业"],
    ]
    response = upload(client, "capabilities", xlsx([header, *rows]), "ours.xlsx")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<td>2</td><td>资质</td><td>“假资质” is not one of the qualifications" in page
    assert confirm(client, response.headers["Location"]).status_code == 400
    assert session.exec(select(Capability)).all() == []


def test_a_title_already_used_by_the_organisation_is_refused_as_a_copy(client, session, buyer):
    client.get("/?lang=en")
    live = make_scenario(
        session, session.get(Organisation, buyer.organisation_id), title="A车间能耗监测"
    )
    login(client, buyer)
    rows = [
        scenario_row("A车间能耗监测"),
        scenario_row("B车间能耗监测"),
        scenario_row("b车间能耗监测"),
    ]
    response = upload(client, "scenarios", xlsx([SCENARIO_HEADERS, *rows]), "list.xlsx")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    code = live.code or f"#{live.id}"
    assert (
        f"<td>2</td><td>场景名称</td><td>Its organisation already has an entry with this title ({code})"
        in page
    )
    assert (
        "<td>4</td><td>场景名称</td><td>Row 3 has the same title for the same organisation." in page
    )
    assert confirm(client, response.headers["Location"]).status_code == 400
    assert session.exec(select(Scenario)).all() == [live]


def test_an_official_imports_for_named_verified_organisations(client, session, buyer):
    official = make_user(
        session, make_org(session, OrgKind.authority, name="市经济信息委"), role=Role.official
    )
    unverified = make_org(session, OrgKind.demand, verified=False, name="重庆待审核医院")
    client.get("/?lang=en")
    login(client, official)
    header = read_xlsx(client.get("/io/template/scenarios.xlsx").data)[0]
    assert header[-1] == "所属单位"
    data = xlsx(
        [
            SCENARIO_HEADERS + ["所属单位"],
            scenario_row("智能工厂能耗监测") + ["重庆某制造集团"],
            scenario_row("医院门诊智能分诊") + [unverified.name],
            scenario_row("园区停车诱导系统") + ["没有这个单位"],
        ]
    )
    preview_url = upload(client, "scenarios", data, "list.xlsx").headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "is not verified yet" in page and "No organisation is registered" in page
    assert confirm(client, preview_url).status_code == 400

    good = xlsx(
        [
            SCENARIO_HEADERS + ["所属单位"],
            scenario_row("智能工厂能耗监测") + [buyer_org_code(session, buyer)],
        ]
    )
    preview_url = upload(client, "scenarios", good, "list.xlsx").headers["Location"]
    assert confirm(client, preview_url, "submitted").status_code == 302
    scenario = session.exec(select(Scenario)).one()
    assert scenario.organisation_id == buyer.organisation_id and scenario.status == "submitted"


def buyer_org_code(session, buyer) -> str:
    return session.get(Organisation, buyer.organisation_id).credit_code


def test_the_kept_upload_belongs_to_its_uploader(app, session, buyer):
    other = make_user(session, make_org(session, OrgKind.demand, name="重庆另一家集团"))
    mine, theirs = app.test_client(), app.test_client()
    login(mine, buyer)
    login(theirs, other)
    data = xlsx([SCENARIO_HEADERS, scenario_row("智能工厂能耗监测")])
    preview_url = upload(mine, "scenarios", data, "list.xlsx").headers["Location"]
    assert theirs.get(preview_url).status_code == 302
    assert confirm(theirs, preview_url).status_code == 302
    assert session.exec(select(Scenario)).all() == []
    assert len(stashed_files(app)) == 1
    bad_token = preview_url.rsplit("/", 1)[0] + "/..%2F..%2Fsecret_key"
    assert mine.get(bad_token).status_code in (302, 404)


def test_only_the_matching_side_may_import(client, session, buyer, firm):
    login(client, buyer)
    assert client.get("/io/import/capabilities").status_code == 403
    assert client.get("/io/import/scenarios").status_code == 200
    post(client, "/auth/logout")
    pending = make_user(
        session, make_org(session, OrgKind.supply, verified=False, name="重庆新注册软件公司")
    )
    login(client, pending)
    assert client.get("/io/import/capabilities").status_code == 403
    post(client, "/auth/logout")
    assert client.get("/io/import/scenarios").status_code == 302  # to sign-in


def test_an_upload_over_the_size_limit_is_refused_with_the_message(client, session, buyer):
    login(client, buyer)
    # A raw multipart body: the test client would otherwise spool it to a temporary file
    # that it never closes when the app refuses to read it.
    body = b"".join(
        [
            b'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n',
            csrf_token(client).encode(),
            b'\r\n--B\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n',
            b"Content-Type: text/csv\r\n\r\n",
            b"a" * (6 * 1024 * 1024),
            b"\r\n--B--\r\n",
        ]
    )
    response = client.post(
        "/io/import/scenarios", data=body, content_type="multipart/form-data; boundary=B"
    )
    assert response.status_code == 413
    assert "上传的文件过大" in response.get_data(as_text=True)
    assert session.exec(select(Scenario)).all() == []


def test_a_second_confirmation_of_the_same_upload_saves_nothing_more(app, client, session, buyer):
    login(client, buyer)
    data = xlsx([SCENARIO_HEADERS, scenario_row("智能工厂能耗监测")])
    preview_url = upload(client, "scenarios", data, "list.xlsx").headers["Location"]
    token = preview_url.rstrip("/").rsplit("/", 1)[1]
    assert imports.claim(app.instance_path, token)  # the first click, still saving
    assert confirm(client, preview_url).status_code == 302
    assert session.exec(select(Scenario)).all() == []
    imports.release(app.instance_path, token)  # the first click failed: confirm again
    assert confirm(client, preview_url).status_code == 302
    assert confirm(client, preview_url).status_code == 302
    assert len(session.exec(select(Scenario)).all()) == 1


def test_a_kept_upload_expires_after_an_hour(app, client, session, buyer):
    login(client, buyer)
    data = xlsx([SCENARIO_HEADERS, scenario_row("智能工厂能耗监测")])
    preview_url = upload(client, "scenarios", data, "list.xlsx").headers["Location"]
    [kept] = stashed_files(app)
    payload = json.loads(kept.read_text(encoding="utf-8"))
    kept.write_text(json.dumps({**payload, "created": payload["created"] - 3601}))
    assert confirm(client, preview_url).status_code == 302
    assert session.exec(select(Scenario)).all() == [] and stashed_files(app) == []


@pytest.mark.parametrize(
    "make",
    [
        hostile.empty_rows,
        lambda: hostile.empty_rows(dimension=None),
        hostile.one_wide_row,
        hostile.far_row,
    ],
    ids=["empty-rows", "empty-rows-no-dimension", "one-wide-row", "row-99999999"],
)
def test_a_hostile_workbook_is_refused_within_seconds(app, client, session, buyer, make):
    """The workbook of the report: 2 million empty rows (or its cousins) that once kept a
    worker busy for minutes are refused with a clear message in a second or two."""
    data = make()
    assert len(data) < app.config["MAX_CONTENT_LENGTH"]
    client.get("/?lang=en")
    login(client, buyer)
    started = time.monotonic()
    response = upload(client, "scenarios", data, "list.xlsx")
    elapsed = time.monotonic() - started
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "more than 10,000 rows" in page or "far more cells than a list" in page
    assert elapsed < 3, f"took {elapsed:.1f} s"
    assert session.exec(select(Scenario)).all() == [] and stashed_files(app) == []


def test_a_workbook_that_outlasts_its_cpu_budget_is_refused(app, client, buyer, monkeypatch):
    """Whatever the shape of the file, reading it stops when its CPU time is up."""
    monkeypatch.setattr(files, "READ_CPU_SECONDS", 0.0)
    client.get("/?lang=en")
    login(client, buyer)
    data = xlsx([SCENARIO_HEADERS, scenario_row("智能工厂能耗监测")])
    response = upload(client, "scenarios", data, "list.xlsx")
    assert response.status_code == 400
    assert "takes too long to read" in response.get_data(as_text=True)
