"""Database engine from config, a session per request on `g`, and the schema commands."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from flask import (
    Flask,
    before_render_template,
    current_app,
    g,
    has_request_context,
    request,
    template_rendered,
)
from sqlalchemy import Engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from matchmaker.web import sqlite

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).parent.parent / "migrations"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
WRITES = "matchmaker_writes"  # execution option: this connection's transactions write
AUTOCOMMIT = "AUTOCOMMIT"


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL, a busy timeout, foreign keys and its write lock
    held only while a transaction writes (web/sqlite.py)."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # type: ignore[no-untyped-def]
        # Reads of safe requests share one deferred snapshot and run in parallel. Any other
        # transaction may write: it reads as it goes and takes the write lock at its first
        # write (a deferred read transaction that later writes would fail at once with
        # "database is locked" if another connection had committed since it began).
        # session_scope() writes even inside a GET request context (the `remind` command
        # builds one for url_for).
        if conn.get_execution_options().get("isolation_level") == AUTOCOMMIT:
            return  # each statement is its own transaction (reads while a page renders)
        read_only = (
            has_request_context()
            and request.method in SAFE_METHODS
            and not conn.get_execution_options().get(WRITES)
        )
        if read_only:
            conn.exec_driver_sql("BEGIN")
        else:
            sqlite.begin_later(conn)

    sqlite.configure(engine)
    return engine


def begin_writing(session: Session) -> None:
    """Make the session's transaction a write transaction now, before its next read.

    On SQLite this takes the write lock (waiting for the writer before), so that what the
    session reads next cannot change until it commits; PostgreSQL locks rows as they are
    written or read `FOR UPDATE` and needs nothing here.
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        sqlite.begin_writing(conn)


def get_session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = Session(current_app.extensions["engine"], expire_on_commit=False)
    return g.db_session


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A session outside a request (CLI, background work); commits on success."""
    engine = (app or current_app).extensions["engine"].execution_options(**{WRITES: True})
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.commit()


def end_transaction_before_render(_app: Flask, **_context: object) -> None:
    """A page is about to render: end the request's transaction first, and let whatever the
    template still loads (lazy relationships) read in autocommit.

    Otherwise the transaction stays open while the template renders and the response goes
    out, a slow client holding locks and a snapshot ("idle in transaction" on PostgreSQL).
    Views commit what they mean to keep before they render; anything left unsaved would be
    rolled back at teardown, so it is rolled back now. A clean session commits instead, which
    ends the snapshot without expiring the objects the page shows.
    """
    session = g.get("db_session")
    if session is None or "db_bind" in g:  # no database used, or a render inside a render
        return
    transaction = session.get_transaction()
    if transaction is not None:
        unsaved = session.new or session.dirty or session.deleted
        try:
            if unsaved or not transaction.is_active:
                session.rollback()
            else:
                session.commit()
        except SQLAlchemyError:  # e.g. an error page after a failed statement
            session.rollback()
    g.db_bind = session.bind
    session.bind = session.bind.execution_options(isolation_level=AUTOCOMMIT)


def restore_transactions_after_render(_app: Flask, **_context: object) -> None:
    """The page is rendered: the request's session goes back to transactions for any work
    after it (a view may render a fragment and then write)."""
    session = g.get("db_session")
    if session is not None and "db_bind" in g:
        session.commit()  # ends the autocommit connection's (empty) transaction
        session.bind = g.pop("db_bind")


def close_session(_exc: BaseException | None = None) -> None:
    """Close the request's session, rolling back anything left uncommitted."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def alembic_config(url: str) -> "AlembicConfig":
    """An Alembic config for the package's migrations, pointed at the given database."""
    # Alembic is imported when a schema command runs, not with the app (a third of a second).
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_schema(url: str) -> None:
    """Bring the database to the newest migration."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def init_app(app: Flask) -> None:
    """Register the engine and the per-request session teardown on the app."""
    app.extensions["engine"] = make_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_session)
    before_render_template.connect(end_transaction_before_render, app)
    template_rendered.connect(restore_transactions_after_render, app)
