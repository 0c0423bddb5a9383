"""Accounts: a firm registers, an official verifies it, users sign in; disabled users cannot."""

import re

from sqlmodel import select

from models import AuditEntry, Organisation, OrgKind, Role, User
from support import PASSWORD, login, make_credit_code, make_org, make_user, post


def register(client, **overrides):
    code = make_credit_code()
    data = {
        "org_name": "重庆星河软件有限公司",
        "org_kind": "supply",
        "credit_code": code,
        "district": "渝北区",
        "name": "李工",
        "email": "li@xinghe.cn",
        "password": "s3cret-pass",
        "confirm": "s3cret-pass",
        **overrides,
    }
    return post(client, "/auth/register", data), data


def test_a_firm_registers_is_verified_by_an_official_and_signs_in(client, session):
    response, data = register(client)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "李工".encode() in client.get("/").data  # signed in at once, waiting for verification
    org = session.exec(
        select(Organisation).where(Organisation.credit_code == data["credit_code"])
    ).one()
    assert not org.verified and org.kind is OrgKind.supply
    user = session.exec(select(User).where(User.email == "li@xinghe.cn")).one()
    assert user.role is Role.org_admin and user.password_hash != "s3cret-pass"

    official = make_user(
        session, make_org(session, OrgKind.authority, name="市经济信息委"), role=Role.official
    )
    with client.session_transaction() as browser_session:
        browser_session.clear()
    login(client, official)
    assert post(client, f"/admin/organisations/{org.id}/verify").status_code == 302
    session.refresh(org)
    assert org.verified
    actions = session.exec(select(AuditEntry.action)).all()
    assert "organisation.register" in actions and "organisation.verify" in actions

    post(client, "/auth/logout")
    response = post(client, "/auth/login", {"email": "li@xinghe.cn", "password": "s3cret-pass"})
    assert response.status_code == 302
    assert "李工".encode() in client.get("/").data


def test_registration_explains_a_bad_credit_code_and_keeps_nothing(client, session):
    client.get("/?lang=en")
    for code, said in (
        ("91500000MA5U000000", "a character is mistyped"),  # 18 characters, wrong check
        ("91500000MA5U0000", "has 18 characters; this one has 16"),
        ("91500000MA5UOOOOOO", "this one has O"),  # letters O for zeros
        ("", "This field is required."),
    ):
        response, _ = register(client, credit_code=code)
        assert response.status_code == 422
        assert said in response.get_data(as_text=True), code
    page = client.get("/auth/register").get_data(as_text=True)
    assert re.search(r'<div class="field required">\s*<label for="credit_code"', page)  # marked *
    assert session.exec(select(User)).all() == []


def test_registration_refuses_a_taken_email(client, session):
    user = make_user(session, make_org(session), email="taken@example.cn")
    response, _ = register(client, email=user.email)
    assert response.status_code == 422
    assert len(session.exec(select(Organisation)).all()) == 1


def test_a_wrong_password_is_refused_with_a_message(client, session):
    user = make_user(session, make_org(session))
    response = post(client, "/auth/login", {"email": user.email, "password": "wrong"})
    assert response.status_code == 422
    assert client.get("/auth/password").status_code == 302  # still signed out


def test_a_disabled_user_cannot_sign_in(client, session):
    user = make_user(session, make_org(session))
    user.is_active = False
    session.add(user)
    session.commit()
    response = login(client, user)
    assert response.status_code == 422
    assert client.get("/auth/password").status_code == 302


def test_disabling_a_user_ends_their_open_session_at_once(app, session):
    admin = make_user(session, make_org(session, OrgKind.authority), role=Role.admin)
    member = make_user(session, make_org(session, name="重庆另一家科技有限公司"))
    member_client, admin_client = app.test_client(), app.test_client()
    login(member_client, member)
    assert member_client.get("/auth/password").status_code == 200
    login(admin_client, admin)
    assert (
        post(admin_client, f"/admin/users/{member.id}/active", {"active": "0"}).status_code == 302
    )
    assert member_client.get("/auth/password").status_code == 302


def test_changing_the_password_signs_out_other_devices(app, session):
    user = make_user(session, make_org(session))
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user)
    login(phone, user)
    response = post(
        laptop,
        "/auth/password",
        {"current": PASSWORD, "password": "new-pass-123", "confirm": "new-pass-123"},
    )
    assert response.status_code == 302
    assert laptop.get("/auth/password").status_code == 200
    assert phone.get("/auth/password").status_code == 302


def test_login_is_rate_limited_per_account(app, session):
    user = make_user(session, make_org(session))
    client = app.test_client()
    statuses = [
        post(client, "/auth/login", {"email": user.email, "password": "wrong"}).status_code
        for _ in range(12)
    ]
    assert statuses[0] == 422 and statuses[-1] == 429


def test_a_form_without_its_csrf_token_is_refused(client, session):
    user = make_user(session, make_org(session))
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
