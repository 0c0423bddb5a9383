"""A visitor finds what was published: the batches and their pairings from the menu, with the
same figures on the batch list as on the statistics page."""

from playwright.sync_api import Page, expect

from models import CapabilityStatus, ScenarioStatus
from pairings import make_capability, make_published_pairing, make_scenario


def test_a_visitor_finds_the_batches_and_the_published_pairings_from_the_menu(page: Page, session):
    published = make_published_pairing(session)
    batch = published.batch
    # The batch publishes its pairing's two entries; the seed lists also mark drafts, entries
    # under review and a withdrawn capability with a batch, which publishes none of them.
    held = [published.scenario, published.capability]
    held += [
        make_scenario(session, published.demand, title="排水管网巡检", status=status)
        for status in (ScenarioStatus.draft, ScenarioStatus.submitted)
    ]
    held.append(make_capability(session, published.supply, status=CapabilityStatus.withdrawn))
    for entry in held:
        entry.batch_id = batch.id
    session.commit()

    page.goto("/?lang=en")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Batches").click()
    card = page.locator(".card", has=page.get_by_role("link", name=batch.name))
    expect(card.locator(".meta")).to_contain_text("1 pairing")
    expect(card.locator(".meta")).to_contain_text("1 scenario")
    expect(card.locator(".meta")).to_contain_text("1 capability")
    card.get_by_role("link", name=batch.name).click()
    expect(page.get_by_role("heading", name="Scenarios (1)")).to_be_visible()
    expect(page.get_by_role("link", name="排水管网巡检")).to_have_count(0)

    page.get_by_role("link", name="Statistics").click()
    by_batch = page.locator("section", has=page.get_by_role("heading", name="By batch"))
    row = by_batch.get_by_role("row", name=batch.name)
    # Scenarios, capabilities, published pairings: as the batch list counted them.
    expect(row.locator("td").nth(0)).to_have_text("1")
    expect(row.locator("td").nth(1)).to_have_text("1")
    expect(row.locator("td").nth(2)).to_have_text("1")

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Published pairings"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Published pairings")
    pairing = page.locator("li.pairing")
    expect(pairing).to_have_count(1)
    expect(pairing.get_by_role("heading")).to_have_text(
        f"{published.scenario.title} ↔ {published.capability.title}"
    )
    pairing.get_by_role("link", name=batch.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(batch.name)
