"""Signing in and staying signed in: rate limits shared by every worker, cookies, sign-out."""

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask

from matchmaker import config
from models import OrgKind
from support import FORM_CSRF, PASSWORD, csrf_token, login, make_org, make_user, post

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"
ROOT = Path(__file__).resolve().parents[2]

# One "worker": an app of its own in a process of its own, trying to sign in with a wrong
# password once per "address e-mail" argument; prints the statuses. The app reads REDIS_URL
# from the environment exactly as gunicorn's workers do.
WORKER = """
import os
import sys
sys.path.insert(0, "tests")
from matchmaker import create_app
from support import csrf_token
database, instance, *tries = sys.argv[1:]
app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database,
                  "INSTANCE_PATH": instance,
                  "RATELIMIT_KEY_PREFIX": os.environ.get("TEST_KEY_PREFIX", "")})
statuses = []
for attempt in tries:
    address, email = attempt.split(" ")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    data = {"email": email, "password": "wrong", "csrf_token": csrf_token(client)}
    statuses.append(client.post("/auth/login", data=data).status_code)
print(" ".join(map(str, statuses)))
"""


def worker(app: Flask, tries: list[tuple[str, str]], **env: str) -> list[int]:
    """Sign-in attempts (address, e-mail) made by a separate worker process; their statuses."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            WORKER,
            app.config["DATABASE_URL"],
            app.instance_path,
            *(f"{address} {email}" for address, email in tries),
        ],
        cwd=ROOT,
        env={**os.environ, "REDIS_URL": "", **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return [int(status) for status in result.stdout.split()]


def half_of_an_attack(email: str, first_address: int, guesses: list[str]) -> list[tuple[str, str]]:
    """Six tries at one account from six addresses, then six accounts from one address."""
    return [(f"10.7.0.{first_address + n}", email) for n in range(6)] + [
        ("10.7.1.1", guess) for guess in guesses
    ]


def wrong_password(client, email: str):  # type: ignore[no-untyped-def]
    return post(client, "/auth/login", {"email": email, "password": "wrong"}).status_code


# ---- rate limits ------------------------------------------------------------------------------


def test_one_account_is_limited_whatever_addresses_the_attempts_come_from(app, session):
    user = make_user(session, make_org(session))
    statuses = []
    for n in range(12):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.9.0.{n + 1}"  # a botnet: one try per address
        statuses.append(wrong_password(client, user.email))
    assert statuses[:10] == [422] * 10 and statuses[10:] == [429, 429]


def test_one_address_is_limited_whatever_accounts_it_tries(app, session):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.8.0.1"
    statuses = [wrong_password(client, f"guess{n}@example.cn") for n in range(12)]
    assert statuses[:10] == [422] * 10 and statuses[10:] == [429, 429]
    # Someone else, elsewhere, still signs in.
    user = make_user(session, make_org(session))
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.8.0.2"
    assert login(other, user).status_code == 302


def test_behind_a_proxy_the_limit_counts_the_forwarded_client(tmp_path, worker_id, session):
    from matchmaker import create_app
    from support import database_url

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url(tmp_path, worker_id),
            "INSTANCE_PATH": str(tmp_path / "proxied"),
            "RATELIMIT_STORAGE_URI": "memory://",
            "TRUSTED_PROXIES": 1,
        }
    )
    proxy = app.test_client()  # every request reaches the app from the proxy's address

    def attempt(client_address: str) -> int:
        token = csrf_token(proxy)
        return proxy.post(
            "/auth/login",
            data={"email": f"{client_address}@example.cn", "password": "x", "csrf_token": token},
            headers={"X-Forwarded-For": client_address},
        ).status_code

    first = [attempt("203.0.113.5") for _ in range(11)]
    assert first[-1] == 429
    assert attempt("198.51.100.7") == 422  # another client behind the same proxy
    app.extensions["engine"].dispose()


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in Redis db 15, cleared before and after.

    The db is cleared of this prefix only, not flushed: another run of the suite on the same
    host may be counting in it at the same moment.
    """
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_TEST_URL}")
    prefix = f"mm-test-{uuid.uuid4().hex}"

    def clear() -> None:
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)

    clear()
    yield prefix, client
    clear()
    client.close()


def test_two_workers_share_the_login_counts_through_redis(app, session, redis_prefix):
    prefix, redis = redis_prefix
    user = make_user(session, make_org(session))
    shared = {"REDIS_URL": REDIS_TEST_URL, "TEST_KEY_PREFIX": prefix}
    guesses = [f"guess{n}-{prefix}@example.cn" for n in range(12)]
    # Per account and per address, each limit is 10 a minute: after six tries in one worker,
    # the other worker has four left of each.
    assert worker(app, half_of_an_attack(user.email, 10, guesses[:6]), **shared) == [422] * 12
    expected = [422] * 4 + [429] * 2
    assert worker(app, half_of_an_attack(user.email, 20, guesses[6:]), **shared) == expected * 2
    assert any(prefix.encode() in key for key in redis.scan_iter("*"))


