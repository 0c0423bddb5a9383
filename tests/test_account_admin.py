"""An admin manages accounts: disabling says so, roles change, a forgotten password is reset
through a one-time link (mailed, or shown to the admin to hand over when no mail is set up)."""

import re
from datetime import timedelta

from posting_data import sign_in
from sqlmodel import select
from test_inbox import smtp_server  # noqa: F401  (the fixture: a real SMTP server)

from matchmaker.api.tokens import hash_secret
from models import AuditEntry, Notification, OrgKind, PasswordReset, Role, User
from support import PASSWORD, make_org, make_user, post

LINK = re.compile(r'value="(http://localhost/auth/reset/[^"]+)"')


def an_admin_and_a_member(session):
    authority = make_org(session, OrgKind.authority, name="重庆市经济和信息化委员会")
    admin = make_user(session, authority, role=Role.admin)
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    return admin, make_user(session, firm, role=Role.member, email="li@xinghe.cn")


def test_disabling_and_enabling_an_account_says_what_happened(app, session):
    admin, member = an_admin_and_a_member(session)
    desk = sign_in(app, admin)

    disabled = post(
        desk, f"/admin/users/{member.id}/active", {"active": "0"}, follow_redirects=True
    )
    assert "测试用户 is disabled and signed out everywhere." in disabled.get_data(as_text=True)
    enabled = post(desk, f"/admin/users/{member.id}/active", {"active": "1"}, follow_redirects=True)
    assert "测试用户 can sign in again." in enabled.get_data(as_text=True)
    assert (
        post(desk, f"/admin/users/{admin.id}/active", {"active": "0"}).status_code == 409
    )  # not oneself
    assert post(desk, f"/admin/users/{member.id}/active").status_code == 400  # says neither


def test_a_disable_button_from_before_another_admins_change_does_not_undo_it(app, session):
    admin, member = an_admin_and_a_member(session)
    first, second = sign_in(app, admin), sign_in(app, admin)
    # Both admins' pages offer "Disable"; the first presses it, then the second.
    assert 'name="active" value="0"' in second.get("/admin/users").get_data(as_text=True)
    post(first, f"/admin/users/{member.id}/active", {"active": "0"})
    late = post(second, f"/admin/users/{member.id}/active", {"active": "0"}, follow_redirects=True)

    assert "测试用户 was already disabled: nothing changed." in late.get_data(as_text=True)
    session.refresh(member)
    assert not member.is_active
    rows = session.exec(select(AuditEntry).where(AuditEntry.action == "user.active")).all()
    assert len(rows) == 1


def test_an_admin_makes_a_member_the_organisations_admin_but_never_an_official(app, session):
    admin, member = an_admin_and_a_member(session)
    desk = sign_in(app, admin)

    response = post(desk, f"/admin/users/{member.id}/role", {"role": "org_admin"})
    assert response.status_code == 302
    session.refresh(member)
    assert member.role is Role.org_admin
    row = session.exec(select(AuditEntry).where(AuditEntry.action == "user.role")).one()
    assert row.object_id == member.id and row.changes == {"role": ["member", "org_admin"]}

    refused = post(desk, f"/admin/users/{member.id}/role", {"role": "official"})
    assert refused.status_code == 422
    assert "cannot have this role" in refused.get_data(as_text=True)
    session.refresh(member)
    assert member.role is Role.org_admin
    assert post(desk, f"/admin/users/{admin.id}/role", {"role": "official"}).status_code == 409


def test_without_mail_the_admin_is_shown_a_one_time_link_that_resets_the_password(app, session):
    admin, member = an_admin_and_a_member(session)
    desk = sign_in(app, admin)
    member_elsewhere = sign_in(app, member)

    shown = post(desk, f"/admin/users/{member.id}/reset")
    assert shown.status_code == 200
    link = LINK.search(shown.get_data(as_text=True)).group(1)
    secret = link.rsplit("/", 1)[1]
    stored = session.exec(select(PasswordReset)).one()
    assert stored.token_hash == hash_secret(secret) and secret not in stored.token_hash
    assert session.exec(select(Notification)).all() == []  # the secret is kept nowhere

    visitor = app.test_client()
    assert visitor.get(link).status_code == 200
    mismatch = post(visitor, link, {"password": "new-pass-123", "confirm": "other-pass-1"})
    assert mismatch.status_code == 422
    done = post(visitor, link, {"password": "new-pass-123", "confirm": "new-pass-123"})
    assert done.status_code == 302
    signed_in = post(visitor, "/auth/login", {"email": "li@xinghe.cn", "password": "new-pass-123"})
    assert signed_in.status_code == 302
    assert member_elsewhere.get("/auth/password").status_code == 302  # signed out elsewhere
    assert app.test_client().get(link).status_code == 404  # once only
    actions = session.exec(select(AuditEntry.action)).all()
    assert "user.reset_link" in actions and "user.password_reset" in actions


def test_a_reset_link_expires_and_a_newer_one_replaces_it(app, session):
    admin, member = an_admin_and_a_member(session)
    desk = sign_in(app, admin)
    first = LINK.search(post(desk, f"/admin/users/{member.id}/reset").get_data(as_text=True))
    second = LINK.search(post(desk, f"/admin/users/{member.id}/reset").get_data(as_text=True))
    visitor = app.test_client()
    assert visitor.get(first.group(1)).status_code == 404  # replaced by the newer link

    newest = session.exec(select(PasswordReset).where(PasswordReset.used_at.is_(None))).one()
    newest.expires_at = newest.created_at - timedelta(seconds=1)
    session.add(newest)
    session.commit()
    expired = visitor.get(second.group(1))
    assert expired.status_code == 404
    assert "expired" in expired.get_data(as_text=True) or "过期" in expired.get_data(as_text=True)
    assert session.get(User, member.id).password_hash == member.password_hash
    old_password = post(visitor, "/auth/login", {"email": member.email, "password": PASSWORD})
    assert old_password.status_code == 302


def test_with_mail_the_link_goes_to_the_user_and_not_to_the_admins_screen(
    app,
    session,
    smtp_server,  # noqa: F811
):
    mailbox, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SENDER="noreply@cq.example")
    admin, member = an_admin_and_a_member(session)
    desk = sign_in(app, admin)

    response = post(desk, f"/admin/users/{member.id}/reset", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "A one-time reset link was e-mailed to li@xinghe.cn." in page
    assert "/auth/reset/" not in page
    ((recipients, message),) = mailbox.messages
    assert recipients == ["li@xinghe.cn"]
    link = re.search(r"http://localhost/auth/reset/\S+", message.get_content()).group(0)
    assert app.test_client().get(link).status_code == 200


def test_an_admin_finds_an_account_among_many_and_stays_on_the_search_after_acting(app, session):
    admin, member = an_admin_and_a_member(session)
    others = make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    for n in range(app.config["PAGE_SIZE"] + 5):
        make_user(session, others, email=f"clerk{n}@yubei.gov.cn")
    desk = sign_in(app, admin)

    first = desk.get("/admin/users").get_data(as_text=True)
    assert f"{app.config['PAGE_SIZE'] + 7} accounts" in first and "Page 1 of 2" in first
    assert "li@xinghe.cn" not in desk.get("/admin/users?q=yubei").get_data(as_text=True)

    found = desk.get("/admin/users?q=星河").get_data(as_text=True)
    assert "1 account" in found and "li@xinghe.cn" in found
    response = post(desk, f"/admin/users/{member.id}/active?q=星河&page=1", {"active": "0"})
    assert response.status_code == 302
    assert response.location == "/admin/users?q=%E6%98%9F%E6%B2%B3&page=1"
