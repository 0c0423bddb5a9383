"""Evidence in a real browser: a firm uploads its certificate, an official finds it in the queue,
opens it, refuses an empty reason, approves it until the certificate's date, and the firm and
the public see the claim verified."""

from collections.abc import Callable
from datetime import timedelta

from evidence_files import pdf
from playwright.sync_api import Page, expect
from posting_data import official

from in_browser import axe_violations, expect_refusal, from_desk, sign_in
from matchmaker.web.dates import local_today
from models import Organisation, OrgKind
from pairings import make_capability
from support import make_org, make_user


def test_a_certificate_goes_through_the_evidence_queue(
    new_page: Callable[..., Page], session, app, tmp_path
):
    org = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    firm_user = make_user(session, org, email="li@xinghe.example.cn")
    capability = make_capability(
        session, session.get(Organisation, org.id), qualifications=["高新技术企业"]
    )
    desk_user = official(session)
    certificate = tmp_path / "高新技术企业证书.pdf"
    certificate.write_bytes(pdf())

    firm = new_page(locale="en-GB")
    sign_in(firm, firm_user)
    firm.get_by_role("link", name="My evidence").click()
    claim = firm.locator("li.claim").filter(has_text="High-tech enterprise")
    expect(claim).to_contain_text("No evidence yet")
    claim.get_by_label("Evidence for High-tech enterprise").set_input_files(str(certificate))
    claim.get_by_role("button", name="Upload").click()
    expect(firm.get_by_role("status").first).to_contain_text("an official will check it")
    expect(claim).to_contain_text("Waiting for an official")

    desk = new_page(locale="en-GB")
    sign_in(desk, desk_user)
    from_desk(desk, "Evidence to check")
    row = desk.locator("tr").filter(has_text="重庆星河软件有限公司")
    expect(row).to_contain_text("Qualification: High-tech enterprise")
    opened = row.get_by_role("link", name="Open 高新技术企业证书.pdf")
    response = desk.request.get(opened.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert axe_violations(desk) == []

    # An empty reason is refused where it was typed; then the official approves instead.
    row.get_by_text("Reject…").click()
    expect_refusal(desk, 422)
    reason = row.get_by_label("Reason for rejecting High-tech enterprise")
    reason.fill(" ")
    row.get_by_role("button", name="Reject High-tech enterprise of 重庆星河软件有限公司").click()
    row = desk.locator("tr").filter(has_text="重庆星河软件有限公司")
    expect(row).to_contain_text("Say why, so that the firm can put it right.")
    with app.app_context():
        until = local_today() + timedelta(days=365)
    row.get_by_label("Valid until (from the certificate)").fill(until.isoformat())
    row.get_by_role("button", name="Approve High-tech enterprise of 重庆星河软件有限公司").click()
    expect(desk.get_by_role("status").first).to_contain_text("Approved: 高新技术企业")
    expect(desk.locator("main")).to_contain_text("No evidence is waiting.")

    firm.get_by_role("link", name="Inbox").click()
    expect(firm.locator("main")).to_contain_text(
        f"An official verified your evidence for “High-tech enterprise”; it is valid until {until}"
    )
    firm.goto(f"/capabilities/{capability.id}")
    expect(firm.locator("dl.facts")).to_contain_text("High-tech enterprise")
    expect(firm.locator("dl.facts")).to_contain_text(f"Verified · until {until}")