def test_without_redis_each_worker_counts_alone(app, session):
    """The control for the test above: in-memory counts are not shared between workers."""
    user = make_user(session, make_org(session))
    guesses = [f"guess{n}@example.cn" for n in range(12)]
    assert worker(app, half_of_an_attack(user.email, 10, guesses[:6])) == [422] * 12
    assert worker(app, half_of_an_attack(user.email, 20, guesses[6:])) == [422] * 12


def test_redis_going_away_does_not_break_sign_in(app, session):
    """Unreachable Redis: each worker falls back to counting in memory, never a 500."""
    user = make_user(session, make_org(session))
    tries = [("10.5.0.1", user.email)] * 12
    statuses = worker(app, tries, REDIS_URL="redis://127.0.0.1:9/15")
    assert statuses[:10] == [422] * 10 and statuses[10:] == [429, 429]


WRONG_CURRENT = {
    "current": "not my password",
    "password": "new-pass-123",
    "confirm": "new-pass-123",
}
NEW_TOKEN = {"name": "ERP 同步"}


def signed_in_client(app: Flask, session, address: str):  # type: ignore[no-untyped-def]
    """A browser signed in to a fresh account from an address of its own, then moved to
    `address`: sign-in's own limit never counts here."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.20.{next(FRESH_ADDRESSES)}.1"
    login(client, make_user(session, make_org(session)))
    client.environ_base["REMOTE_ADDR"] = address
    return client


FRESH_ADDRESSES = iter(range(1, 250))


@pytest.mark.parametrize(
    "url, data, allowed",
    [("/auth/password", WRONG_CURRENT, 10), ("/account/tokens", NEW_TOKEN, 10)],
    ids=["password-change", "token-creation"],
)
def test_one_account_is_limited_whatever_addresses_it_acts_from(app, session, url, data, allowed):
    """Guessing the current password, or minting tokens, from a botnet: one account's limit."""
    client = signed_in_client(app, session, "10.30.0.1")
    statuses = []
    for n in range(allowed + 2):
        client.environ_base["REMOTE_ADDR"] = f"10.30.0.{n + 1}"
        statuses.append(post(client, url, data).status_code)
    assert 429 not in statuses[:allowed] and statuses[allowed:] == [429, 429]


@pytest.mark.parametrize(
    "url, data, allowed",
    [("/auth/password", WRONG_CURRENT, 10), ("/account/tokens", NEW_TOKEN, 10)],
    ids=["password-change", "token-creation"],
)
def test_one_address_is_limited_whatever_accounts_act_from_it(app, session, url, data, allowed):
    statuses = [
        post(signed_in_client(app, session, "10.31.0.1"), url, data).status_code
        for _ in range(allowed + 2)
    ]
    assert 429 not in statuses[:allowed] and statuses[allowed:] == [429, 429]
    # Someone else, elsewhere, is not held back.
    assert post(signed_in_client(app, session, "10.31.0.2"), url, data).status_code != 429


def test_the_limiter_uses_redis_when_redis_url_is_set(tmp_path, monkeypatch):
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
    from matchmaker import create_app

    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_TEST_URL
    monkeypatch.setenv("REDIS_URL", "")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


# ---- cookies ----------------------------------------------------------------------------------


