"""Deadlines: past its deadline a scenario is closed (截止), takes no interest and is no longer
recommended; posting refuses a past deadline and a phone number no one could dial; the seed
lists are loaded with deadlines relative to the load day and batches on their own dates."""

from datetime import date, timedelta

import pytest
from listdata import make_scenario, upload, xlsx
from posting_data import OCR_CAPABILITY_ROW, OCR_SCENARIO, OCR_SCENARIO_ROW, official, published
from sqlmodel import select
from test_import import SCENARIO_HEADERS, scenario_row
from test_search_index import HTMX, link, titles, walk

from matchmaker.api import tokens
from matchmaker.commands import seeding
from matchmaker.pairing import recommend
from matchmaker.web.dates import local_today
from models import (
    Batch,
    Capability,
    Interest,
    Organisation,
    OrgKind,
    Recommendation,
    Scenario,
)
from support import login, make_org, make_user, post

CLOSED = "Closed (deadline passed)"


@pytest.fixture
def today(app):
    with app.app_context():
        return local_today()


@pytest.fixture
def lapsed(session, today):
    """A published scenario whose deadline was yesterday, and a firm whose capability fits it."""
    buyer = make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    scenario = published(
        session, Scenario, buyer, **{**OCR_SCENARIO_ROW, "deadline": today - timedelta(days=1)}
    )
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    capability = published(session, Capability, firm, **OCR_CAPABILITY_ROW)
    return scenario, make_user(session, firm), capability


def test_a_scenario_past_its_deadline_shows_as_closed_and_takes_no_interest(
    client, session, lapsed, today
):
    scenario, seller, capability = lapsed
    listing = client.get("/scenarios/?lang=en").get_data(as_text=True)
    assert scenario.title in listing and CLOSED in listing
    page = client.get(f"/scenarios/{scenario.id}").get_data(as_text=True)
    assert CLOSED in page and "(passed)" in page

    login(client, seller)
    page = client.get(f"/scenarios/{scenario.id}").get_data(as_text=True)
    assert "Express interest" not in page
    form = client.get(f"/interest/scenarios/{scenario.id}").get_data(as_text=True)
    assert "has passed; it takes no more interest" in form
    response = post(client, f"/interest/scenarios/{scenario.id}", {"capability": capability.id})
    assert response.status_code == 409
    assert "has passed" in response.get_data(as_text=True)
    assert session.exec(select(Interest)).all() == []

    # The deadline day itself still takes interest.
    scenario.deadline = today
    session.add(scenario)
    session.commit()
    assert CLOSED not in client.get(f"/scenarios/{scenario.id}").get_data(as_text=True)
    response = post(client, f"/interest/scenarios/{scenario.id}", {"capability": capability.id})
    assert response.status_code == 302


def test_the_owner_reads_its_lapsed_scenario_as_closed_in_its_own_list(client, session, lapsed):
    scenario, _, _ = lapsed
    login(client, make_user(session, session.get(Organisation, scenario.organisation_id)))
    mine = client.get("/scenarios/mine?lang=en").get_data(as_text=True)
    assert scenario.title in mine and CLOSED in mine and ">Published<" not in mine


def test_a_scenario_past_its_deadline_drops_out_of_recommendations(
    app, client, session, lapsed, today
):
    scenario, seller, capability = lapsed
    session.add(Recommendation(scenario_id=scenario.id, capability_id=capability.id, score=0.8))
    session.commit()
    login(client, seller)
    page = client.get(f"/capabilities/{capability.id}?lang=en").get_data(as_text=True)
    assert scenario.title not in page  # found before the deadline, no longer recommended
    client.post("/auth/logout", data={})
    login(client, official(session))
    queue = client.get("/review/?lang=en").get_data(as_text=True)
    assert scenario.title not in queue

    # The matcher itself leaves it out: a re-match recommends only the open scenario.
    buyer = session.get(Organisation, scenario.organisation_id)
    open_one = published(
        session,
        Scenario,
        buyer,
        **{**OCR_SCENARIO_ROW, "title": "政务材料OCR预审（二期）", "deadline": today},
    )
    with app.app_context():
        recommend.rematch_all(session)
    session.commit()
    found = {r.scenario_id for r in session.exec(select(Recommendation))}
    assert found == {open_one.id}


