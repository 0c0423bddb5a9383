"""Lists a user can grow come a page at a time and can be searched: a firm with hundreds of
capabilities, a buyer with hundreds of scenarios, officials with a long review backlog."""

import re

import pytest
from listdata import make_capability, make_scenario
from posting_data import official, sign_in
from sqlmodel import Session

from models import Organisation, OrgKind
from support import make_org, make_user

PAGE = 5


@pytest.fixture
def small_pages(app):
    app.config["PAGE_SIZE"] = PAGE


def titles(html: str) -> list[str]:
    return re.findall(r'<a href="/(?:scenarios|capabilities)/\d+">([^<]+)</a>', html)


def post_many(session: Session, org: Organisation, kind: str, count: int, status: str, **extra):
    make = make_scenario if kind == "scenarios" else make_capability
    return [
        make(session, org, title=f"数字孪生平台第{n:03d}号", status=status, **extra)
        for n in range(count)
    ]


@pytest.mark.parametrize(
    "kind, side", [("capabilities", OrgKind.supply), ("scenarios", OrgKind.demand)]
)
def test_an_organisations_own_list_comes_a_page_at_a_time_and_is_searchable(
    app, session, small_pages, kind, side
):
    org = make_org(session, side)
    post_many(session, org, kind, 2 * PAGE + 2, "draft")
    make = make_scenario if kind == "scenarios" else make_capability
    make(session, org, title="边坡地质灾害监测预警", status="draft")
    browser = sign_in(app, make_user(session, org))

    first = browser.get(f"/{kind}/mine").get_data(as_text=True)
    assert len(titles(first)) == PAGE and "Page 1 of 3" in first and "13 entries" in first
    last = browser.get(f"/{kind}/mine?page=3").get_data(as_text=True)
    assert len(titles(last)) == 3 and "Page 3 of 3" in last
    assert set(titles(first)).isdisjoint(titles(last))

    found = browser.get(f"/{kind}/mine?q=边坡").get_data(as_text=True)
    assert titles(found) == ["边坡地质灾害监测预警"]
    assert "Nothing of yours matches" in browser.get(f"/{kind}/mine?q=区块链").get_data(
        as_text=True
    )


def test_the_officials_backlog_of_submissions_comes_a_page_at_a_time(app, session, small_pages):
    buyer, firm = make_org(session, OrgKind.demand), make_org(session, OrgKind.supply)
    post_many(session, buyer, "scenarios", 2 * PAGE + 1, "submitted")
    post_many(session, firm, "capabilities", PAGE + 1, "submitted")
    make_capability(session, firm, title="边坡地质灾害监测预警", status="submitted")
    browser = sign_in(app, official(session))

    first = browser.get("/review/submissions").get_data(as_text=True)
    assert len(titles(first)) == 2 * PAGE  # a page of each kind
    assert "Scenarios (11)" in first and "Capabilities (7)" in first
    assert "scenarios_page=2" in first and "capabilities_page=2" in first

    moved = browser.get("/review/submissions?scenarios_page=3&capabilities_page=2")
    html = moved.get_data(as_text=True)
    assert len(titles(html)) == 1 + 2
    assert (
        "scenarios_page=2" in html and "capabilities_page=1" in html
    )  # each pager keeps the other

    found = browser.get("/review/submissions?q=边坡").get_data(as_text=True)
    assert titles(found) == ["边坡地质灾害监测预警"]
    assert "Nothing waiting matches" in found  # no scenario has the word
