"""The app factory: configuration comes from the environment, secrets are never hard-coded."""

from pathlib import Path

import pytest

from matchmaker import create_app


def test_testing_config_overrides_the_environment(app):
    assert app.testing
    assert app.config["SECRET_KEY"] == "test-secret"


def test_a_fresh_install_generates_its_secret_key_once(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    config = {"INSTANCE_PATH": str(instance), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    assert len(first) >= 32 and first == second
    assert (instance / "secret_key").read_text().strip() == first
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0


def test_database_url_comes_from_the_environment(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/from-env.db")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i")})
    assert app.extensions["engine"].url.database.endswith("from-env.db")


@pytest.mark.parametrize("pragma, expected", [("journal_mode", "wal"), ("foreign_keys", 1)])
def test_sqlite_connections_use_wal_and_foreign_keys(app, pragma, expected):
    engine = app.extensions["engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as conn:
        assert conn.exec_driver_sql(f"PRAGMA {pragma}").scalar() == expected
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_every_response_carries_security_headers(client):
    for url in ("/", "/no-such-page"):
        headers = client.get(url).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "unsafe-eval" not in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]
