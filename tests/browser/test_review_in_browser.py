"""Officials review pairings in a real browser: inline decisions swap one row without a reload,
a batch makes the approved pairing public, and two officials on the same pairing learn who
decided first."""

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect
from posting_data import matched_lists, official

from in_browser import expect_refusal, from_desk, sign_in


def two_officials_on_the_queue(new_page: Callable[..., Page], app, session) -> tuple[Page, Page]:
    """Two officials, each in a browser of their own, looking at the same review queue."""
    matched_lists(app, session)
    pages = new_page(locale="en-GB"), new_page(locale="en-GB")
    for page in pages:
        sign_in(page, official(session))
        page.goto("/review/")
    return pages


def test_an_official_approves_inline_and_publishes_a_batch_the_public_can_see(
    new_page: Callable[..., Page], app, session
):
    matched_lists(app, session)
    page = new_page(locale="en-GB")
    sign_in(page, official(session))
    # The Desk menu closes on a click elsewhere, as menus do.
    page.get_by_text("Desk", exact=True).click()
    expect(page.locator(".nav .menu details")).to_have_attribute("open", "")
    page.locator("main h1").click()
    expect(page.locator(".nav .menu details")).not_to_have_attribute("open", "")
    from_desk(page, "Pairings to review")
    rows = page.locator("tr[id^=rec-]")
    expect(rows.first).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")

    first = rows.nth(0)
    scenario = first.locator("td").nth(1).get_by_role("link").inner_text()
    capability = first.locator("td").nth(2).get_by_role("link").inner_text()
    first.get_by_role("button", name="Approve").click()
    expect(first.locator(".pill.status")).to_have_text("Approved")
    expect(first.get_by_role("button", name="Approve")).to_have_count(0)
    page.get_by_label("District").select_option("南岸区")
    expect(page).to_have_url(re.compile(r"district=%E5%8D%97%E5%B2%B8%E5%8C%BA"))
    assert page.evaluate("window.stillTheSamePage") is True  # every step swapped fragments only

    page.get_by_role("link", name="Batches").click()
    page.get_by_role("link", name="Open a new batch").click()
    page.get_by_label("Year", exact=True).fill("2023")
    page.get_by_label("Number within the year").fill("1")
    page.get_by_role("button", name="Open the batch").click()
    page.get_by_role("group", name="Approved pairings").get_by_label(
        f"{scenario} ↔ {capability}"
    ).check()
    page.get_by_role("button", name="Add the ticked items").click()
    expect(page.get_by_role("status").first).to_contain_text("1 item added.")
    page.get_by_text("Publish Batch 1 of 2023…").click()
    page.get_by_role("button", name="Yes, publish Batch 1 of 2023").click()
    expect(page.get_by_role("status").first).to_contain_text("published with 1 pairing")

    public = new_page(locale="en-GB")
    public.goto("/batches/?lang=en")
    public.get_by_role("link", name="Batch 1 of 2023").click()
    pairing = public.locator("li.pairing")
    expect(pairing).to_have_count(1)
    expect(pairing.get_by_role("heading")).to_have_text(f"{scenario} ↔ {capability}")
    expect(pairing.locator(".why")).not_to_be_empty()
    pairing.get_by_role("link", name=scenario).click()
    published = public.locator("section.pairings")
    expect(published.get_by_role("heading", name="Published pairings")).to_be_visible()
    expect(published.get_by_role("link", name=capability)).to_be_visible()


def test_two_officials_deciding_the_same_pairing_learn_who_was_first(
    new_page: Callable[..., Page], app, session
):
    mine, theirs = two_officials_on_the_queue(new_page, app, session)
    row_id = mine.locator("tr[id^=rec-]").nth(1).get_attribute("id")

    # Both see the pairing undecided; the colleague approves it first.
    theirs.locator(f"#{row_id}").get_by_role("button", name="Approve").click()
    expect(theirs.locator(f"#{row_id} .pill.status")).to_have_text("Approved")

    expect_refusal(mine, 409)
    row = mine.locator(f"#{row_id}")
    row.get_by_label("Note (needed to reject)").fill("不合适")
    row.get_by_role("button", name="Reject").click()
    expect(row.locator(".conflict")).to_contain_text("Another official decided this pairing first.")
    expect(row.locator(".pill.status")).to_have_text("Approved")
    expect(row.get_by_role("button", name="Reject")).to_have_count(0)


