"""A program keeps its account's saved searches through the API: the saved-search page's rules,
its own searches only, and what each one finds."""

from api_helpers import PROBLEM, call, make_capability, make_scenario, token_for
from sqlmodel import select

from models import Alert, OrgKind, SavedSearch
from support import make_org, make_user

SEARCH = {"name": "政务OCR", "kind": "scenarios", "q": "OCR", "fields": ["智慧政务"]}


def test_a_firm_keeps_its_saved_searches_through_the_api(client, session):
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    secret = token_for(session, make_user(session, firm))
    bureau = make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    hall = make_scenario(session, bureau)
    make_scenario(session, bureau, title="矿山边坡位移监测", field="物联网", tags=["边坡"])

    created = call(client, "POST", "/api/v1/saved-searches", secret, json=SEARCH)
    assert created.status_code == 201
    body = created.get_json()
    assert body["name"] == "政务OCR" and body["frequency"] == "daily" and body["version"] == 1
    assert created.headers["Location"] == f"/api/v1/saved-searches/{body['id']}"
    assert body["created_at"].endswith("+08:00")

    listed = call(client, "GET", "/api/v1/saved-searches", secret).get_json()
    assert [s["id"] for s in listed["items"]] == [body["id"]]
    found = call(client, "GET", f"{created.headers['Location']}/results", secret).get_json()
    assert [item["id"] for item in found["items"]] == [hall.id] and found["total"] == 1

    changed = call(
        client,
        "PUT",
        created.headers["Location"],
        secret,
        json={
            **{k: v for k, v in SEARCH.items() if k != "kind"},
            "frequency": "never",
            "version": 1,
        },
    )
    assert changed.status_code == 200 and changed.get_json()["frequency"] == "never"
    stale = call(
        client, "PUT", created.headers["Location"], secret, json={"name": "旧的", "version": 1}
    )
    assert stale.status_code == 409 and stale.mimetype == PROBLEM

    assert (
        call(client, "DELETE", created.headers["Location"], secret, json={"version": 1}).status_code
        == 409
    )
    gone = call(client, "DELETE", created.headers["Location"], secret, json={"version": 2})
    assert gone.status_code == 204 and gone.data == b""
    assert call(client, "GET", created.headers["Location"], secret).status_code == 404
    assert session.exec(select(SavedSearch)).all() == []


def test_a_saved_search_that_follows_fits_answers_with_the_reason(client, session):
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    user = make_user(session, firm)
    secret = token_for(session, user)
    ocr = make_capability(session, firm)
    hall = make_scenario(
        session, make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    )
    search = call(
        client,
        "POST",
        "/api/v1/saved-searches",
        secret,
        json={"name": "适合我的", "kind": "scenarios", "matched": True},
    ).get_json()
    session.add(
        Alert(
            saved_search_id=search["id"],
            user_id=user.id,
            entry_id=hall.id,
            score=0.91,
            counterpart_id=ocr.id,
            counterpart_title=ocr.title,
            terms=[["ocr", 0.4]],
            matched_tags=["OCR"],
            reasons=[["same_district", "渝北区"]],
        )
    )
    session.commit()
    [item] = call(
        client, "GET", f"/api/v1/saved-searches/{search['id']}/results", secret
    ).get_json()["items"]
    assert item["score"] == 0.91 and item["fits"] == ocr.title
    assert item["terms"] == [{"term": "ocr", "weight": 0.4}]
    assert item["reasons"] == [{"code": "same_district", "value": "渝北区"}]


def test_the_api_refuses_what_the_page_refuses_and_others_searches(client, session):
    buyer_org = make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    buyer = token_for(session, make_user(session, buyer_org))
    rival = token_for(
        session, make_user(session, make_org(session, OrgKind.supply, name="重庆云端科技有限公司"))
    )

    cannot_follow = call(
        client, "POST", "/api/v1/saved-searches", buyer, json={**SEARCH, "matched": True}
    )
    assert cannot_follow.status_code == 422 and cannot_follow.mimetype == PROBLEM
    assert cannot_follow.get_json()["errors"][0]["field"] == "matched"
    for bad in (
        {**SEARCH, "fields": ["火星"]},
        {**SEARCH, "budget_min_wan": 90, "budget_max_wan": 10},
        {**SEARCH, "frequency": "hourly"},
        {**SEARCH, "name": "  "},
        {**SEARCH, "kind": "pairings"},
        {**SEARCH, "owner": 1},
    ):
        response = call(client, "POST", "/api/v1/saved-searches", buyer, json=bad)
        assert response.status_code == 422, bad
    assert session.exec(select(SavedSearch)).all() == []

    mine = call(client, "POST", "/api/v1/saved-searches", buyer, json=SEARCH).get_json()
    url = f"/api/v1/saved-searches/{mine['id']}"
    assert call(client, "GET", url, rival).status_code == 404
    assert call(client, "GET", f"{url}/results", rival).status_code == 404
    assert call(client, "PUT", url, rival, json={"name": "x", "version": 1}).status_code == 404
    assert call(client, "DELETE", url, rival, json={"version": 1}).status_code == 404
    assert call(client, "GET", "/api/v1/saved-searches", rival).get_json()["items"] == []
    assert call(client, "GET", "/api/v1/saved-searches").status_code == 401
