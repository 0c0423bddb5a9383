"""Saved searches in a real browser: a firm saves its search from the scenario list in one
click, then renames it, asks to be told at once, follows what fits it and deletes a search,
all on one page without leaving it."""

from collections.abc import Callable
from urllib.parse import unquote_plus

from playwright.sync_api import Page, expect
from posting_data import OCR_CAPABILITY_ROW, OCR_SCENARIO_ROW, member_of, published
from sqlmodel import select

from in_browser import (
    DESKTOP,
    PHONE,
    axe_violations,
    expect_refusal,
    sideways_overflow,
    sign_in,
)
from models import Capability, Organisation, OrgKind, SavedSearch, Scenario


def test_a_firm_saves_edits_follows_and_deletes_searches_on_one_page(
    new_page: Callable[..., Page], session
):
    buyer = member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心")
    published(
        session, Scenario, session.get(Organisation, buyer.organisation_id), **OCR_SCENARIO_ROW
    )
    firm = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    published(
        session, Capability, session.get(Organisation, firm.organisation_id), **OCR_CAPABILITY_ROW
    )

    page = new_page(viewport=DESKTOP)
    sign_in(page, firm)
    page.goto("/scenarios/?q=OCR")
    feed = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    expect(feed).to_have_attribute("href", "/feeds/scenarios.atom?q=OCR")
    # Live search changes the query; the control saves what is on screen now.
    page.get_by_label("Search").fill("OCR 预审")
    page.wait_for_url(lambda url: "预审" in unquote_plus(url))  # the live search has answered
    expect(page.locator("#results")).to_contain_text(OCR_SCENARIO_ROW["title"])
    page.get_by_role("button", name="Save this search").click()
    expect(page.get_by_role("status")).to_contain_text("Saved as “OCR 预审”.")

    page.get_by_role("link", name="Saved searches").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Saved searches")
    card = page.locator("#saved-searches > li").filter(has_text="OCR 预审")
    expect(card).to_contain_text("Daily digest")

    # Edit in place: the form replaces the card, and the saved card comes back.
    card.get_by_role("link", name="Edit").click()
    form = page.locator("#saved-searches form")
    form.get_by_label("Name").fill("政务OCR")
    form.get_by_label("Immediately").check()
    form.locator("summary").click()
    form.get_by_role("group", name="Fields").get_by_label("Smart government", exact=True).check()
    form.get_by_role("button", name="Save changes").click()
    card = page.locator("#saved-searches > li").filter(has_text="政务OCR")
    expect(card).to_contain_text("Immediately")
    expect(card).to_contain_text("Smart government")
    expect(page).to_have_url("/alerts/")  # never left the page

    # A mistake is shown beside its field, in place, and nothing is saved.
    card.get_by_role("link", name="Edit").click()
    form = page.locator("#saved-searches form")
    form.get_by_label("Name").fill("")
    expect_refusal(page, 422)
    form.get_by_role("button", name="Save changes").click()
    expect(form.locator(".error")).to_contain_text("This field is required.")
    form.get_by_role("link", name="Cancel").click()
    expect(page.locator("#saved-searches > li").filter(has_text="政务OCR")).to_be_visible()

    page.get_by_role("button", name="Follow new scenarios that fit my capabilities").click()
    expect(page.get_by_role("status")).to_contain_text("New scenarios that fit my capabilities")
    expect(page.locator("#saved-searches > li")).to_have_count(2)

    problems = axe_violations(page)
    page.set_viewport_size(PHONE)
    assert sideways_overflow(page) == 0
    page.set_viewport_size(DESKTOP)
    assert problems == []

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#saved-searches > li").filter(has_text="政务OCR").get_by_role(
        "button", name="Delete “政务OCR”"
    ).click()
    # Its card gives way to the news of it; the other stays.
    expect(page.locator("#saved-searches > li.removed")).to_contain_text(
        "Saved search “政务OCR” is deleted."
    )
    expect(page.locator("#saved-searches > li:not(.removed)")).to_have_count(1)
    session.expire_all()
    remaining = session.exec(select(SavedSearch)).all()
    assert [s.name for s in remaining] == ["New scenarios that fit my capabilities"]

    # The remaining search's page lists what it finds, with its feed once it is public.
    page.get_by_role("link", name="New scenarios that fit my capabilities").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "New scenarios that fit my capabilities"
    )
    assert axe_violations(page) == []
