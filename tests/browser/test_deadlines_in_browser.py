"""Deadlines in a real browser: a scenario past its deadline reads as closed (截止) in the list
and on its page and offers no 揭榜; a buyer posting a past deadline is told so by the form."""

from collections.abc import Callable
from datetime import datetime, timedelta

from playwright.sync_api import Page, expect
from posting_data import OCR_CAPABILITY_ROW, OCR_SCENARIO, OCR_SCENARIO_ROW, published

from in_browser import expect_refusal, sign_in
from models import Capability, OrgKind, Scenario
from pairings import LOCAL
from support import make_org, make_user


def test_a_lapsed_scenario_reads_as_closed_and_takes_no_interest(
    new_page: Callable[..., Page], session
):
    today = datetime.now(LOCAL).date()
    buyer = make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    lapsed = published(
        session, Scenario, buyer, **{**OCR_SCENARIO_ROW, "deadline": today - timedelta(days=1)}
    )
    open_one = published(
        session,
        Scenario,
        buyer,
        **{**OCR_SCENARIO_ROW, "title": "政务材料OCR预审（二期）", "deadline": today},
    )
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    published(session, Capability, firm, **OCR_CAPABILITY_ROW)

    visitor = new_page()  # Chinese, as the platform opens
    visitor.goto("/scenarios/")
    cards = visitor.locator("li.card")
    expect(cards.filter(has_text=lapsed.title).locator(".pill.status")).to_have_text("已截止")
    expect(cards.filter(has_text=open_one.title).locator(".pill.status")).to_have_count(0)

    seller = new_page(locale="en-GB")
    sign_in(seller, make_user(session, firm))
    seller.goto(f"/scenarios/{lapsed.id}?lang=en")
    expect(seller.locator(".meta .pill.status")).to_have_text("Closed (deadline passed)")
    expect(seller.get_by_role("link", name="Express interest")).to_have_count(0)
    seller.goto(f"/scenarios/{open_one.id}")
    expect(seller.get_by_role("link", name="Express interest")).to_be_visible()

    poster = new_page(locale="en-GB")
    sign_in(poster, make_user(session, buyer))
    poster.goto("/scenarios/new?lang=en")
    poster.get_by_label("Title").fill(OCR_SCENARIO["title"])
    poster.get_by_label("Description").fill(OCR_SCENARIO["description"])
    poster.get_by_label("Deadline").fill((today - timedelta(days=3)).isoformat())
    poster.get_by_label("Contact phone").fill("023-670")
    expect_refusal(poster, 422)
    poster.get_by_role("button", name="Save draft").click()
    # Each message beside its field, and both in the summary the page starts with.
    expect(poster.locator("#deadline-error")).to_contain_text("The deadline has passed already")
    phone = "Enter a phone number that can be dialled"
    expect(poster.locator("#contact_phone-error")).to_contain_text(phone)
    expect(poster.locator(".error-summary")).to_contain_text(phone)
    expect(poster.locator(".error-summary")).to_be_focused()
