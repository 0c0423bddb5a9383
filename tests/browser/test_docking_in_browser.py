"""Both parties of a published pairing record the docking in a real browser, step by step to
a signed contract, and each sees the other's steps."""

from collections.abc import Callable

from playwright.sync_api import Page, expect

from in_browser import sign_in
from pairings import make_published_pairing


def open_timeline(page: Page, scenario_title: str) -> None:
    """From the menu to the pairing's follow-up page."""
    page.get_by_role("navigation").get_by_role("link", name="My pairings").click()
    row = page.get_by_role("row").filter(has_text=scenario_title)
    row.get_by_role("link", name="Open the timeline").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Docking follow-up")


def record(page: Page, stage: str, note: str, amount: str = "") -> None:
    """Fill the step form and send it; the timeline is swapped in place."""
    form = page.locator("#record-step")
    form.get_by_label("Stage").select_option(label=stage)
    if amount:
        form.get_by_label("Contract amount (10,000 yuan)").fill(amount)
    form.get_by_label("Note").fill(note)
    form.get_by_role("button", name="Record step").click()


def test_both_parties_follow_a_pairing_to_a_signed_contract(new_page: Callable[..., Page], session):
    story = make_published_pairing(session)
    buyer, seller = new_page(locale="en-GB"), new_page(locale="en-GB")
    sign_in(buyer, story.buyer)
    sign_in(seller, story.seller)
    steps = {page: page.locator("ol.timeline > li") for page in (buyer, seller)}

    open_timeline(buyer, story.scenario.title)
    expect(buyer.get_by_text("No progress recorded yet.")).to_be_visible()
    buyer.evaluate("window.stillTheSamePage = true")
    record(buyer, "Contacted", "电话沟通了影像数据接口需求")
    expect(steps[buyer]).to_have_count(1)
    expect(steps[buyer].first).to_contain_text(f"recorded by 测试用户, {story.demand.name}")

    open_timeline(seller, story.scenario.title)
    expect(steps[seller]).to_have_count(1)
    expect(steps[seller].first).to_contain_text("电话沟通了影像数据接口需求")
    record(seller, "Negotiating", "已提交技术方案与报价")
    expect(steps[seller]).to_have_count(2)

    # The buyer has not reloaded; its next step brings the seller's along with it.
    record(buyer, "Signed", "合同已签订", amount="128.5")
    expect(steps[buyer]).to_have_count(3)
    expect(steps[buyer].nth(1)).to_contain_text(f"recorded by 测试用户, {story.supply.name}")
    expect(steps[buyer].nth(2)).to_contain_text("Contract amount: 128.5 × 10,000 yuan")
    assert buyer.evaluate("window.stillTheSamePage") is True
    expect(buyer.locator("#record-step")).to_have_count(0)  # signed is the last step

    # The amount was mistyped: the buyer corrects its step in place; the original stays.
    buyer.get_by_text("Correct this step").click()
    correction = buyer.locator("#correct-step")
    correction.get_by_label("Contract amount (10,000 yuan)").fill("12.85")
    correction.get_by_role("button", name="Save correction").click()
    expect(steps[buyer].nth(2)).to_contain_text("Contract amount: 12.85 × 10,000 yuan")
    expect(steps[buyer].nth(2)).to_contain_text("Corrects the step recorded in error: Signed")
    assert buyer.evaluate("window.stillTheSamePage") is True

    seller.reload()
    expect(steps[seller]).to_have_count(3)
    expect(steps[seller].last.locator(".pill")).to_have_text("Signed")
    expect(steps[seller].last).to_contain_text("Contract amount: 12.85 × 10,000 yuan")
    expect(seller.locator("#docking form")).to_have_count(0)  # nor may it correct the buyer's
    seller.get_by_role("navigation").get_by_role("link", name="My pairings").click()
    expect(seller.get_by_role("row").filter(has_text=story.scenario.title)).to_contain_text(
        "Signed"
    )
