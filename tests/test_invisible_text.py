"""Invisible and direction-changing characters never reach the database: a title typed with
U+202E (right-to-left override) or zero-width spaces is stored as it reads, whether it came
from a web form, the API or an imported spreadsheet."""

import sys
import unicodedata

from flask_wtf import FlaskForm
from listdata import upload
from posting_data import OCR_SCENARIO
from sqlmodel import select

from matchmaker.api import tokens
from matchmaker.web.text import INVISIBLE, Form, visible
from models import Capability, Organisation, OrgKind, Scenario
from support import login, make_credit_code, make_org, make_user, post

# What the report typed: an override that makes "txt.exe" read "exe.txt", zero-width spaces
# and joiners between letters, an isolate, a byte-order mark and a soft hyphen.
SPOOF = "\u202e政务\u200b大厅\u200d材料\u2066智能\u2069预审\ufeff\u00ad"
CLEAN = "政务大厅材料智能预审"


def test_every_format_character_of_unicode_is_removed():
    formats = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert formats and visible("".join(formats)) == ""
    assert visible("A\u3164B") == "AB" and visible(["\u200b", "OCR\u200b"]) == ["OCR"]
    assert visible("第一行\n第二行\t制表") == "第一行\n第二行\t制表"  # ordinary layout stays
    assert not INVISIBLE.search("重庆 Chongqing 123 ,.;'\"")


def test_every_web_form_removes_them(app):
    """A form that forgets the shared base would store them again: none may (the app's
    views, and with them its forms, are imported by the app fixture)."""
    pending, forms = list(FlaskForm.__subclasses__()), []
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        if form.__module__.startswith("matchmaker."):
            forms.append(form)
    assert len(forms) >= 10
    assert [f.__name__ for f in forms if not issubclass(f, Form)] == []


def test_a_scenario_posted_on_the_web_is_stored_as_it_reads(app, client, session):
    login(client, make_user(session, make_org(session, OrgKind.demand)))
    form = {**OCR_SCENARIO, "title": SPOOF, "tags": "OCR\u200b、\u202e身份核验", "save_draft": "1"}
    assert post(client, "/scenarios/new", form).status_code == 302
    scenario = session.exec(select(Scenario)).one()
    assert scenario.title == CLEAN and scenario.tags == ["OCR", "身份核验"]


def test_an_organisation_registers_under_its_visible_name(client, session):
    data = {
        "org_name": "重庆\u202e星河\u200b软件有限公司",
        "org_kind": "supply",
        "credit_code": make_credit_code(),
        "district": "渝北区",
        "name": "李\u200d工",
        "email": "li@xinghe.cn",
        "password": "s3cret-pass",
        "confirm": "s3cret-pass",
    }
    assert post(client, "/auth/register", data).status_code == 302
    assert session.exec(select(Organisation)).one().name == "重庆星河软件有限公司"


def test_the_api_refuses_them_as_its_openapi_document_says(client, session):
    """The API says what it accepts: text with such characters is refused, not altered."""
    user = make_user(session, make_org(session, OrgKind.supply))
    headers = {"Authorization": f"Bearer {tokens.issue(session, user=user, name='ERP').secret}"}
    body = {
        "title": SPOOF,
        "description": "基于OCR和规则引擎，对政务服务材料进行自动识别、核验和预审。",
        "field": "人工智能",
    }
    response = client.post("/api/v1/capabilities?lang=en", json=body, headers=headers)
    assert response.status_code == 422 and "title" in response.get_data(as_text=True)
    assert session.exec(select(Capability)).all() == []
    clean = client.post("/api/v1/capabilities", json=body | {"title": CLEAN}, headers=headers)
    assert clean.status_code == 201


def test_an_imported_cell_is_stored_as_it_reads(client, session):
    login(client, make_user(session, make_org(session, OrgKind.demand)))
    rows = [
        "场景名称\u200b,场景描述,所属领域,标签",
        f"{SPOOF},{OCR_SCENARIO['description']},智慧\u200b政务,OCR\u200b、\u202e核验",
    ]
    data = "".join(f"{row}\r\n" for row in rows).encode()
    review = upload(client, "scenarios", data, "list.csv")
    assert review.status_code == 302, review.get_data(as_text=True)
    assert post(client, review.headers["Location"], {"status": "draft"}).status_code == 302
    scenario = session.exec(select(Scenario)).one()
    assert scenario.title == CLEAN and scenario.field == "智慧政务"
    assert scenario.tags == ["OCR", "核验"]
