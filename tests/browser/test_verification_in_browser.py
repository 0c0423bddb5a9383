"""A firm waiting for verification, in a real browser: it is told what happens next, prepares a
draft, reads an official's refusal and its reason in its inbox, and submits once verified."""

from collections.abc import Callable

from playwright.sync_api import Page, expect
from posting_data import OCR_CAPABILITY, official

from in_browser import from_desk, sign_in
from models import OrgKind
from support import make_org, make_user


def test_a_waiting_firm_drafts_is_refused_with_a_reason_then_verified_and_submits(
    new_page: Callable[..., Page], session
):
    org = make_org(session, OrgKind.supply, verified=False, name="重庆星河软件有限公司")
    firm_user = make_user(session, org, email="li@xinghe.example.cn")
    desk_user = official(session)

    firm = new_page(locale="en-GB")
    sign_in(firm, firm_user)
    notice = firm.get_by_role("region", name="Verification")
    expect(notice).to_contain_text("重庆星河软件有限公司 is waiting for an official to verify it")
    expect(notice).to_contain_text("Meanwhile you can prepare drafts")

    notice.get_by_role("link", name="Add a capability").click()  # the way on, from the notice
    form = firm.locator("form.entry-form")
    form.get_by_label("Title").fill(OCR_CAPABILITY["title"])
    form.get_by_label("Description").fill(OCR_CAPABILITY["description"])
    form.get_by_label("Field").select_option(OCR_CAPABILITY["field"])
    expect(form.get_by_role("button", name="Save and submit for review")).to_have_count(0)
    form.get_by_role("button", name="Save draft").click()
    expect(firm.get_by_role("status").first).to_contain_text(
        "You can submit it for review once an official has verified your organisation"
    )
    expect(firm.get_by_role("heading", level=1)).to_have_text(OCR_CAPABILITY["title"])
    expect(firm.get_by_role("button", name="Submit for review")).to_have_count(0)

    desk = new_page(locale="en-GB")
    sign_in(desk, desk_user)
    from_desk(desk, "Verification")
    desk.get_by_label("Search by name, credit code or contact").fill("li@xinghe")
    desk.get_by_role("button", name="Search", exact=True).click()
    row = desk.locator("tr").filter(has_text="重庆星河软件有限公司")
    expect(row).to_contain_text("li@xinghe.example.cn")
    row.get_by_text("Refuse…").click()
    row.get_by_label("Reason for refusing 重庆星河软件有限公司").fill("信用代码与营业执照不符")
    row.get_by_role("button", name="Refuse 重庆星河软件有限公司").click()
    expect(desk.get_by_role("status").first).to_contain_text("was refused verification")

    firm.get_by_role("link", name="Inbox").click()
    expect(firm.locator("main")).to_contain_text(
        "An official refused to verify 重庆星河软件有限公司: 信用代码与营业执照不符"
    )
    expect(firm.get_by_role("region", name="Verification")).to_contain_text("Your drafts are kept")

    desk.get_by_role("button", name="Verify 重庆星河软件有限公司").click()
    expect(desk.get_by_role("status").first).to_contain_text("重庆星河软件有限公司 is verified.")

    firm.reload()
    expect(firm.locator("main")).to_contain_text("you can now submit your drafts for review")
    expect(firm.get_by_role("region", name="Verification")).to_have_count(0)
    firm.get_by_role("link", name="My capabilities").click()
    firm.get_by_role("button", name="Submit for review").click()
    expect(firm.get_by_text("Submitted: an official will review it")).to_be_visible()
