"""Organisations and officials write through the API with their tokens, under the web's rules."""

import re
from datetime import timedelta

import pytest
from api_helpers import (
    PROBLEM,
    call,
    make_capability,
    make_recommendation,
    make_scenario,
    token_for,
)
from sqlmodel import select

from matchmaker.web.dates import local_today
from models import (
    AuditEntry,
    Capability,
    DockingEvent,
    OrgKind,
    Recommendation,
    Role,
    ScenarioStatus,
)
from pairings import make_published_pairing
from support import csrf_token, login, make_org, make_user, post

SECRET = re.compile(r'<code id="new-token">(mm_[A-Za-z0-9_-]+)</code>')
CAPABILITY = {
    "title": "政务材料智能预审引擎",
    "summary": "证照识别与规则预审",
    "description": "基于OCR和规则引擎，对政务服务材料进行自动识别、核验和预审，减少人工退件。",
    "field": "人工智能",
    "district": "渝北区",
    "tags": ["OCR", "预审"],
    "products": ["慧审"],
    "cases": ["2023年 渝北区政务服务中心"],
    "qualifications": ["高新技术企业"],
}
SCENARIO = {
    "title": "园区能耗监测平台",
    "description": "工业园区需要对企业用电、用水和用气进行实时监测与分析，发现异常能耗。",
    "field": "物联网",
    "budget_min_wan": 80,
    "budget_max_wan": 150,
    "deadline": "2031-01-31",
}


@pytest.fixture
def firm(session):
    """A verified software firm and its admin."""
    org = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    return org, make_user(session, org)


@pytest.fixture
def bureau(session):
    """A verified district bureau (demand side) and one of its staff."""
    org = make_org(session, OrgKind.demand, name="重庆市渝北区大数据应用发展管理局")
    return org, make_user(session, org, role=Role.member)


def test_a_firm_makes_a_token_on_its_page_then_drafts_and_submits_a_capability(
    client, session, firm
):
    org, user = firm
    login(client, user)
    page = post(client, "/account/tokens", {"name": "CRM 同步"}).get_data(as_text=True)
    secret = SECRET.search(page).group(1)
    program = client.application.test_client()  # a program: no cookies, only the token

    created = call(program, "POST", "/api/v1/capabilities", secret, json=CAPABILITY)
    assert created.status_code == 201 and created.mimetype == "application/json"
    draft = created.get_json()
    assert draft["status"] == "draft" and draft["version"] == 1
    assert draft["organisation"]["name"] == "重庆星河软件有限公司"
    assert created.headers["Location"] == f"/api/v1/capabilities/{draft['id']}"
    assert program.get(created.headers["Location"]).status_code == 404  # not public yet
    assert call(program, "GET", created.headers["Location"], secret).json["title"] == (
        "政务材料智能预审引擎"
    )

    submitted = call(
        program, "POST", f"/api/v1/capabilities/{draft['id']}/submit", secret, json={"version": 1}
    )
    assert submitted.status_code == 200 and submitted.json["status"] == "submitted"
    stored = session.get(Capability, draft["id"])
    assert stored.status == "submitted" and stored.organisation_id == org.id
    audit = session.exec(select(AuditEntry).where(AuditEntry.object_type == "capability")).all()
    assert {(a.action, a.user_id) for a in audit} == {
        ("capability.create", user.id),
        ("capability.submit", user.id),
    }


def test_a_protected_field_in_the_body_is_refused_by_name(client, session, firm):
    secret = token_for(session, firm[1])
    for field, value in (("status", "published"), ("organisation_id", 99), ("id", 7)):
        body = CAPABILITY | {field: value}
        response = call(client, "POST", "/api/v1/capabilities?lang=en", secret, json=body)
        assert response.status_code == 422 and response.mimetype == PROBLEM
        problem = response.get_json()
        assert problem["status"] == 422 and problem["title"] == "Invalid request"
        (error,) = problem["errors"]
        assert error["field"] == field and error["type"] == "extra_forbidden"
        assert error["message"] == f"{field} is set by the platform and cannot be sent."
    assert session.exec(select(Capability)).all() == []


