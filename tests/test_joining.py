"""A second employee of a registered organisation asks to join it; the organisation's admin (or
an official) approves or declines, and the employee is told."""

import re

from posting_data import official, sign_in
from sqlmodel import select
from test_inbox import smtp_server  # noqa: F401  (the fixture: a real SMTP server)

from models import AuditEntry, JoinRequest, Notification, OrgKind, Role, User
from support import make_credit_code, make_org, make_user, post

EMPLOYEE = {
    "name": "王工",
    "email": "wang@xinghe.cn",
    "password": "wang-pass-123",
    "confirm": "wang-pass-123",
    "message": "我是研发部的王工",
}


def a_registered_firm(session):
    org = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    return org, make_user(session, org, role=Role.org_admin, email="li@xinghe.cn")


def sign_in_as_employee(client):
    login = {"email": EMPLOYEE["email"], "password": EMPLOYEE["password"]}
    return post(client, "/auth/login?lang=en", login)


def test_a_colleague_asks_to_join_and_the_organisations_admin_approves(app, session):
    org, first = a_registered_firm(session)
    employee = app.test_client()
    employee.get("/?lang=en")

    registering = post(
        employee,
        "/auth/register",
        {
            **EMPLOYEE,
            "org_name": org.name,
            "org_kind": "supply",
            "credit_code": org.credit_code,
            "district": "渝北区",
        },
    )
    page = registering.get_data(as_text=True)
    assert "This organisation is already registered." in page
    assert f"/auth/join?credit_code={org.credit_code}" in page  # offered a way in

    asked = post(employee, "/auth/join", {**EMPLOYEE, "credit_code": org.credit_code})
    assert asked.status_code == 302
    request = session.exec(select(JoinRequest)).one()
    assert request.status == "pending" and request.password_hash != EMPLOYEE["password"]
    waiting = sign_in_as_employee(employee)
    assert waiting.status_code == 422
    assert "waiting for its administrator" in waiting.get_data(as_text=True)

    (note,) = session.exec(select(Notification).where(Notification.user_id == first.id)).all()
    assert note.kind == "membership.requested"
    admin = sign_in(app, first)
    listing = admin.get("/members/").get_data(as_text=True)
    assert "wang@xinghe.cn" in listing and "我是研发部的王工" in listing
    approved = post(admin, f"/members/requests/{request.id}/approve", {"version": request.version})
    assert approved.status_code == 302

    account = session.exec(select(User).where(User.email == EMPLOYEE["email"])).one()
    assert account.organisation_id == org.id and account.role is Role.member
    assert sign_in_as_employee(employee).status_code == 302
    assert "request to join 重庆星河软件有限公司 was approved" in employee.get("/inbox/").get_data(
        as_text=True
    )
    actions = session.exec(select(AuditEntry.action)).all()
    assert "membership.request" in actions and "membership.approve" in actions
    # Decided once: a second approval (a stale page) changes nothing.
    again = post(admin, f"/members/requests/{request.id}/approve", {"version": request.version})
    assert again.status_code == 409


def test_an_official_declines_and_the_applicant_reads_why(app, session, smtp_server):  # noqa: F811
    mailbox, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SENDER="noreply@cq.example")
    org, _first = a_registered_firm(session)
    employee = app.test_client()
    post(employee, "/auth/join", {**EMPLOYEE, "credit_code": org.credit_code})
    request = session.exec(select(JoinRequest)).one()
    mailbox.messages.clear()  # the org admin's mail about the request

    desk = sign_in(app, official(session))
    assert "wang@xinghe.cn" in desk.get("/members/").get_data(as_text=True)
    no_reason = post(desk, f"/members/requests/{request.id}/decline", {"version": 1})
    assert no_reason.status_code == 422
    declined = post(
        desk, f"/members/requests/{request.id}/decline", {"version": 1, "reason": "非本单位员工"}
    )
    assert declined.status_code == 302

    ((recipients, message),) = mailbox.messages
    assert recipients == [EMPLOYEE["email"]] and "非本单位员工" in message["Subject"]
    answer = sign_in_as_employee(employee).get_data(as_text=True)
    assert "was declined: 非本单位员工" in answer
    assert session.exec(select(User).where(User.email == EMPLOYEE["email"])).first() is None


def test_only_the_organisations_own_admin_or_an_official_decides(app, session):
    org, _first = a_registered_firm(session)
    post(app.test_client(), "/auth/join", {**EMPLOYEE, "credit_code": org.credit_code})
    request = session.exec(select(JoinRequest)).one()
    other_org = make_org(session, OrgKind.supply, name="重庆云帆数据有限公司")
    stranger = sign_in(app, make_user(session, other_org, role=Role.org_admin))
    colleague = sign_in(app, make_user(session, org, role=Role.member))

    assert "wang@xinghe.cn" not in stranger.get("/members/").get_data(as_text=True)
    assert (
        post(stranger, f"/members/requests/{request.id}/approve", {"version": 1}).status_code == 404
    )
    assert colleague.get("/members/").status_code == 403
    session.refresh(request)
    assert request.status == "pending"


def test_asking_to_join_an_unknown_organisation_or_with_a_taken_email_is_refused(app, session):
    org, first = a_registered_firm(session)
    client = app.test_client()
    client.get("/?lang=en")
    unknown = post(client, "/auth/join", {**EMPLOYEE, "credit_code": make_credit_code()})
    assert unknown.status_code == 422
    # Said under the code that was wrong, not under the e-mail.
    assert re.search(
        r'id="credit_code-error"[^>]*>[^<]*Register it instead', unknown.get_data(as_text=True)
    )
    taken = post(
        client, "/auth/join", {**EMPLOYEE, "email": first.email, "credit_code": org.credit_code}
    )
    assert taken.status_code == 422
    assert session.exec(select(JoinRequest)).all() == []
