"""SQLite under several writers: a transaction holds the write lock from its first write to
its commit, never while it only reads.

A transaction that begins deferred and writes after reading fails at once with "database is
locked" (SQLITE_BUSY_SNAPSHOT, no busy wait) when another connection committed in between;
so a transaction that may write reads outside any snapshot until its first write, which
begins it with the lock (BEGIN IMMEDIATE).
"""

import sqlite3
import threading
from contextlib import closing
from datetime import timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import func, select
from world import build

from matchmaker.web.db import begin_writing, get_session, session_scope
from models import Notification, Organisation, OrgKind, Recommendation, RecommendationStatus
from models._types import utcnow
from support import make_credit_code


@pytest.fixture
def sqlite_app(app):
    if app.extensions["engine"].dialect.name != "sqlite":
        pytest.skip("SQLite locking")
    return app


def another_writer_gets_in(app) -> bool:
    """Whether another program can take the write lock at this moment, without waiting."""
    database = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(database, timeout=0, isolation_level=None)) as other:
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as locked:
            assert "locked" in str(locked)
            return False
        other.execute("ROLLBACK")
        return True


def begins(app, method: str) -> list[str]:
    """The BEGIN statements SQLAlchemy sends for a transaction that reads in a `method` request."""
    statements: list[str] = []
    engine = app.extensions["engine"]

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("BEGIN"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with app.test_request_context(method=method):
            get_session().exec(text("SELECT 1"))  # type: ignore[call-overload]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


def test_pages_read_in_one_snapshot_and_posts_read_without_one(sqlite_app):
    assert begins(sqlite_app, "GET") == ["BEGIN"]  # the page's reads agree with each other
    assert begins(sqlite_app, "POST") == []  # each read sees the latest commit, no lock


def firm(name: str) -> Organisation:
    return Organisation(name=name, kind=OrgKind.supply, credit_code=make_credit_code())


def test_a_post_holds_the_write_lock_from_its_first_write_to_its_commit(sqlite_app, session):
    session.add(firm("渝北数据公司"))
    session.commit()
    with sqlite_app.test_request_context(method="POST"):
        db = get_session()
        assert db.exec(select(Organisation)).one().name == "渝北数据公司"  # who is asking
        assert another_writer_gets_in(sqlite_app)
        db.add(firm("两江软件公司"))
        db.flush()
        assert not another_writer_gets_in(sqlite_app)
        db.commit()
        assert another_writer_gets_in(sqlite_app)
        db.add(firm("九龙坡信息公司"))
        db.flush()
        db.rollback()  # a refused request lets the next writer in too
        assert another_writer_gets_in(sqlite_app)


def test_a_read_for_update_takes_the_write_lock(sqlite_app, session):
    """The read a write depends on (the docking steps so far) is done under the lock."""
    with sqlite_app.test_request_context(method="POST"):
        db = get_session()
        db.exec(select(Recommendation).where(Recommendation.id == 1))
        assert another_writer_gets_in(sqlite_app)
        db.exec(select(Recommendation).where(Recommendation.id == 1).with_for_update())
        assert not another_writer_gets_in(sqlite_app)
        db.commit()
    with sqlite_app.app_context(), session_scope() as db:
        db.exec(select(Recommendation))
        assert another_writer_gets_in(sqlite_app)
        begin_writing(db)  # e.g. a re-match reading the stored pairings it will replace
        assert not another_writer_gets_in(sqlite_app)
    assert another_writer_gets_in(sqlite_app)


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