def test_another_organisations_draft_is_not_found(client, session, firm):
    draft = make_capability(session, firm[0], status="draft")
    rival = make_user(session, make_org(session, OrgKind.supply, name="重庆别家科技有限公司"))
    secret = token_for(session, rival)
    url = f"/api/v1/capabilities/{draft.id}"
    assert call(client, "GET", url, secret).status_code == 404
    replaced = call(client, "PUT", url, secret, json=CAPABILITY | {"version": 1})
    assert replaced.status_code == 404 and replaced.mimetype == PROBLEM
    assert call(client, "POST", f"{url}/submit", secret, json={"version": 1}).status_code == 404
    session.refresh(draft)
    assert draft.status == "draft" and draft.title == "证照OCR识别平台"


def test_a_revoked_token_gets_401(client, session, firm):
    user = firm[1]
    secret = token_for(session, user)
    login(client, user)
    token_id = re.search(r"/account/tokens/(\d+)/revoke", client.get("/account/tokens").text)
    post(client, f"/account/tokens/{token_id.group(1)}/revoke")
    response = call(client, "POST", "/api/v1/capabilities", secret, json=CAPABILITY)
    assert response.status_code == 401 and response.mimetype == PROBLEM


def test_an_unauthenticated_write_gets_401_even_from_a_signed_in_browser(client, session, firm):
    anonymous = client.post("/api/v1/capabilities", json=CAPABILITY)
    assert anonymous.status_code == 401 and anonymous.mimetype == PROBLEM
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    login(client, firm[1])
    browser = client.post(
        "/api/v1/capabilities", json=CAPABILITY, headers={"X-CSRFToken": csrf_token(client)}
    )
    assert browser.status_code == 401 and browser.mimetype == PROBLEM
    assert session.exec(select(Capability)).all() == []


def test_each_side_writes_only_its_own_kind_of_entry(client, session, firm, bureau):
    firm_token, bureau_token = token_for(session, firm[1]), token_for(session, bureau[1])
    wrong = call(client, "POST", "/api/v1/scenarios", firm_token, json=SCENARIO)
    assert wrong.status_code == 403 and wrong.mimetype == PROBLEM
    created = call(client, "POST", "/api/v1/scenarios", bureau_token, json=SCENARIO)
    assert created.status_code == 201 and created.json["budget_max_wan"] == 150
    assert created.json["contact_name"] == "" and created.json["review_note"] == ""
    unverified = make_org(session, OrgKind.supply, verified=False, name="待核验公司")
    newcomer = token_for(session, make_user(session, unverified))
    refused = call(client, "POST", "/api/v1/capabilities?lang=en", newcomer, json=CAPABILITY)
    assert refused.status_code == 403 and "verified" in refused.json["detail"]


def test_a_stale_version_or_a_published_entry_is_a_409(client, session, bureau):
    secret = token_for(session, bureau[1])
    draft = call(client, "POST", "/api/v1/scenarios", secret, json=SCENARIO).get_json()
    url = f"/api/v1/scenarios/{draft['id']}"
    edited = call(
        client, "PUT", url, secret, json=SCENARIO | {"title": "园区能耗在线监测", "version": 1}
    )
    assert edited.status_code == 200 and edited.json["version"] == 2
    stale = call(client, "PUT", url, secret, json=SCENARIO | {"title": "晚到的修改", "version": 1})
    assert stale.status_code == 409 and stale.mimetype == PROBLEM
    assert call(client, "GET", url, secret).json["title"] == "园区能耗在线监测"
    published = make_scenario(session, bureau[0])
    frozen = call(
        client, "PUT", f"/api/v1/scenarios/{published.id}", secret, json=SCENARIO | {"version": 1}
    )
    assert frozen.status_code == 409
    again = call(client, "POST", f"{url}/submit", secret, json={"version": 2})
    assert again.status_code == 200
    twice = call(client, "POST", f"{url}/submit?lang=en", secret, json={"version": 3})
    assert twice.status_code == 409 and twice.json["detail"] == "Only a draft can be submitted."


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        (b'{"title": "abcd",', "application/json", 400),
        (b"\xff\xfe\x00garbage", "application/json", 400),
        (b"", "application/json", 400),
        (b"title=abcd", "application/x-www-form-urlencoded", 415),
        (b'{"title": "x"}', "text/plain", 415),
        (b"[1, 2, 3]", "application/json", 422),
        (b'"just text"', "application/json", 422),
        (b'{"budget_max_wan": 1e999}', "application/json", 422),
        (b'{"budget_max_wan": NaN}', "application/json", 422),
        (b'{"budget_max_wan": "120"}', "application/json", 422),
        (b'{"deadline": 1700000000}', "application/json", 422),
        (b'{"title": "\\ud800\\udfff\\u0000"}', "application/json", 422),
    ],
)
def test_bad_bodies_are_problems_never_server_errors(
    client, session, bureau, body, content_type, status
):
    secret = token_for(session, bureau[1])
    response = call(
        client, "POST", "/api/v1/scenarios", secret, data=body, content_type=content_type
    )
    assert response.status_code == status and response.mimetype == PROBLEM
    assert response.json["status"] == status and response.json["detail"]


