"""A visitor's program reads the published lists as JSON, searched and filtered like the web."""

import pytest
from api_helpers import (
    PROBLEM,
    bearer,
    call,
    make_batch,
    make_capability,
    make_scenario,
    token_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _

from models import CapabilityStatus, OrgKind, Role, ScenarioStatus
from support import make_org, make_user


@pytest.fixture
def lists(session):
    """A district bureau with published, closed and draft scenarios; a firm with capabilities."""
    bureau = make_org(session, OrgKind.demand, name="重庆市渝北区大数据应用发展管理局")
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    batch = make_batch(session)
    return {
        "bureau": bureau,
        "firm": firm,
        "batch": batch,
        "hall": make_scenario(session, bureau, batch_id=batch.id),
        "mine": make_scenario(
            session,
            bureau,
            title="矿山边坡位移监测",
            description="露天矿山边坡需要全天候位移监测与预警，目前依靠人工巡检，效率低。",
            field="物联网",
            district="万州区",
            tags=["监测"],
            budget_max_wan=800.0,
        ),
        "closed": make_scenario(
            session, bureau, title="旧系统迁移评估", status=ScenarioStatus.closed
        ),
        "draft": make_scenario(
            session,
            bureau,
            title="内部草稿：食堂排队",
            status=ScenarioStatus.draft,
            review_note="请补充预算。",
        ),
        "ocr": make_capability(session, firm, batch_id=batch.id),
        "secret_draft": make_capability(
            session, firm, title="未公开的能力草稿", status=CapabilityStatus.draft
        ),
    }


def test_a_visitor_lists_published_scenarios_as_json(client, lists):
    response = client.get("/api/v1/scenarios")
    assert response.status_code == 200 and response.mimetype == "application/json"
    page = response.get_json()
    titles = {item["title"] for item in page["items"]}
    assert titles == {"政务大厅材料智能预审", "矿山边坡位移监测", "旧系统迁移评估"}
    assert page["total"] == 3 and page["page"] == 1 and page["per_page"] == 20
    hall = next(i for i in page["items"] if i["title"] == "政务大厅材料智能预审")
    assert hall["organisation"]["name"] == "重庆市渝北区大数据应用发展管理局"
    assert hall["contact_phone"] == "023-67000000" and hall["budget_max_wan"] == 120.0
    assert hall["published_at"].endswith("+08:00")  # the pages' clock, with its offset
    # Nothing internal leaves the platform.
    for hidden in ("tokens", "search_text", "review_note", "organisation_id", "created_at"):
        assert hidden not in hall


def test_a_visitor_searches_in_traditional_characters(client, lists):
    found = client.get("/api/v1/scenarios", query_string={"q": "礦山 監測"}).get_json()
    assert [item["title"] for item in found["items"]] == ["矿山边坡位移监测"]
    full_width = client.get("/api/v1/capabilities", query_string={"q": "ＯＣＲ"}).get_json()
    assert [item["title"] for item in full_width["items"]] == ["证照OCR识别平台"]
    drafts = client.get("/api/v1/scenarios", query_string={"q": "食堂"}).get_json()
    assert drafts["items"] == []


def test_lists_filter_sort_and_page_like_the_web(client, lists):
    def titles(**query):
        return [
            i["title"] for i in client.get("/api/v1/scenarios", query_string=query).json["items"]
        ]

    assert titles(field="物联网") == ["矿山边坡位移监测"]
    assert titles(district="渝北区", status="published") == ["政务大厅材料智能预审"]
    assert titles(batch=lists["batch"].id) == ["政务大厅材料智能预审"]
    assert titles(sort="budget", status="published") == ["矿山边坡位移监测", "政务大厅材料智能预审"]
    first = client.get("/api/v1/scenarios?per_page=2&sort=title").get_json()
    second = client.get("/api/v1/scenarios?per_page=2&sort=title&page=2").get_json()
    assert first["pages"] == 2 and len(first["items"]) == 2 and len(second["items"]) == 1
    assert {i["id"] for i in first["items"]}.isdisjoint(i["id"] for i in second["items"])


def test_contacts_are_published_with_a_scenario_and_withdrawn_when_it_closes(client, lists):
    closed = client.get(f"/api/v1/scenarios/{lists['closed'].id}").get_json()
    assert closed["status"] == "closed" and closed["contact_phone"] is None
    assert client.get(f"/api/v1/scenarios/{lists['hall'].id}").json["contact_name"] == "王科长"


def test_drafts_are_hidden_from_visitors_and_other_organisations(client, session, lists):
    draft = f"/api/v1/scenarios/{lists['draft'].id}"
    assert client.get(draft).status_code == 404
    other = make_user(session, make_org(session, OrgKind.demand, name="另一家国企"))
    response = call(client, "GET", draft, token_for(session, other))
    assert response.status_code == 404 and response.mimetype == PROBLEM
    capability = f"/api/v1/capabilities/{lists['secret_draft'].id}"
    assert client.get(capability).status_code == 404


def test_the_owner_sees_its_draft_with_the_review_note(client, session, lists):
    owner = make_user(session, lists["bureau"], role=Role.member)
    url = f"/api/v1/scenarios/{lists['draft'].id}"
    draft = call(client, "GET", url, token_for(session, owner))
    assert draft.status_code == 200
    assert draft.json["status"] == "draft" and draft.json["review_note"] == "请补充预算。"


def test_officials_see_submitted_entries_but_not_drafts(client, session, lists):
    authority = make_org(session, OrgKind.authority, name="市经济信息委")
    official = token_for(session, make_user(session, authority, role=Role.official))
    draft = call(client, "GET", f"/api/v1/scenarios/{lists['draft'].id}", official)
    assert draft.status_code == 404  # a draft is its organisation's own business
    submitted = make_scenario(session, lists["bureau"], title="待审核场景", status="submitted")
    seen = call(client, "GET", f"/api/v1/scenarios/{submitted.id}", official)
    assert seen.status_code == 200 and seen.json["contact_name"] == "王科长"
    assert client.get(f"/api/v1/scenarios/{submitted.id}").status_code == 404


def test_published_batches_carry_what_they_published(client, lists, session):
    make_batch(session, number=2, published=False)
    page = client.get("/api/v1/batches").get_json()
    assert [b["name"] for b in page["items"]] == ["2024年第1批"]
    batch = client.get(f"/api/v1/batches/{lists['batch'].id}").get_json()
    assert (batch["scenarios"], batch["capabilities"], batch["pairings"]) == (1, 1, 0)
    unpublished = page["items"][0]["id"] + 1
    assert client.get(f"/api/v1/batches/{unpublished}").status_code == 404


@pytest.mark.parametrize(
    "query, field",
    [
        ("per_page=101", "per_page"),
        ("page=-1", "page"),
        ("page=0", "page"),
        ("page=99999999999999999999999999", "page"),
        ("batch=abc", "batch"),
        ("sort=deadline", "sort"),
        ("q=" + "长" * 101, "q"),
        ("q=%00", "q"),
        ("page=1&page=2", "page"),
    ],
)
def test_bad_list_parameters_are_refused_with_a_problem(client, lists, query, field):
    response = client.get(f"/api/v1/capabilities?{query}&lang=en")
    assert response.status_code == 422 and response.mimetype == PROBLEM
    problem = response.get_json()
    assert problem["status"] == 422 and problem["title"] and problem["detail"]
    assert [e["field"] for e in problem["errors"]] == [field]
    assert problem["errors"][0]["location"] == "query" and problem["errors"][0]["message"]


def test_ids_out_of_range_and_unknown_paths_are_problems_not_errors(client, lists):
    for url in (
        "/api/v1/scenarios/99999999999999999999",
        "/api/v1/scenarios/2147483648",
        "/api/v1/scenarios/-1",
        "/api/v1/no-such-thing",
    ):
        response = client.get(url)
        assert response.status_code == 404 and response.mimetype == PROBLEM, url
    response = client.delete("/api/v1/scenarios")
    assert response.status_code == 405 and response.mimetype == PROBLEM
    assert "GET" in response.headers["Allow"]


def test_errors_follow_the_request_language_not_the_browser_session(client, app, lists):
    client.get("/?lang=en")  # the web UI remembers English for this browser
    chinese = client.get("/api/v1/scenarios/0", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese.headers["Content-Language"] == "zh"
    english = client.get("/api/v1/scenarios/0?lang=en", headers={"Accept-Language": "zh-CN"})
    assert english.headers["Content-Language"] == "en"
    assert english.json["detail"] == "There is no such object, or it is not visible to you."
    assert chinese.json["detail"] != english.json["detail"]
    with app.test_request_context(), force_locale("zh"):
        assert chinese.json["detail"] == _("There is no such object, or it is not visible to you.")


def test_a_bad_token_is_refused_even_on_public_reads(client, lists):
    response = client.get("/api/v1/scenarios", headers=bearer("mm_not-a-token"))
    assert response.status_code == 401 and response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    basic = client.get("/api/v1/scenarios", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.status_code == 401


def test_the_openapi_document_and_its_reference_page(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    listing = document["paths"]["/api/v1/scenarios"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"q", "field", "district", "page"}
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ScenarioPage"
    }
    public = document["components"]["schemas"]["ScenarioPublic"]["properties"]
    assert "search_text" not in public and "tokens" not in public
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/scenarios/{scenario_id}" in page and "ScenarioPublic" in page
    assert "cdn" not in page.lower() and "swagger" not in page.lower()
    # The page reads in its reader's language; the document stays English for programs.
    assert listing["summary"] == "Search published scenarios"
    chinese = client.get("/api/v1/docs?lang=zh").get_data(as_text=True)
    assert "搜索已发布的应用场景" in chinese and "Search published scenarios" not in chinese
    assert "Invalid request" not in chinese and "status is set by the platform" not in chinese
    assert "对象不存在，或调用方无权查看" in chinese  # what a 404 means, in the responses
    assert "No such object, or not visible" in str(document["paths"])
    # A visitor finds it from any page.
    assert 'href="/api/v1/docs"' in client.get("/").get_data(as_text=True)


def test_a_program_calling_too_often_is_told_to_wait(app, client, lists):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    answers = [client.get("/api/v1/scenarios?lang=en") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].mimetype == PROBLEM and answers[-1].json["title"] == "Too many requests"
    assert client.get("/scenarios/").status_code == 200  # the web pages are not counted
