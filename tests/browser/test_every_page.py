"""Every main page, as each kind of user sees it: no serious accessibility problem (axe-core:
labels, contrast, names, structure) on a desktop, and nothing that scrolls the page sideways
on a 375 px phone. The README's screenshots are taken on the way."""

from collections.abc import Callable
from urllib.parse import urlsplit

from platform_data import Platform, platform_in_use
from playwright.sync_api import Page, expect

from in_browser import (
    DESKTOP,
    PHONE,
    axe_violations,
    expect_refusal,
    screenshot,
    sideways_overflow,
    sign_in,
)

# Screenshots that show the whole page (the others show the first screen).
TALL = {"scenario-with-recommendations", "docking-timeline"}


def check(page: Page, path: str, shot: str | None = None) -> list[str]:
    """Open `path` on a desktop and on a phone; return what is wrong with it."""
    page.set_viewport_size(DESKTOP)
    page.goto(path)
    expect(page.locator("main h1").first).to_be_visible()
    problems = [f"{path}: {violation}" for violation in axe_violations(page)]
    if shot:
        screenshot(page, shot, full_page=shot in TALL)
    page.set_viewport_size(PHONE)
    if overflow := sideways_overflow(page):
        problems.append(f"{path}: scrolls sideways by {overflow}px on a phone")
    if shot == "review-queue":
        screenshot(page, "review-queue-phone", full_page=False)
    page.set_viewport_size(DESKTOP)
    return problems


def visit(page: Page, *paths: str, shots: dict[str, str] | None = None) -> list[str]:
    """Check every page of one user; `shots` names the pages the README shows."""
    return [problem for path in paths for problem in check(page, path, (shots or {}).get(path))]


def signed_in(new_page: Callable[..., Page], user) -> Page:  # type: ignore[no-untyped-def]
    """A desktop browser of its own, signed in as `user`, in the default language."""
    page = new_page(viewport=DESKTOP)
    sign_in(page, user, lang="zh")
    return page


def test_every_main_page_is_accessible_and_fits_a_phone(
    new_page: Callable[..., Page], app, session
):
    world: Platform = platform_in_use(app, session)
    scenario, capability = world.lists.scenarios[0], world.lists.capabilities[0]
    problems: list[str] = []

    visitor = new_page(viewport=DESKTOP)
    problems += visit(
        visitor,
        "/",
        "/scenarios/",
        "/capabilities/",
        f"/scenarios/{scenario.id}",
        f"/capabilities/{capability.id}",
        "/auth/login",
        "/auth/register",
        "/auth/join",
        "/batches/",
        f"/batches/{world.batch.id}",
        "/batches/pairings",
        "/statistics/",
        "/io/",
        "/api/v1/docs",
        shots={"/": "home", "/scenarios/": "scenarios"},
    )
    expect_refusal(visitor, 404)
    problems += check(visitor, "/no-such-page")

    buyer = signed_in(new_page, world.buyer)
    problems += visit(
        buyer,
        "/scenarios/new",
        "/scenarios/mine",
        f"/scenarios/{scenario.id}",
        "/docking/",
        f"/docking/{world.pairing.id}",
        "/inbox/",
        "/interest/received",
        "/auth/password",
        "/io/import/scenarios",
        shots={
            f"/scenarios/{scenario.id}": "scenario-with-recommendations",
            f"/docking/{world.pairing.id}": "docking-timeline",
        },
    )
    # The import's check page, for a file exported from the platform itself.
    exported = buyer.request.get("/io/export/scenarios.csv?mine=1")
    assert exported.ok
    buyer.goto("/io/import/scenarios")
    buyer.locator("input[type=file]").set_input_files(
        files=[{"name": "场景清单.csv", "mimeType": "text/csv", "buffer": exported.body()}]
    )
    buyer.locator("main form button[type=submit]").click()
    expect(buyer.locator("section.stats")).to_be_visible()
    problems += check(buyer, urlsplit(buyer.url).path)

    seller = signed_in(new_page, world.seller)
    problems += visit(
        seller,
        "/capabilities/new",
        "/capabilities/mine",
        f"/capabilities/{world.pairing.capability_id}",
        "/interest/mine",
        f"/interest/scenarios/{world.lists.scenarios[1].id}",
    )

    desk = signed_in(new_page, world.desk)
    problems += visit(
        desk,
        "/review/",
        "/review/submissions",
        "/batches/new",
        "/dashboard/",
        "/docking/reminders",
        "/audit/",
        "/admin/organisations",
        "/members/",
        "/account/tokens",
        shots={"/review/": "review-queue", "/dashboard/": "dashboard"},
    )
    desk.goto("/batches/new")
    desk.locator("#number").fill("2")
    desk.locator("main form button[type=submit]").click()
    problems += check(desk, urlsplit(desk.url).path)  # assembling the new batch

    admin = signed_in(new_page, world.admin)
    problems += check(admin, "/admin/users")

    assert problems == []


def test_english_pages_fit_the_screen_too(new_page: Callable[..., Page], app, session):
    world: Platform = platform_in_use(app, session)
    official = new_page(viewport=DESKTOP)
    sign_in(official, world.desk, lang="en")
    # English names are longer than Chinese ones: the tables beside the dashboards' charts
    # wrap their headings, and the lists' pills wrap on a phone, instead of widening the page.
    for viewport, paths in (
        (DESKTOP, ("/dashboard/", "/statistics/")),
        (PHONE, ("/scenarios/", "/capabilities/")),
    ):
        official.set_viewport_size(viewport)
        for path in paths:
            official.goto(path)
            expect(official.locator("main h1")).to_be_visible()
            assert sideways_overflow(official) == 0, path
    # A form's selects hold the longest names of all (Chongqing Economic and Technological
    # Development Zone): the form's groups shrink to the phone and the select with them.
    buyer = new_page(viewport=PHONE)
    sign_in(buyer, world.buyer, lang="en")
    buyer.goto("/scenarios/new")
    expect(buyer.locator("main h1")).to_be_visible()
    assert sideways_overflow(buyer) == 0