def test_a_body_too_large_is_a_413(app, client, session, bureau):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    secret = token_for(session, bureau[1])
    huge = SCENARIO | {"description": "很长的描述" * 5000}
    response = call(client, "POST", "/api/v1/scenarios", secret, json=huge)
    assert response.status_code == 413 and response.mimetype == PROBLEM


def test_field_problems_are_listed_in_the_requests_language(client, session, bureau):
    secret = token_for(session, bureau[1])
    body = SCENARIO | {
        "title": "\u3000 \t ",
        "budget_min_wan": 200,
        "field": "烹饪",
        "tags": ["x"] * 13,
    }
    english = call(
        client, "POST", "/api/v1/scenarios", secret, json=body, headers={"Accept-Language": "en"}
    )
    assert english.status_code == 422
    fields = {e["field"]: e for e in english.json["errors"]}
    assert set(fields) == {"title", "field", "tags"}
    assert fields["tags"]["message"] == "Give at most 12 items."
    assert fields["field"]["pointer"] == "/field"
    # Choices are listed in the reader's language, without an English "or".
    chinese = call(client, "GET", "/api/v1/scenarios?sort=best", secret)
    [problem] = chinese.json["errors"]
    assert problem["message"] == "请从以下选项中选择一个：newest、title、deadline、budget。", (
        problem
    )
    in_order = call(
        client, "POST", "/api/v1/scenarios", secret, json=SCENARIO | {"budget_min_wan": 200}
    )
    assert in_order.status_code == 422 and in_order.json["errors"][0]["type"] == "budget_order"


def test_a_party_records_docking_steps_forward_only(app, client, session):
    story = make_published_pairing(session)
    buyer, seller = token_for(session, story.buyer), token_for(session, story.seller)
    url = f"/api/v1/pairings/{story.pairing.id}/docking"
    with app.app_context():
        today = local_today()

    contacted = call(
        client, "POST", url, buyer, json={"stage": "contacted", "occurred_on": today.isoformat()}
    )
    assert contacted.status_code == 201 and contacted.json["stage"] == "contacted"
    assert contacted.json["organisation_id"] == story.demand.id
    public = client.get(f"/api/v1/pairings/{story.pairing.id}").get_json()
    assert public["docking"] == {"stage": "contacted", "occurred_on": today.isoformat()}

    unsigned = call(
        client, "POST", url, seller, json={"stage": "signed", "occurred_on": today.isoformat()}
    )
    assert (
        unsigned.status_code == 422 and unsigned.json["errors"][0]["field"] == "contract_amount_wan"
    )
    future = (today + timedelta(days=3)).isoformat()
    ahead = call(client, "POST", url, seller, json={"stage": "negotiating", "occurred_on": future})
    assert ahead.status_code == 422 and ahead.json["errors"][0]["field"] == "occurred_on"
    signed = call(
        client,
        "POST",
        url,
        seller,
        json={"stage": "signed", "occurred_on": today.isoformat(), "contract_amount_wan": 96.5},
    )
    assert signed.status_code == 201 and signed.json["contract_amount_wan"] == 96.5
    after = call(
        client, "POST", url, buyer, json={"stage": "negotiating", "occurred_on": today.isoformat()}
    )
    assert after.status_code == 409 and after.mimetype == PROBLEM

    outsider = token_for(session, make_user(session, make_org(session, name="旁观公司")))
    watching = call(
        client, "POST", url, outsider, json={"stage": "contacted", "occurred_on": today.isoformat()}
    )
    assert watching.status_code == 403
    assert len(session.exec(select(DockingEvent)).all()) == 2


