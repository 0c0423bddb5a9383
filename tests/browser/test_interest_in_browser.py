"""A firm expresses interest (揭榜) in a real browser: the form offers first the capability the
matcher pairs best with the scenario, with its score and why."""

from collections.abc import Callable

from playwright.sync_api import Page, expect
from posting_data import SLOPE_CAPABILITY, matched_lists, published
from sqlmodel import select

from in_browser import sign_in
from models import Capability, Interest


def test_the_interest_form_preselects_the_firms_capability_recommended_for_the_scenario(
    new_page: Callable[..., Page], app, session
):
    lists = matched_lists(app, session)
    ocr_firm, ocr_capability = lists.firms[0], lists.capabilities[0]
    # The firm also offers a capability unrelated to the scenario, listed first by its title.
    unrelated = published(
        session, Capability, ocr_firm, **{**SLOPE_CAPABILITY, "title": "3D矿山边坡位移监测预警系统"}
    )
    assert app.test_cli_runner().invoke(args=["match"]).exit_code == 0

    page = new_page(locale="en-GB")
    sign_in(page, lists.firm_users[0])
    page.goto(f"/scenarios/{lists.scenarios[0].id}")
    page.get_by_role("link", name="Express interest").click()

    choices = page.get_by_role("group", name="Which of your capabilities answers this scenario?")
    best = choices.get_by_role("radio", name=ocr_capability.title)
    expect(best).to_be_checked()
    expect(choices.get_by_role("radio", name=unrelated.title)).not_to_be_checked()
    offered = choices.locator(".check-row").first
    expect(offered).to_contain_text(ocr_capability.title)
    expect(offered).to_contain_text("Match score")
    expect(offered).to_contain_text("Recommended for this scenario")
    expect(offered.locator(".why")).to_contain_text("OCR")
    expect(choices.locator(".check-row").last).to_contain_text(unrelated.title)

    page.get_by_role("button", name="Send interest").click()
    expect(page.get_by_role("status").first).to_contain_text("Your interest is sent")
    session.expire_all()
    interest = session.exec(select(Interest)).one()
    assert interest.capability_id == ocr_capability.id
