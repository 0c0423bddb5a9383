"""Database engine from config, a session per request on `g`, and the schema commands."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

import models  # noqa: F401  (registers every table on SQLModel.metadata)

MIGRATIONS = Path(__file__).parent.parent / "migrations"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
WRITES = "matchmaker_writes"  # execution option: this connection's transactions write


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL, a busy timeout, foreign keys and IMMEDIATE writes."""
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
        # A write transaction that starts deferred can fail with "database is locked" when
        # it upgrades its lock (in WAL mode at once, without waiting, if another connection
        # committed since it began reading); taking the write lock up front makes other
        # writers wait (busy_timeout) instead. Reads of safe requests stay deferred so they
        # run in parallel; session_scope() writes even inside a GET request context (the
        # `remind` command builds one for url_for).
        read_only = (
            has_request_context()
            and request.method in SAFE_METHODS
            and not conn.get_execution_options().get(WRITES)
        )
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


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


def close_session(_exc: BaseException | None = None) -> None:
    """Close the request's session, rolling back anything left uncommitted."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def alembic_config(url: str) -> AlembicConfig:
    """An Alembic config for the package's migrations, pointed at the given database."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_schema(url: str) -> None:
    """Bring the database to the newest migration."""
    command.upgrade(alembic_config(url), "head")


def init_app(app: Flask) -> None:
    """Register the engine and the per-request session teardown on the app."""
    app.extensions["engine"] = make_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_session)
