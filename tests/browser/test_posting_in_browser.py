"""Posting in a real browser: a firm registers and is verified, then both sides post an entry
through the form and see what the matcher recommends for it right after submitting."""

from collections.abc import Callable

from playwright.sync_api import Page, expect
from posting_data import (
    INVOICE_CAPABILITY,
    KIOSK_CAPABILITY,
    OCR_CAPABILITY,
    OCR_CAPABILITY_ROW,
    OCR_SCENARIO,
    OCR_SCENARIO_ROW,
    SLOPE_CAPABILITY,
    official,
    published,
)

from in_browser import from_desk, sign_in
from models import Capability, OrgKind, Scenario
from support import PASSWORD, make_credit_code, make_org, make_user


def test_a_firm_registers_is_verified_and_sees_scenarios_recommended_for_its_capability(
    new_page: Callable[..., Page], session
):
    buyer = make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    published(session, Scenario, buyer, **OCR_SCENARIO_ROW)
    desk_user = official(session)

    firm = new_page(locale="en-GB")
    firm.goto("/auth/register?lang=en")
    firm.get_by_label("Organisation name").fill("重庆星河软件有限公司")
    firm.get_by_label("We are").select_option("supply")
    firm.get_by_label("Unified social credit code").fill(make_credit_code())
    firm.get_by_label("District").select_option("两江新区")
    firm.get_by_label("Your name").fill("李工")
    firm.get_by_label("E-mail").fill("li@xinghe.example.cn")
    firm.get_by_label("Password", exact=True).fill(PASSWORD)
    firm.get_by_label("Repeat password").fill(PASSWORD)
    firm.get_by_role("button", name="Register").click()
    expect(firm.get_by_role("status")).to_contain_text("An official will verify")
    # Signed in at once; not verified yet: the firm is told so, and may prepare drafts.
    expect(firm.get_by_role("button", name="Sign out")).to_be_visible()
    expect(firm.get_by_role("region", name="Verification")).to_contain_text(
        "is waiting for an official to verify it"
    )

    desk = new_page(locale="en-GB")
    sign_in(desk, desk_user)
    from_desk(desk, "Verification")
    desk.get_by_role("button", name="Verify 重庆星河软件有限公司").click()
    expect(desk.get_by_role("status")).to_contain_text("重庆星河软件有限公司 is verified.")

    firm.reload()
    firm.get_by_role("link", name="My capabilities").click()
    firm.get_by_role("link", name="Add a capability").click()
    firm.get_by_label("Title").fill(OCR_CAPABILITY["title"])
    firm.get_by_label("Summary").fill(OCR_CAPABILITY["summary"])
    firm.get_by_label("Description").fill(OCR_CAPABILITY["description"])
    firm.get_by_label("Field").select_option(OCR_CAPABILITY["field"])
    firm.get_by_label("District").select_option(OCR_CAPABILITY["district"])
    firm.get_by_label("Tags").fill(OCR_CAPABILITY["tags"])
    firm.get_by_label("Products").fill(OCR_CAPABILITY["products"])
    firm.get_by_label("Reference cases").fill(OCR_CAPABILITY["cases"])
    # The English page names OCR_CAPABILITY's qualifications (高新技术企业, 专精特新) in English.
    qualifications = firm.get_by_role("group", name="Qualifications")
    for label in ("High-tech enterprise", "Specialised and innovative SME ('Zhuanjingtexin')"):
        qualifications.get_by_label(label, exact=True).check()
    firm.get_by_role("button", name="Save and submit for review").click()

    expect(firm.get_by_role("heading", level=1)).to_have_text(OCR_CAPABILITY["title"])
    expect(firm.get_by_text("Submitted: an official will review it")).to_be_visible()
    recommended = firm.locator("section.pairings")
    expect(recommended.get_by_role("heading", name="Recommended scenarios")).to_be_visible()
    card = recommended.locator("li.pairing").filter(has_text=OCR_SCENARIO["title"])
    expect(card.locator(".why")).to_contain_text("Matched tags:")
    expect(card.locator(".why")).to_contain_text("OCR")
    expect(card).to_contain_text("重庆市渝北区政务服务中心")


def test_a_state_enterprise_posts_a_problem_and_sees_fitting_capabilities_at_once(
    page: Page, session
):
    for name, row in [
        ("重庆星河软件有限公司", OCR_CAPABILITY_ROW),
        ("重庆云端终端科技有限公司", KIOSK_CAPABILITY),
        ("重庆票通信息技术有限公司", INVOICE_CAPABILITY),
        ("重庆北斗物联科技有限公司", SLOPE_CAPABILITY),
    ]:
        published(session, Capability, make_org(session, OrgKind.supply, name=name), **row)
    enterprise = make_user(
        session, make_org(session, OrgKind.demand, name="重庆两江政务服务集团有限公司")
    )

    sign_in(page, enterprise)
    page.get_by_role("link", name="My scenarios").click()
    page.get_by_role("link", name="Post a scenario").click()
    form = page.locator("form.entry-form")
    for label, name in [
        ("Title", "title"),
        ("Summary", "summary"),
        ("The problem", "problem"),
        ("Who it is for", "target_users"),
        ("How it is done today", "current_state"),
        ("Expected outcome", "expected_outcome"),
        ("Description", "description"),
        ("Tags", "tags"),
        ("Budget from (10,000 yuan)", "budget_min_wan"),
        ("Budget up to (10,000 yuan)", "budget_max_wan"),
        ("Contact person", "contact_name"),
    ]:
        form.get_by_label(label, exact=True).fill(OCR_SCENARIO[name])
    form.get_by_label("Field").select_option(OCR_SCENARIO["field"])
    form.get_by_label("District").select_option(OCR_SCENARIO["district"])
    form.get_by_label("Deadline").fill(OCR_SCENARIO["deadline"])
    form.get_by_role("button", name="Save and submit for review").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(OCR_SCENARIO["title"])
    for heading, text in [
        ("The problem", OCR_SCENARIO["problem"]),
        ("Who it is for", OCR_SCENARIO["target_users"]),
        ("How it is done today", OCR_SCENARIO["current_state"]),
        ("Expected outcome", OCR_SCENARIO["expected_outcome"]),
    ]:
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        expect(page.get_by_text(text)).to_be_visible()
    recommended = page.locator("section.pairings")
    expect(recommended.get_by_role("heading", name="Recommended capabilities")).to_be_visible()
    cards = recommended.locator("li.pairing")
    expect(cards.first).to_contain_text("OCR")
    titles = cards.locator("h3").all_inner_texts()
    # The OCR offers come first; a mine-slope sensor, if listed at all, comes after them.
    assert set(titles[:3]) == {
        OCR_CAPABILITY["title"],
        KIOSK_CAPABILITY["title"],
        INVOICE_CAPABILITY["title"],
    }
    # Each card says why; the OCR offers share real terms, a weaker one says honestly how little.
    for card in cards.all()[:3]:
        expect(card.locator(".why")).to_contain_text("Shared key terms:")
    for card in cards.all()[3:]:
        expect(card.locator(".why")).not_to_be_empty()
