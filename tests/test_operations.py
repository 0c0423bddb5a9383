"""Running the platform: schema migrations, health checks and online backups."""

import json
import sqlite3
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from listdata import make_capability, make_pairing, make_scenario
from sqlalchemy import create_engine, text
from sqlmodel import Session, SQLModel

from matchmaker import create_app
from matchmaker.commands.backup import backup_sqlite
from matchmaker.web.db import alembic_config
from models import OrgKind, Scenario
from models._search import in_metadata
from support import database_url, make_org, make_user, schema_name


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


@pytest.mark.parametrize(
    ("before", "title", "stale", "kept"),
    [
        # 0011: mainland words the Taiwan tables rewrote (小程序 → 小进程) are kept.
        ("0010", "微信小程序预约挂号", "微信小进程预约挂号", "小程序"),
        # 0012: a Taiwan phrase straddling two mainland words (品质 in 产品质量) is left alone.
        ("0011", "产品质量追溯平台", "产质量量追溯平台", "产品质量"),
    ],
)
def test_an_upgrade_indexes_stored_entries_again_as_the_text_is_read_now(
    tmp_path: Path, worker_id: str, before: str, title: str, stale: str, kept: str
):
    url = empty_database(tmp_path, worker_id)
    command.upgrade(alembic_config(url), before)
    engine = create_engine(url)
    with Session(engine) as session:
        buyer = make_org(session, OrgKind.demand)
        scenario = Scenario(
            title=title, field="智慧医疗", district="渝北区",
            description="群众在线办理，减少排队。", organisation_id=buyer.id,
        )  # fmt: skip
        session.add(scenario)
        session.commit()
        entry_id = scenario.id
    with engine.begin() as conn:  # as the earlier normalisation stored it
        conn.execute(
            text("UPDATE scenario SET tokens = :tokens, search_text = :text WHERE id = :id"),
            {
                "tokens": json.dumps({"title": [stale]}, ensure_ascii=False),
                "text": stale,
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
    assert stale not in tokens and stale not in stored
    assert stored.startswith(f"{title}\n") and kept in stored and "减少排队" in stored


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


def test_docking_steps_mark_pairings_after_0015_and_whole_slices_before(
    tmp_path: Path, worker_id: str
):
    url = empty_database(tmp_path, worker_id)
    config = alembic_config(url)
    command.upgrade(config, "head")
    engine = create_engine(url)
    with Session(engine) as session:
        buyer, firm = make_org(session, OrgKind.demand), make_org(session, OrgKind.supply)
        pairing = make_pairing(
            session, make_scenario(session, buyer), make_capability(session, firm)
        )
        facts = {"id": pairing.id, "user": make_user(session, buyer).id, "org": buyer.id}
    step = text(
        "INSERT INTO dockingevent (recommendation_id, stage, occurred_on, note, reason, "
        "user_id, organisation_id, created_at) VALUES "
        "(:id, 'contacted', '2024-05-03', '', '', :user, :org, '2024-05-03')"
    )

    def marked_sides() -> list[str]:
        with engine.begin() as conn:
            return sorted(conn.execute(text("SELECT side FROM tallymark")).scalars())

    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tallymark"))
        conn.execute(step, facts)
    assert marked_sides() == ["pairing"]

    command.downgrade(config, "0014")
    assert marked_sides() == ["scenario"]  # the code before knows no pairings-only mark
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tallymark"))
        conn.execute(step, facts)
    assert marked_sides() == ["scenario"]

    command.upgrade(config, "head")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tallymark"))
        conn.execute(step, facts)
    sides = marked_sides()
    engine.dispose()
    assert sides == ["pairing"]