def test_a_party_corrects_a_step_recorded_in_error_and_reads_the_timeline(app, client, session):
    story = make_published_pairing(session)
    buyer, seller = token_for(session, story.buyer), token_for(session, story.seller)
    url = f"/api/v1/pairings/{story.pairing.id}/docking"
    with app.app_context():
        today = local_today().isoformat()

    def step(token: str, path: str, stage: str, **more: float):  # type: ignore[no-untyped-def]
        return call(client, "POST", path, token, json={"stage": stage, "occurred_on": today} | more)

    contacted = step(buyer, url, "contacted")
    # The seller meant "negotiating" but recorded "signed" with a wrong amount.
    typo = step(seller, url, "signed", contract_amount_wan=9999)
    correction = f"{url}/{typo.json['id']}/correction"

    assert step(buyer, correction, "negotiating").status_code == 403  # not theirs
    not_latest = step(buyer, f"{url}/{contacted.json['id']}/correction", "contacted")
    assert not_latest.status_code == 409 and not_latest.mimetype == PROBLEM
    fixed = step(seller, correction, "negotiating")
    assert fixed.status_code == 201
    assert fixed.json["stage"] == "negotiating" and fixed.json["corrects_id"] == typo.json["id"]
    assert step(seller, correction, "negotiating").status_code == 409  # corrected already
    assert step(seller, f"{url}/999999/correction", "negotiating").status_code == 404

    timeline = call(client, "GET", url, buyer)
    assert timeline.status_code == 200
    assert [(s["stage"], s["corrects_id"]) for s in timeline.json["steps"]] == [
        ("contacted", None),
        ("negotiating", typo.json["id"]),
    ]
    public = client.get(f"/api/v1/pairings/{story.pairing.id}").get_json()
    assert public["docking"]["stage"] == "negotiating"  # the mistaken step no longer counts
    outsider = token_for(session, make_user(session, make_org(session, name="旁观公司")))
    assert call(client, "GET", url, outsider).status_code == 404


def test_an_official_approves_and_rejects_recommendations_with_versions(
    client, session, firm, bureau
):
    scenario = make_scenario(session, bureau[0], status=ScenarioStatus.published)
    capability = make_capability(session, firm[0])
    other = make_capability(session, firm[0], title="票据识别云服务")
    first = make_recommendation(session, scenario, capability)
    # Stored before explanations left out what tells a reader nothing: a single character and
    # a word every entry uses. The API lists the shared terms the pages list.
    second = make_recommendation(
        session, scenario, other, terms=[["票据", 0.3], ["云", 0.2], ["系统", 0.1]]
    )
    authority = make_org(session, OrgKind.authority, name="重庆市经济和信息化委员会")
    official = token_for(session, make_user(session, authority, role=Role.official))
    colleague = token_for(session, make_user(session, authority, role=Role.official))

    queue = call(client, "GET", "/api/v1/recommendations", official).get_json()
    assert {item["id"] for item in queue["items"]} == {first.id, second.id}
    terms = {item["id"]: item["explanation"]["terms"] for item in queue["items"]}
    assert terms[first.id] == [{"term": "ocr", "weight": 0.4}, {"term": "预审", "weight": 0.2}]
    assert terms[second.id] == [{"term": "票据", "weight": 0.3}]

    decision = f"/api/v1/recommendations/{first.id}/decision"
    approved = call(client, "POST", decision, official, json={"decision": "approve", "version": 1})
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    late = call(
        client,
        "POST",
        decision,
        colleague,
        json={"decision": "reject", "note": "重复", "version": 1},
    )
    assert late.status_code == 409 and late.mimetype == PROBLEM

    bare = call(
        client,
        "POST",
        f"/api/v1/recommendations/{second.id}/decision",
        official,
        json={"decision": "reject", "version": 1},
    )
    assert bare.status_code == 422 and bare.json["errors"][0]["field"] == "note"
    rejected = call(
        client,
        "POST",
        f"/api/v1/recommendations/{second.id}/decision",
        official,
        json={"decision": "reject", "note": "能力与场景规模不匹配", "version": 1},
    )
    assert rejected.status_code == 200 and rejected.json["note"] == "能力与场景规模不匹配"
    session.expire_all()
    assert session.get(Recommendation, second.id).status == "rejected"

    firm_token = token_for(session, firm[1])
    assert call(client, "GET", "/api/v1/recommendations", firm_token).status_code == 403
