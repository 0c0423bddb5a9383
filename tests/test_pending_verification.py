"""A firm waiting for verification prepares drafts, is told what happens next, and is told the
outcome (inbox and e-mail), with the reason when it is refused."""

from posting_data import OCR_CAPABILITY, official, sign_in
from sqlmodel import select
from test_inbox import smtp_server  # noqa: F401  (the fixture: a real SMTP server)

from models import AuditEntry, Capability, Notification, OrgKind, Role
from pairings import make_scenario
from support import login, make_credit_code, make_org, make_user, post


def a_waiting_firm(session):
    org = make_org(session, OrgKind.supply, verified=False, name="重庆星河软件有限公司")
    return org, make_user(session, org, email="li@xinghe.cn")


def test_a_waiting_firm_prepares_a_draft_and_submits_it_once_verified(app, session):
    org, user = a_waiting_firm(session)
    firm = sign_in(app, user)

    mine = firm.get("/capabilities/mine")
    assert mine.status_code == 200
    assert "is waiting for an official to verify it" in mine.get_data(as_text=True)
    form = firm.get("/capabilities/new")
    assert form.status_code == 200
    assert "Save and submit for review" not in form.get_data(as_text=True)

    # Even a submit (a stale tab) keeps the work, as a draft, and says why.
    saved = post(firm, "/capabilities/new", {**OCR_CAPABILITY, "send": "1"}, follow_redirects=True)
    assert "once an official has verified your organisation" in saved.get_data(as_text=True)
    draft = session.exec(select(Capability)).one()
    assert draft.status == "draft"
    assert post(firm, f"/capabilities/{draft.id}/submit", {"version": 1}).status_code == 403
    # Interest waits for verification too, and the refusal says why.
    buyer = make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    scenario = make_scenario(session, buyer, title="政务大厅材料预审")
    waiting = firm.get(f"/interest/scenarios/{scenario.id}")
    assert waiting.status_code == 403
    assert "has not verified your organisation yet" in waiting.get_data(as_text=True)

    desk = sign_in(app, official(session))
    post(desk, f"/admin/organisations/{org.id}/verify")
    (note,) = session.exec(select(Notification).where(Notification.user_id == user.id)).all()
    assert note.kind == "organisation.verified" and note.link == "/capabilities/mine"
    inbox = firm.get("/inbox/").get_data(as_text=True)
    assert "重庆星河软件有限公司 has been verified" in inbox
    assert "is waiting for an official" not in inbox

    submitted = post(firm, f"/capabilities/{draft.id}/submit", {"version": draft.version})
    assert submitted.status_code == 302
    session.refresh(draft)
    assert draft.status == "submitted"


def test_a_refused_firm_reads_the_reason_in_its_inbox_and_its_mail(app, session, smtp_server):  # noqa: F811
    mailbox, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SENDER="noreply@cq.example")
    org, user = a_waiting_firm(session)
    desk = sign_in(app, official(session))

    post(desk, f"/admin/organisations/{org.id}/reject", {"reason": "信用代码与营业执照不符"})

    firm = sign_in(app, user)
    page = firm.get("/inbox/").get_data(as_text=True)
    assert "An official refused to verify 重庆星河软件有限公司: 信用代码与营业执照不符" in page
    assert "Your drafts are kept" in page  # the notice on every page says what to do next
    ((recipients, message),) = mailbox.messages
    assert recipients == ["li@xinghe.cn"]
    assert "信用代码与营业执照不符" in message["Subject"]


def test_each_reader_is_mailed_in_the_language_they_chose(app, session, smtp_server):  # noqa: F811
    mailbox, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SENDER="noreply@cq.example")
    org, chinese_reader = a_waiting_firm(session)
    english_reader = make_user(session, org, email="sam@xinghe.cn")
    sign_in(app, english_reader)  # signs in and switches the pages to English
    desk = app.test_client()
    login(desk, official(session))  # the official reads Chinese; that does not matter

    post(desk, f"/admin/organisations/{org.id}/reject", {"reason": "信用代码与营业执照不符"})

    mails = {recipients[0]: message for recipients, message in mailbox.messages}
    assert sorted(mails) == ["li@xinghe.cn", "sam@xinghe.cn"]
    assert mails[chinese_reader.email]["Subject"].startswith(
        "工作人员未通过 重庆星河软件有限公司 的核验"
    )
    assert mails[english_reader.email]["Subject"].startswith(
        "An official refused to verify 重庆星河软件有限公司"
    )


def test_a_refused_firm_corrects_its_details_and_waits_for_a_check_again(app, session):
    org, user = a_waiting_firm(session)
    user.role = Role.org_admin
    session.add(user)
    taken = make_org(session, OrgKind.demand, name="重庆某集团")
    desk = sign_in(app, official(session))
    post(desk, f"/admin/organisations/{org.id}/reject", {"reason": "信用代码与营业执照不符"})
    firm = sign_in(app, user)

    # The refusal says why and leads to the organisation's details.
    home = firm.get("/capabilities/mine").get_data(as_text=True)
    assert "信用代码与营业执照不符" in home and 'href="/members/organisation"' in home
    page = firm.get("/members/organisation").get_data(as_text=True)
    assert org.credit_code in page and "Save and ask for verification again" in page
    # The refusal is said once there, and the page does not link to itself.
    assert page.count("信用代码与营业执照不符") == 1 and 'href="/members/organisation"' not in page

    # Another organisation's code is refused, under the code; nothing changes.
    reused = {"org_name": org.name, "credit_code": taken.credit_code, "district": "渝北区"}
    refused = post(firm, "/members/organisation", reused)
    assert refused.status_code == 422
    assert "Another organisation is registered with this code." in refused.get_data(as_text=True)

    # The right code: saved, the refusal withdrawn, the officials' list has it waiting again.
    right = make_credit_code()
    saved = post(firm, "/members/organisation", {**reused, "credit_code": right})
    assert saved.status_code == 302
    session.refresh(org)
    assert org.credit_code == right and org.rejected_at is None and not org.verified
    [row] = session.exec(select(AuditEntry).where(AuditEntry.action == "organisation.correct"))
    assert "credit_code" in row.changes["was"] and "name" not in row.changes["was"]
    listed = desk.get("/admin/organisations").get_data(as_text=True)
    assert org.name in listed

    # Once verified, the details are the checked ones: shown, no longer a form to post.
    post(desk, f"/admin/organisations/{org.id}/verify")
    assert "ask the programme office" in firm.get("/members/organisation").get_data(as_text=True)
    assert post(firm, "/members/organisation", reused).status_code == 409
