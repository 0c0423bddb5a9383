"""Running the platform: schema migrations, health checks and online backups."""

import json
import sqlite3
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlmodel import Session, SQLModel

from matchmaker import create_app
from matchmaker.commands.backup import backup_sqlite
from matchmaker.web.db import alembic_config
from models import OrgKind, Scenario
from models._search import in_metadata
from support import database_url, make_org, schema_name


def empty_database(tmp_path: Path, worker_id: str) -> str:
    """The URL of a database with nothing in it (on PostgreSQL, this worker's schema anew)."""
    url = database_url(tmp_path, worker_id)
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema_name(worker_id)} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema_name(worker_id)}"))
    engine.dispose()
    return url


def test_migrations_build_the_schema_the_models_describe(tmp_path: Path, worker_id: str):
    url = empty_database(tmp_path, worker_id)
    engine = create_engine(url)
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        # The search indexes (FTS5's tables, the GIN index) are made by DDL, not the metadata.
        context = MigrationContext.configure(conn, opts={"include_name": in_metadata})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_an_upgrade_indexes_stored_entries_again_with_the_mainland_words_kept(
    tmp_path: Path, worker_id: str
):
    url = empty_database(tmp_path, worker_id)
    command.upgrade(alembic_config(url), "0010")
    engine = create_engine(url)
    with Session(engine) as session:
        buyer = make_org(session, OrgKind.demand)
        scenario = Scenario(
            title="微信小程序预约挂号", field="智慧医疗", district="渝北区",
            description="群众通过微信小程序预约挂号，减少排队。", organisation_id=buyer.id,
        )  # fmt: skip
        session.add(scenario)
        session.commit()
        entry_id = scenario.id
    with engine.begin() as conn:  # as the earlier normalisation stored it
        conn.execute(
            text("UPDATE scenario SET tokens = :tokens, search_text = :text WHERE id = :id"),
            {
                "tokens": json.dumps({"title": ["微信", "小进程"]}, ensure_ascii=False),
                "text": "微信小进程预约挂号",
                "id": entry_id,
            },
        )

    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        tokens, stored = conn.execute(
            text("SELECT tokens, search_text FROM scenario WHERE id = :id"), {"id": entry_id}
        ).one()
    engine.dispose()
    tokens = json.dumps(
        tokens if isinstance(tokens, dict) else json.loads(tokens), ensure_ascii=False
    )
    assert "小程序" in tokens and "小进程" not in tokens
    assert stored.startswith("微信小程序预约挂号\n") and "减少排队" in stored


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
