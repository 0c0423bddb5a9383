"""A firm makes an API token on its account page, uses it, and revokes it; nothing else works."""

import hashlib
import re

from api_helpers import PROBLEM, bearer, call, token_for
from sqlmodel import select

from models import ApiToken, AuditEntry, OrgKind, Role
from support import PASSWORD, csrf_token, login, make_org, make_user, post

SECRET = re.compile(r'<code id="new-token">(mm_[A-Za-z0-9_-]+)</code>')


def create_token_on_the_page(client, name="ERP 同步"):
    page = post(client, "/account/tokens", {"name": name}).get_data(as_text=True)
    return SECRET.search(page).group(1)


def test_a_firm_creates_a_token_sees_it_once_uses_it_and_revokes_it(client, session):
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    user = make_user(session, firm)
    login(client, user)
    assert client.get("/account/tokens").status_code == 200

    secret = create_token_on_the_page(client)
    stored = session.exec(select(ApiToken)).one()
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {stored.token_hash, stored.prefix, stored.name}
    again = client.get("/account/tokens")
    assert secret not in again.get_data(as_text=True) and "ERP 同步" in again.get_data(as_text=True)
    assert again.headers["Cache-Control"] == "no-store"

    program = client.application.test_client()  # another process: no cookies at all
    me = call(program, "GET", "/api/v1/me", secret)
    assert me.status_code == 200
    assert me.json["organisation"]["name"] == "重庆星河软件有限公司"
    assert me.json["email"] == user.email and "password_hash" not in me.json
    session.refresh(stored)
    assert stored.last_used_at is not None

    assert post(client, f"/account/tokens/{stored.id}/revoke").status_code == 302
    refused = call(program, "GET", "/api/v1/me", secret)
    assert refused.status_code == 401 and refused.mimetype == PROBLEM
    assert refused.json["status"] == 401 and refused.json["detail"]
    actions = session.exec(select(AuditEntry.action)).all()
    assert "api_token.create" in actions and "api_token.revoke" in actions


def test_the_token_page_needs_a_signed_in_user(client):
    response = client.get("/account/tokens")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_disabled_users_tokens_stop_working_at_once(client, session):
    user = make_user(session, make_org(session))
    secret = token_for(session, user)
    assert call(client, "GET", "/api/v1/me", secret).status_code == 200
    admin = make_user(session, make_org(session, OrgKind.authority, name="市经济信息委"))
    admin.role = Role.admin
    session.add(admin)
    session.commit()
    browser = client.application.test_client()
    login(browser, admin)
    assert post(browser, f"/admin/users/{user.id}/active", {"active": "0"}).status_code == 302
    assert call(client, "GET", "/api/v1/me", secret).status_code == 401


def test_nobody_revokes_another_users_token(client, session):
    owner = make_user(session, make_org(session))
    secret = token_for(session, owner)
    token = session.exec(select(ApiToken)).one()
    intruder = make_user(session, make_org(session, name="别家公司"))
    login(client, intruder)
    assert post(client, f"/account/tokens/{token.id}/revoke").status_code == 404
    assert call(client, "GET", "/api/v1/me", secret).status_code == 200


def test_revoking_needs_the_forms_csrf_token(client, session):
    user = make_user(session, make_org(session))
    token_for(session, user)
    token = session.exec(select(ApiToken)).one()
    login(client, user)
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 400
    session.refresh(token)
    assert token.revoked_at is None


def test_a_browser_session_alone_cannot_use_the_api(client, session):
    user = make_user(session, make_org(session))
    login(client, user)
    # Signed in, with the page's CSRF token even: the API still wants a bearer token.
    response = client.get("/api/v1/me", headers={"X-CSRFToken": csrf_token(client)})
    assert response.status_code == 401 and response.mimetype == PROBLEM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_is_sent_as_a_bearer_header_only(client, session):
    secret = token_for(session, make_user(session, make_org(session)))
    assert client.get(f"/api/v1/me?access_token={secret}").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": secret}).status_code == 401
    lower = client.get("/api/v1/me", headers={"Authorization": f"bearer {secret}"})
    assert lower.status_code == 200
    assert call(client, "GET", "/api/v1/me", secret + "x").status_code == 401
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200


def test_a_token_name_with_control_characters_is_refused_on_the_page(client, session):
    login(client, make_user(session, make_org(session)))
    page = post(client, "/account/tokens", {"name": "ERP\x00同步"})
    assert page.status_code == 422 and SECRET.search(page.get_data(as_text=True)) is None
    assert session.exec(select(ApiToken)).all() == []


def test_the_api_sets_no_cookies(client, session):
    secret = token_for(session, make_user(session, make_org(session)))
    for response in (
        client.get("/api/v1/scenarios?lang=en"),
        call(client, "GET", "/api/v1/me?lang=en", secret),
        client.get("/api/v1/no-such-thing"),
    ):
        assert "Set-Cookie" not in response.headers


def change_password(client, **extra):
    form = {"current": PASSWORD, "password": "new-pass-123", "confirm": "new-pass-123", **extra}
    return post(client, "/auth/password", form)


def test_changing_the_password_revokes_the_accounts_tokens(client, session):
    """After a leak, the firm changes its password: programs holding its tokens are shut out."""
    client.get("/?lang=en")
    login(client, make_user(session, make_org(session)))
    assert "revokes all your tokens" in client.get("/account/tokens").get_data(as_text=True)
    first, second = create_token_on_the_page(client), create_token_on_the_page(client, "BI")
    page = client.get("/auth/password").get_data(as_text=True)
    assert "Keep my API tokens working" in page and "checked" not in page

    response = change_password(client)
    assert response.status_code == 302
    assert "Your 2 API tokens were revoked" in client.get("/").get_data(as_text=True)
    program = client.application.test_client()
    assert call(program, "GET", "/api/v1/me", first).status_code == 401
    assert call(program, "GET", "/api/v1/me", second).status_code == 401
    assert all(t.revoked_at for t in session.exec(select(ApiToken)).all())
    assert (
        len(session.exec(select(AuditEntry).where(AuditEntry.action == "api_token.revoke")).all())
        == 2
    )


def test_a_user_may_keep_the_tokens_working_through_a_password_change(client, session):
    login(client, make_user(session, make_org(session)))
    secret = create_token_on_the_page(client)
    assert change_password(client, keep_tokens="y").status_code == 302
    assert call(client.application.test_client(), "GET", "/api/v1/me", secret).status_code == 200
