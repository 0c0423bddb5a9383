"""An official assembles and publishes a batch in a real browser: a pairing that cannot go in
yet cannot be ticked and says why, and publishing first says what goes public and who is told."""

import re
from collections.abc import Callable

from platform_data import decide, ranked
from playwright.sync_api import Page, expect
from posting_data import matched_lists, official, scenarios_in_two_fields
from posting_data import sign_in as client_signed_in

from in_browser import sign_in
from models import Capability, CapabilityStatus, Organisation


def open_batch(page: Page, year: int) -> None:
    """Open the year's first batch through the form; the page it lands on assembles it."""
    page.goto("/batches/new")
    page.get_by_label("Year", exact=True).fill(str(year))
    page.get_by_label("Number within the year").fill("1")
    page.get_by_role("button", name="Open the batch").click()


def test_publishing_a_batch_says_what_goes_public_and_who_is_told_first(
    new_page: Callable[..., Page], app, session
):
    lists = matched_lists(app, session)
    desk_user = official(session)
    desk = client_signed_in(app, desk_user)
    best, second = ranked(session, lists.scenarios[0].id)[:2]
    decide(desk, best, "approve")
    decide(desk, second, "approve")
    # The second pairing's capability went back for changes after it was approved.
    held_back = session.get(Capability, second.capability_id)
    held_back.status = CapabilityStatus.submitted
    session.add(held_back)
    session.commit()
    scenario = lists.scenarios[0]
    chosen = session.get(Capability, best.capability_id)
    firm = session.get(Organisation, chosen.organisation_id)

    page = new_page(locale="en-GB")
    sign_in(page, desk_user)
    open_batch(page, 2023)
    pairings = page.get_by_role("group", name="Approved pairings")
    pairings.get_by_label(f"{scenario.title} ↔ {chosen.title}").check()
    # One of its entries is not published yet: it cannot be ticked, and says why.
    held = pairings.get_by_label(f"{scenario.title} ↔ {held_back.title}")
    expect(held).to_be_disabled()
    expect(held).to_have_accessible_name(re.compile("its capability is not yet published"))
    page.get_by_role("group", name="Published scenarios").get_by_label(
        lists.scenarios[1].title
    ).check()
    page.get_by_role("button", name="Add the ticked items").click()

    expect(page.get_by_role("status").first).to_contain_text("2 items added.")

    confirm = page.locator("details.confirm")
    expect(confirm.get_by_role("button", name="Yes, publish Batch 1 of 2023")).to_be_hidden()
    page.get_by_text("Publish Batch 1 of 2023…").click()
    # The pairing brings its scenario and capability along, beside the ticked scenario.
    expect(confirm).to_contain_text("makes public: 1 pairing, 2 scenarios and 1 capability")
    # No mail is set up in the tests, so only the inbox is promised.
    expect(confirm).to_contain_text("notified in their inbox: 2 organisations")
    expect(confirm.locator(".notified li")).to_have_text([lists.government.name, firm.name])
    confirm.get_by_role("button", name="Yes, publish Batch 1 of 2023").click()
    expect(page.get_by_role("status").first).to_contain_text("published with 1 pairing")


def test_an_official_ticks_every_scenario_of_one_field_into_a_batch_at_once(
    new_page: Callable[..., Page], app, session
):
    clinics, halls = scenarios_in_two_fields(session)
    desk_user = official(session)

    page = new_page(locale="en-GB")
    sign_in(page, desk_user)
    open_batch(page, 2024)
    page.get_by_label("Field").select_option(label="Smart healthcare")
    page.get_by_role("button", name="Show", exact=True).click()

    scenarios = page.get_by_role("group", name="Published scenarios")
    expect(scenarios.get_by_role("checkbox", name=halls[0].title)).to_have_count(0)
    scenarios.get_by_label("Tick all shown").check()
    for clinic in clinics:
        expect(scenarios.get_by_label(clinic.title)).to_be_checked()
    page.get_by_role("button", name="Add the ticked items").click()

    expect(page.get_by_role("status").first).to_contain_text("3 items added.")
    expect(page.get_by_label("Field")).to_have_value("智慧医疗")  # still narrowed