def test_a_note_typed_into_a_row_stays_until_the_official_rejects(
    new_page: Callable[..., Page], app, session
):
    matched_lists(app, session)
    page = new_page(locale="en-GB")
    sign_in(page, official(session))
    page.goto("/review/")
    row = page.locator("tr[id^=rec-]").first
    listed = []
    page.on("request", lambda r: "/review/?" in r.url and listed.append(r.url))

    note = row.get_by_label("Note (needed to reject)")
    note.press_sequentially("与场景需求不符", delay=20)
    page.wait_for_timeout(1_000)  # longer than the filters' 400 ms pause
    expect(note).to_have_value("与场景需求不符")
    assert listed == []  # typing a note refreshes nothing
    row.get_by_role("button", name="Reject").click()
    expect(row.locator(".pill.status")).to_have_text("Rejected")
    expect(row.locator(".note")).to_contain_text("与场景需求不符")

    # The filters themselves still refresh the list as the official types.
    page.get_by_label("Score from").fill("50")
    expect(page.locator("tr[id^=rec-]")).to_have_count(0)
    assert listed != []
    # A score as the rows show it (two decimals) is a value the box takes.
    page.get_by_label("Score up to").fill("0.41")
    assert page.get_by_label("Score up to").evaluate("box => box.checkValidity()")


def test_a_conflict_message_stays_while_the_official_types_elsewhere(
    new_page: Callable[..., Page], app, session
):
    mine, theirs = two_officials_on_the_queue(new_page, app, session)
    rows = mine.locator("tr[id^=rec-]")
    first, second = rows.nth(0).get_attribute("id"), rows.nth(1).get_attribute("id")
    theirs.locator(f"#{first}").get_by_role("button", name="Approve").click()
    expect(theirs.locator(f"#{first} .pill.status")).to_have_text("Approved")

    expect_refusal(mine, 409)
    mine.locator(f"#{first}").get_by_role("button", name="Approve").click()
    conflict = mine.locator(f"#{first} .conflict")
    expect(conflict).to_contain_text("Another official decided this pairing first.")
    mine.locator(f"#{second}").get_by_label("Note (needed to reject)").press_sequentially(
        "再看看", delay=20
    )
    mine.get_by_label("Note for the ticked pairings").press_sequentially("批量", delay=20)
    mine.wait_for_timeout(1_000)
    expect(conflict).to_contain_text("Another official decided this pairing first.")
    expect(mine.locator(f"#{second}").get_by_label("Note (needed to reject)")).to_have_value(
        "再看看"
    )


def test_an_official_searches_the_queue_ticks_the_page_and_sees_how_many_are_ticked(
    new_page: Callable[..., Page], app, session
):
    lists = matched_lists(app, session)
    page = new_page(locale="en-GB")
    sign_in(page, official(session))
    page.goto("/review/")
    rows = page.locator("tr[id^=rec-]")
    everything = rows.count()
    assert everything > 2

    # A firm's name narrows the queue to its pairings, and the URL keeps the search.
    invoice_firm = lists.firms[2].name  # 重庆票通信息技术有限公司
    page.get_by_label("Scenario, capability or organisation").fill("票通")
    expect(page).to_have_url(re.compile(r"q=%E7%A5%A8%E9%80%9A"))
    expect(rows).not_to_have_count(everything)
    for n in range(rows.count()):
        expect(rows.nth(n)).to_contain_text(invoice_firm)
    found = rows.count()
    assert found >= 2
    # A capability's words find it too, and Traditional input alike.
    page.get_by_label("Scenario, capability or organisation").fill("票據OCR")
    # The pushed URL says the list on the page answers this search, not the one before.
    expect(page).to_have_url(re.compile(r"q=%E7%A5%A8%E6%93%9AOCR"))
    expect(rows.first).to_contain_text("票据OCR识别与财务材料审核")

    page.get_by_label("Scenario, capability or organisation").fill("票通")
    expect(page).to_have_url(re.compile(r"q=%E7%A5%A8%E9%80%9A(&|$)"))
    expect(rows).to_have_count(found)
    count = page.locator("#picked-count")
    expect(count).to_have_text("0")
    page.get_by_label("Tick every pairing on this page").check()
    expect(count).to_have_text(str(found))
    for n in range(found):
        expect(rows.nth(n).locator("input[name=pick]")).to_be_checked()
    rows.first.locator("input[name=pick]").uncheck()
    expect(count).to_have_text(str(found - 1))
    expect(page.get_by_label("Tick every pairing on this page")).not_to_be_checked()

    page.get_by_role("button", name="Approve ticked").click()
    expect(page.locator("p.flash").first).to_contain_text(f"{found - 1} pairing")
    expect(page.get_by_label("Scenario, capability or organisation")).to_have_value("票通")
