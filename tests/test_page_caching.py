"""Pages that stand until the next write: a visitor's repeat visit is answered 304, public
pages carry nothing of the visitor's, and figures computed from the data follow every write."""

import re

import pytest
from listdata import make_capability, make_pairing, make_scenario
from sqlalchemy import text
from sqlmodel import select

from matchmaker.web.db import session_scope
from matchmaker.web.freshness import read_version
from models import Organisation, OrgKind, Recommendation, RecommendationStatus, Role, Scenario
from support import login, make_org, make_user, post

PUBLIC_PAGES = [
    "/",
    "/scenarios/",
    "/capabilities/",
    "/batches/",
    "/batches/pairings",
    "/statistics/",
]


@pytest.fixture
def world(session):
    """A buyer's published scenario, a firm's published capability, a pairing between them
    awaiting review, and an official."""
    buyer = make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    scenario = make_scenario(session, buyer, title="政务大厅材料智能预审")
    capability = make_capability(session, firm, title="证照OCR识别平台")
    pairing = make_pairing(session, scenario, capability, status=RecommendationStatus.recommended)
    authority = make_org(session, OrgKind.authority, name="重庆市经济和信息化委员会")
    official = make_user(session, authority, role=Role.official)
    return scenario, capability, pairing, official


def test_a_visitor_gets_no_cookie_and_no_token_on_any_public_page(client, world):
    scenario, capability, _pairing, _official = world
    for path in [*PUBLIC_PAGES, f"/scenarios/{scenario.id}", f"/capabilities/{capability.id}"]:
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.headers.getlist("Set-Cookie") == [], path
        assert "csrf" not in page.get_data(as_text=True).lower(), path
        assert page.headers["Cache-Control"].startswith("public"), path
        assert page.headers["ETag"], path


def test_a_repeat_visit_is_answered_not_modified(client, world):
    first = client.get("/scenarios/")
    again = client.get("/scenarios/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers.getlist("Set-Cookie") == []


def test_a_write_makes_the_next_visit_a_full_answer_with_a_new_etag(app, client, session, world):
    first = client.get("/scenarios/")
    buyer = make_user(session, make_org(session, OrgKind.demand, name="重庆市江北区大数据发展局"))
    browser = app.test_client()
    login(browser, buyer)
    form = {
        "title": "智慧社区数据中台建设",
        "field": "大数据",
        "district": "江北区",
        "description": "建设覆盖全区社区的数据中台，汇聚人口、房屋和事件数据，支撑基层治理。",
        "save": "1",
    }
    assert post(browser, "/scenarios/new", form).status_code == 302  # a draft: not shown yet
    session.exec(select(Scenario).where(Scenario.title == "智慧社区数据中台建设")).one()

    again = client.get("/scenarios/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]


def test_the_same_page_in_another_language_or_as_a_fragment_is_not_the_same(client, world):
    chinese = client.get("/scenarios/").headers["ETag"]
    fragment = client.get("/scenarios/", headers={"HX-Request": "true", "HX-Target": "results"})
    assert fragment.headers["ETag"] != chinese
    assert "Vary" in fragment.headers and "HX-Request" in fragment.headers["Vary"]

    client.get("/?lang=en")
    english = client.get("/scenarios/", headers={"If-None-Match": chinese})
    assert english.status_code == 200 and '<html lang="en">' in english.get_data(as_text=True)


def test_the_english_switch_is_a_cookie_of_its_own_not_a_session(client, world):
    switched = client.get("/scenarios/?lang=en")
    cookies = switched.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("lang=en;")
    assert "Cache-Control" in switched.headers and "public" not in switched.headers["Cache-Control"]
    later = client.get("/capabilities/")
    assert '<html lang="en">' in later.get_data(as_text=True)
    assert later.headers.getlist("Set-Cookie") == []  # remembered, not set again


def test_signed_in_pages_are_private_and_never_answered_304(app, client, session, world):
    _scenario, _capability, _pairing, official = world
    visitor_tag = client.get("/scenarios/").headers["ETag"]
    desk = app.test_client()
    login(desk, official)
    for tag in (visitor_tag, "*"):
        page = desk.get("/scenarios/", headers={"If-None-Match": tag})
        assert page.status_code == 200
        assert "ETag" not in page.headers
        assert page.headers["Cache-Control"] == "private"
    # A signed-in page carries the token htmx sends with its writes.
    assert '"X-CSRFToken"' in desk.get("/scenarios/").get_data(as_text=True)


def test_a_visitor_with_a_message_waiting_gets_it_not_a_shared_page(app, session, world):
    _scenario, _capability, _pairing, official = world
    browser = app.test_client()
    login(browser, official)
    tag = app.test_client().get("/").headers["ETag"]
    post(browser, "/auth/logout")  # leaves "signed out" to be shown on the next page
    page = browser.get("/", headers={"If-None-Match": tag})
    assert page.status_code == 200 and "public" not in page.headers["Cache-Control"]


def test_the_dashboard_figures_follow_a_write(app, session, world):
    scenario, capability, _pairing, official = world
    desk = app.test_client()
    login(desk, official)

    def published_scenarios() -> int:
        page = desk.get("/dashboard/?lang=en").get_data(as_text=True)
        found = re.search(r'<span class="num">(\d+)</span> published scenarios?<', page)
        assert found, "no headline figure"
        return int(found.group(1))

    before = published_scenarios()
    assert published_scenarios() == before  # kept: nothing changed
    make_scenario(session, session.get(Organisation, scenario.organisation_id), title="城市交通")
    assert published_scenarios() == before + 1


def test_the_review_queue_count_follows_a_decision(app, session, world):
    _scenario, _capability, pairing, official = world
    desk = app.test_client()
    login(desk, official)
    assert "1 pairing" in desk.get("/review/?lang=en").get_data(as_text=True)
    page = desk.get("/review/").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    decided = post(
        desk,
        f"/review/recommendations/{pairing.id}/decision",
        {"decision": "approve", "note": "", "version": version},
    )
    assert decided.status_code == 303
    assert "0 pairings" in desk.get("/review/").get_data(as_text=True)


def test_queue_rows_speak_the_language_of_each_request(app, session, world):
    _scenario, _capability, _pairing, official = world
    desk = app.test_client()
    login(desk, official)
    assert 'data-label="应用场景"' in desk.get("/review/?lang=zh").get_data(as_text=True)
    english = desk.get("/review/?lang=en").get_data(as_text=True)
    assert 'data-label="Scenario"' in english and 'data-label="应用场景"' not in english


def test_a_committed_write_moves_the_data_version_and_a_read_or_a_rollback_does_not(app, world):
    engine = app.extensions["engine"]
    before = read_version(engine)
    with session_scope(app) as session:
        session.exec(select(Recommendation)).all()
    assert read_version(engine) == before

    with engine.connect() as conn:
        conn.execute(text("UPDATE recommendation SET note = 'x'"))
        conn.rollback()
    assert read_version(engine) == before

    with engine.begin() as conn:  # a write past the ORM counts as well
        conn.execute(text("UPDATE recommendation SET note = 'checked'"))
    assert read_version(engine) == before + 1
