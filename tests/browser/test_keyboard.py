"""An official works with the keyboard alone: signs in and decides pairings without a mouse,
and every stop on the way shows where the focus is."""

from playwright.sync_api import Page, expect
from posting_data import matched_lists, official

from support import PASSWORD

# What the focused element is, and whether a focus ring can be seen on it.
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 60),
    ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
  };
}"""


def tab_to(page: Page, selector: str, *, key: str = "Tab", most: int = 80) -> None:
    """Press Tab (or `key`) until the element matching `selector` has the focus.

    Every element the focus passes on the way must show a visible focus ring.
    """
    for _ in range(most):
        page.keyboard.press(key)
        focused = page.evaluate(FOCUSED)
        assert focused["tag"] != "body", "the focus fell out of the page"
        assert focused["ring"], f"no visible focus ring on {focused}"
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{most} × {key} never reached {selector}")


def test_an_official_signs_in_and_decides_pairings_with_the_keyboard_alone(
    page: Page, app, session
):
    matched_lists(app, session)
    me = official(session)
    page.goto("/?lang=en")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # hidden until focused, then on screen
    tab_to(page, "a[href$='/auth/login']")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    tab_to(page, "#email")
    page.keyboard.type(me.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(page.get_by_label("Keep me signed in on this device")).to_be_checked()
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    # The officials' work is in the Desk menu: it opens from the keyboard too.
    tab_to(page, ".nav .menu summary")
    page.keyboard.press("Enter")
    desk = page.locator(".nav .menu details")
    expect(desk).to_have_attribute("open", "")
    page.keyboard.press("Escape")  # closes it, the focus back on its label
    expect(desk).not_to_have_attribute("open", "")
    expect(page.locator(".nav .menu summary")).to_be_focused()
    page.keyboard.press("Enter")
    tab_to(page, "a[href$='/review/']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pairings to review")
    rows = page.locator("tr[id^=rec-]")
    first, second = rows.nth(0), rows.nth(1)
    first_id, second_id = first.get_attribute("id"), second.get_attribute("id")

    tab_to(page, f"#{first_id} button[value=approve]")
    page.keyboard.press("Enter")
    expect(page.locator(f"#{first_id} .pill.status")).to_have_text("Approved")

    # The focus stays in the queue after the row is swapped: onwards to the next pairing,
    # past its Reject button, and back (Shift+Tab) to the note a rejection needs.
    tab_to(page, f"#{second_id} button[value=reject]")
    tab_to(page, f"#{second_id} input[name=note]", key="Shift+Tab", most=3)
    page.keyboard.type("与场景需求不符")
    tab_to(page, f"#{second_id} button[value=reject]", most=3)
    page.keyboard.press("Enter")
    expect(page.locator(f"#{second_id} .pill.status")).to_have_text("Rejected")
    expect(page.locator(f"#{second_id}")).to_contain_text("与场景需求不符")
