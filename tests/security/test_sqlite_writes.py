"""SQLite under several writers: every write transaction takes the write lock when it begins.

A transaction that begins deferred and writes after reading fails at once with "database is
locked" (SQLITE_BUSY_SNAPSHOT, no busy wait) when another connection committed in between.
"""

import sqlite3
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import func, select
from world import build

from matchmaker.web.db import get_session, session_scope
from models import Notification, Recommendation, RecommendationStatus
from models._types import utcnow


@pytest.fixture
def sqlite_app(app):
    if app.extensions["engine"].dialect.name != "sqlite":
        pytest.skip("SQLite locking")
    return app


def begins(app, method: str, *, scope: bool) -> str:
    """The BEGIN statement the engine issues for a transaction in a `method` request."""
    statements: list[str] = []
    engine = app.extensions["engine"]

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("BEGIN"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with app.test_request_context(method=method):
            if scope:
                with session_scope() as session:
                    session.exec(text("SELECT 1"))  # type: ignore[call-overload]
            else:
                get_session().exec(text("SELECT 1"))  # type: ignore[call-overload]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements[0]


def test_requests_that_may_write_take_the_write_lock_up_front(sqlite_app):
    assert begins(sqlite_app, "POST", scope=False) == "BEGIN IMMEDIATE"
    assert begins(sqlite_app, "GET", scope=False) == "BEGIN"  # reads run side by side
    # Work outside requests (CLI, and commands that build a GET context for url_for) writes.
    assert begins(sqlite_app, "GET", scope=True) == "BEGIN IMMEDIATE"
    with sqlite_app.app_context(), session_scope() as session:
        assert session.connection().exec_driver_sql("SELECT 1").scalar() == 1


def test_the_remind_command_writes_while_the_app_is_writing(sqlite_app, session):
    """`matchmaker remind` reads, then writes notifications, while another process commits."""
    world = build(sqlite_app, session)
    # Both published pairings have been silent for more than 30 days: reminders are due.
    for key in ("a", "b"):
        rec = session.get(Recommendation, world.pairings[key])
        assert rec.status == RecommendationStatus.published
        rec.updated_at = utcnow() - timedelta(days=60)
    session.commit()
    database = sqlite_app.config["DATABASE_URL"].removeprefix("sqlite:///")
    stop = threading.Event()
    errors: list[Exception] = []

    def other_process_writes() -> None:
        with sqlite3.connect(database, timeout=30) as conn:
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("CREATE TABLE IF NOT EXISTS pulse (n INTEGER)")
            n = 0
            while not stop.is_set():
                try:
                    conn.execute("INSERT INTO pulse VALUES (?)", (n,))
                    conn.commit()
                except sqlite3.OperationalError as err:
                    errors.append(err)
                n += 1

    writer = threading.Thread(target=other_process_writes)
    writer.start()
    try:
        results = [
            sqlite_app.test_cli_runner().invoke(args=["remind"], catch_exceptions=True)
            for _ in range(3)
        ]
    finally:
        stop.set()
        writer.join()
    for result in results:
        assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    assert "2 reminded now" in results[0].output
    assert errors == []
    session.expire_all()
    reminded = session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.kind == "docking.reminder")
    ).one()
    assert reminded == 4  # both parties of both pairings (one active user each)