def set_cookies(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The response's Set-Cookie headers by cookie name."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        cookies[name] = header
    return cookies


def attributes(header: str) -> dict[str, str]:
    """A Set-Cookie header's attributes, names lower-cased (flags map to "")."""
    parts = [part.strip() for part in header.split(";")[1:]]
    return {name.lower(): value for name, _sep, value in (part.partition("=") for part in parts)}


def sign_in_remembered(client, user):  # type: ignore[no-untyped-def]
    return post(client, "/auth/login", {"email": user.email, "password": PASSWORD, "remember": "y"})


def test_session_and_remember_cookies_are_http_only_and_same_site(app, session):
    user = make_user(session, make_org(session))
    response = sign_in_remembered(app.test_client(), user)
    cookies = set_cookies(response)
    session_cookie = attributes(cookies["session"])
    remember = attributes(cookies["remember_token"])
    for cookie in (session_cookie, remember):
        assert "httponly" in cookie
        assert cookie["samesite"] == "Lax"
        assert "secure" not in cookie  # development runs on plain http
    expires = datetime.strptime(remember["expires"], "%a, %d %b %Y %H:%M:%S GMT")
    lifetime = expires.replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(days=13) < lifetime <= timedelta(days=14)
    assert "expires" not in session_cookie  # gone when the browser closes


def test_in_production_cookies_are_secure_and_https_is_pinned(app, session, monkeypatch, tmp_path):
    monkeypatch.setenv("MATCHMAKER_ENV", "production")
    settings = config.from_environment(tmp_path)
    app.config.update({k: v for k, v in settings.items() if "_COOKIE_" in k})
    user = make_user(session, make_org(session))
    client = app.test_client()
    https = {"base_url": "https://platform.example"}
    page = client.get("/auth/login", **https).get_data(as_text=True)
    token = FORM_CSRF.search(page).group(1)
    form = {"email": user.email, "password": PASSWORD, "remember": "y", "csrf_token": token}
    # Over HTTPS a form must also come from this site: the browser's Referer says so (our
    # Referrer-Policy sends it on same-origin requests); another site's is refused.
    stranger = client.post(
        "/auth/login", data=form, headers={"Referer": "https://evil.example/"}, **https
    )
    assert stranger.status_code == 400
    response = client.post(
        "/auth/login",
        data=form,
        headers={"Referer": "https://platform.example/auth/login"},
        **https,
    )
    assert response.status_code == 302
    cookies = set_cookies(response)
    for name in ("session", "remember_token"):
        cookie = attributes(cookies[name])
        assert "secure" in cookie and "httponly" in cookie and cookie["samesite"] == "Lax"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_hsts_on_plain_http_development(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


# ---- signing out --------------------------------------------------------------------------------


def remembered(app: Flask, user):  # type: ignore[no-untyped-def]
    """A browser signed in with "keep me signed in", and its remember-me cookie's value."""
    browser = app.test_client()
    sign_in_remembered(browser, user)
    return browser, browser.get_cookie("remember_token").value


def remembered_only(app: Flask, remember_cookie: str):  # type: ignore[no-untyped-def]
    """A browser that kept only the remember-me cookie (its session cookie expired)."""
    client = app.test_client()
    client.set_cookie("remember_token", remember_cookie)
    return client


def test_a_remember_cookie_signs_in_until_logout_everywhere(app, session):
    user = make_user(session, make_org(session))
    laptop, cookie = remembered(app, user)
    # The kept cookie alone signs in a fresh browser...
    assert remembered_only(app, cookie).get("/auth/password").status_code == 200
    # ...until the user signs out (which signs out every device).
    phone = app.test_client()
    login(phone, user)
    assert post(phone, "/auth/logout").status_code == 302
    assert remembered_only(app, cookie).get("/auth/password").status_code == 302
    assert laptop.get("/auth/password").status_code == 302


def test_a_password_change_retires_old_remember_cookies(app, session):
    user = make_user(session, make_org(session))
    _old, cookie = remembered(app, user)
    current = app.test_client()
    login(current, user)
    changed = post(
        current,
        "/auth/password",
        {"current": PASSWORD, "password": "new-pass-123", "confirm": "new-pass-123"},
    )
    assert changed.status_code == 302
    assert remembered_only(app, cookie).get("/auth/password").status_code == 302
    assert current.get("/auth/password").status_code == 200


def test_a_tampered_remember_cookie_is_ignored(app, session):
    user = make_user(session, make_org(session))
    _client, cookie = remembered(app, user)
    forged = cookie.replace(f"{user.id}:", f"{user.id + 1}:", 1)
    assert remembered_only(app, forged).get("/auth/password").status_code == 302


# ---- after signing in ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example/",
        "/\\/evil.example/",
        "https://evil.example/",
        "/\t/evil.example/",
        "javascript:alert(1)",
        "\\\\evil.example",
    ],
)
def test_signing_in_never_redirects_off_site(client, session, target):
    user = make_user(session, make_org(session))
    response = post(
        client, f"/auth/login?next={quote(target)}", {"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.location == "/"


def test_signing_in_returns_to_the_page_asked_for(client, session):
    user = make_user(session, make_org(session, OrgKind.demand))
    response = post(
        client, "/auth/login?next=/scenarios/mine", {"email": user.email, "password": PASSWORD}
    )
    assert response.location == "/scenarios/mine"


def test_a_session_cookie_is_signed(app, session):
    """A session cookie with a made-up user id is refused (it is signed with SECRET_KEY)."""
    user = make_user(session, make_org(session))
    client = app.test_client()
    login(client, user)
    value = client.get_cookie("session").value
    client.set_cookie("session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert client.get("/auth/password").status_code == 302