def test_posting_refuses_a_past_deadline_and_a_malformed_phone(app, client, session, today):
    buyer = make_user(session, make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心"))
    login(client, buyer)
    client.get("/?lang=en")
    yesterday = (today - timedelta(days=1)).isoformat()
    form = {**OCR_SCENARIO, "deadline": yesterday, "contact_phone": "023-670", "send": "y"}
    response = post(client, "/scenarios/new", form)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert (
        "The deadline has passed already" in text and "a phone number that can be dialled" in text
    )
    for phone in ("13800000000", "023-67000000", "023-67000000转123", "+86 13800000000"):
        good = {**form, "deadline": today.isoformat(), "contact_phone": phone}
        assert post(client, "/scenarios/new", good).status_code == 302, phone

    secret = tokens.issue(session, user=buyer, name="ERP").secret
    body = {
        "title": "园区能耗在线监测",
        "description": "工业园区需要对重点企业的水电气能耗进行在线监测、分析与预警，支撑节能改造。",
        "field": "工业互联网",
        "deadline": yesterday,
        "contact_phone": "call me",
    }
    response = client.post(
        "/api/v1/scenarios?lang=en", json=body, headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 422
    problems = {e["field"]: e["message"] for e in response.get_json()["errors"]}
    assert "has passed" in problems["deadline"] and "dialled" in problems["contact_phone"]

    before = session.exec(select(Scenario)).all()
    data = xlsx(
        [SCENARIO_HEADERS, scenario_row("智能工厂能耗监测", 截止日期=yesterday, 联系电话="12345")]
    )
    response = upload(client, "scenarios", data, "list.xlsx")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The deadline has passed already" in page and "dialled" in page
    assert session.exec(select(Scenario)).all() == before


def test_the_seed_lists_are_loaded_as_of_the_load_day(app, session):
    load_day = date(2031, 5, 20)
    with app.app_context():
        seeding.load(session, today=load_day)
    batches = {b.name: b for b in session.exec(select(Batch))}
    # Each batch on its own day, in the year its name says, not the day of loading.
    for name, batch in batches.items():
        assert batch.published_at.year == int(name[:4]) and batch.year == int(name[:4])
    newest = max(batches.values(), key=lambda b: b.published_at)
    scenarios = session.exec(select(Scenario).where(Scenario.status == "published")).all()
    for scenario in scenarios:
        assert scenario.published_at == batches_of(batches, scenario).published_at
    # The newest batch's scenarios are open; older ones partly closed, as on the day listed.
    newest_ones = [s for s in scenarios if s.batch_id == newest.id]
    assert newest_ones and all(s.deadline >= load_day for s in newest_ones)
    past = [s for s in scenarios if s.deadline < load_day]
    assert 0 < len(past) < len(scenarios)
    assert all(s.deadline.year >= 2030 for s in scenarios)


def batches_of(batches: dict[str, Batch], scenario: Scenario) -> Batch:
    return next(b for b in batches.values() if b.id == scenario.batch_id)


def test_the_status_filter_files_a_lapsed_scenario_under_closed(client, session, lapsed, today):
    scenario, _, _ = lapsed
    still_open = published(
        session,
        Scenario,
        make_org(session, OrgKind.demand, name="重庆市江北区城市管理局"),
        **{**OCR_SCENARIO, "title": "城区路灯远程监控", "deadline": today + timedelta(days=30)},
    )

    closed = client.get("/scenarios/?status=closed").get_data(as_text=True)
    open_ = client.get("/scenarios/?status=published").get_data(as_text=True)
    api = client.get("/api/v1/scenarios?status=closed").get_json()

    # What the card says (closed) and what the filter finds agree, on the page and the API.
    assert scenario.title in closed and still_open.title not in closed
    assert still_open.title in open_ and scenario.title not in open_
    assert [item["title"] for item in api["items"]] == [scenario.title]


def test_deadline_soonest_lists_the_open_scenarios_first_then_those_without_then_the_lapsed(
    app, client, session, today
):
    app.config["PAGE_SIZE"] = 2  # so the order runs across pages, read by their links
    buyer = make_org(session, OrgKind.demand)
    days = {"下周截止": 7, "明天截止": 1, "今天截止": 0, "上月已截止": -30, "昨天已截止": -1}
    for title, offset in days.items():
        make_scenario(session, buyer, title=title, deadline=today + timedelta(days=offset))
    make_scenario(session, buyer, title="长期征集", deadline=None)

    pages, last = walk(client, "/scenarios/?sort=deadline", "next")
    # Nearest deadline first; no deadline after the dated open ones; the lapsed last, the
    # most recently closed first.
    expected = ["今天截止", "明天截止", "下周截止", "长期征集", "昨天已截止", "上月已截止"]
    assert [title for page in pages for title in page] == expected
    numbered = [
        titles(client.get(f"/scenarios/?sort=deadline&page={n}", headers=HTMX).get_data(True))
        for n in (1, 2, 3)
    ]
    assert numbered == pages
    backwards, _ = walk(client, link(last, "prev"), "prev")
    assert backwards[::-1] == pages[:-1]
    api = client.get("/api/v1/scenarios?sort=deadline&per_page=50").get_json()
    assert [item["title"] for item in api["items"]] == expected
