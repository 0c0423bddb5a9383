"""Running the platform: schema migrations, health checks and online backups."""

import sqlite3
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from matchmaker import create_app
from matchmaker.commands.backup import backup_sqlite
from matchmaker.web.db import alembic_config
from models._search import in_metadata
from support import database_url, schema_name


def test_migrations_build_the_schema_the_models_describe(tmp_path: Path, worker_id: str):
    url = database_url(tmp_path, worker_id)
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema_name(worker_id)} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema_name(worker_id)}"))
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        # The search indexes (FTS5's tables, the GIN index) are made by DDL, not the metadata.
        context = MigrationContext.configure(conn, opts={"include_name": in_metadata})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_the_health_endpoint_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "database": "ok"}


def test_a_backup_taken_while_another_connection_writes_is_consistent(tmp_path: Path):
    live = tmp_path / "live.db"
    with sqlite3.connect(live) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (n INTEGER)")
    stop = threading.Event()

    def writer() -> None:
        with sqlite3.connect(live, timeout=30) as conn:
            n = 0
            while not stop.is_set() and n < 20_000:
                conn.execute("INSERT INTO t VALUES (?)", (n,))
                conn.commit()
                n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        verdict = backup_sqlite(live, tmp_path / "copy.db")
    finally:
        stop.set()
        thread.join()
    assert verdict == "ok"
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT count(*) FROM t").fetchone()[0] >= 0


def test_the_backup_command_writes_a_verified_copy(app, tmp_path: Path):
    if app.extensions["engine"].dialect.name != "sqlite":
        pytest.skip("the SQLite online backup")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.db")])
    assert result.exit_code == 0, result.output
    assert "integrity_check: ok" in result.output
    assert (tmp_path / "b.db").stat().st_size > 0


def test_create_app_does_no_work_at_import(tmp_path: Path):
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path / "i"), "DATABASE_URL": f"sqlite:///{tmp_path}/never.db"}
    )
    assert "matcher" not in app.extensions
    assert not (tmp_path / "never.db").exists()
