"""Helpers the tests' stories share: making organisations and users, posting forms."""

import os
import re
from pathlib import Path

from flask.testing import FlaskClient
from sqlmodel import Session
from werkzeug.security import generate_password_hash

from matchmaker.auth.creditcode import make as make_code
from models import Organisation, OrgKind, Role, User

PASSWORD = "correct horse battery"
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')


# Unique per test run, so two runs on one PostgreSQL server never share (and empty) a schema.
RUN_ID = (os.environ.get("PYTEST_XDIST_TESTRUNUID") or str(os.getpid()))[:12]


def schema_name(worker: str) -> str:
    """The PostgreSQL schema of one xdist worker in this test run."""
    return f"t_{RUN_ID}_{worker}"


def database_url(tmp_path: Path, worker: str) -> str:
    """The database for one test: a SQLite file, or a PostgreSQL schema per xdist worker."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        # One schema per xdist worker, dropped and recreated for every test.
        return f"{url}?options=-csearch_path%3D{schema_name(worker)}"
    return f"sqlite:///{tmp_path / 'test.db'}"


FORM_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient) -> str:
    """The CSRF token of the client's session, read as the browser finds it: from a signed-in
    page's <body hx-headers>, or (not signed in: public pages carry none) the sign-in form."""
    found = CSRF.search(client.get("/").get_data(as_text=True))
    if found is None:
        found = FORM_CSRF.search(client.get("/auth/login").get_data(as_text=True))
    return found.group(1)


def post(client: FlaskClient, url: str, data: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
    """POST a form with the session's CSRF token, as the browser would."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


_codes = iter(range(10_000_000, 99_999_999))


def make_credit_code() -> str:
    """A fresh, valid 统一社会信用代码."""
    return make_code("9", "1", "500112", f"{next(_codes):08d}")


def make_org(
    session: Session,
    kind: OrgKind = OrgKind.supply,
    *,
    verified: bool = True,
    name: str = "重庆测试科技有限公司",
) -> Organisation:
    """An organisation of `kind`."""
    org = Organisation(
        name=name, kind=kind, credit_code=make_credit_code(), district="渝北区", verified=verified
    )
    session.add(org)
    session.commit()
    return org


def make_user(
    session: Session, org: Organisation, *, role: Role = Role.org_admin, email: str | None = None
) -> User:
    """A user of `org` whose password is PASSWORD."""
    user = User(
        email=email or f"user{next(_codes)}@example.cn",
        name="测试用户",
        role=role,
        organisation_id=org.id,
        # A cheap hash keeps tests quick; the app's own forms use the strong default.
        password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
    )
    session.add(user)
    session.commit()
    return user


def login(client: FlaskClient, user: User):  # type: ignore[no-untyped-def]
    """Sign `user` in through the login form."""
    return post(client, "/auth/login", {"email": user.email, "password": PASSWORD})
