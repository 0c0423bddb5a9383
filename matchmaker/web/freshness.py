"""The data version: one number that every committed write moves on, read once per request.

Pages answer a repeat visit with 304 while it stands (web/caching.py), and figures computed
from the data are kept under it, so a write anywhere makes the next request compute afresh.

The bump happens in one place, the engine's commit: whatever wrote (the ORM, a bulk insert, a
raw statement, the CLI), the transaction that wrote moves the version on as its last
statement, atomically with its data. It is asked of the database itself whether the
transaction wrote: SQLite counts the rows each connection changed, PostgreSQL assigns a
transaction id on the first write only. So every gunicorn worker and every process that uses
the app's engine sees the same version, and no read-only transaction pays for a write.
Writes made past the app (psql, another program's own engine) are not seen until the next
write through it; `watch` binds such an engine too.

Taking the row's lock at commit time, not at the first write, keeps concurrent PostgreSQL
writers from queueing behind each other for their whole transactions.
"""

import time

from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, event, text

# The first write stores the time in microseconds; each later one adds 1. A database created
# anew therefore never hands out a version an older one did (a browser's ETag from before).
_BUMP = text(
    "INSERT INTO data_version (id, version) VALUES (1, :start) "
    "ON CONFLICT (id) DO UPDATE SET version = data_version.version + 1"
)
_READ = "SELECT version FROM data_version WHERE id = 1"
_CHANGES = "matchmaker_changes"  # connection.info: SQLite's change count when the transaction began


def _bump(conn: Connection) -> None:
    conn.execute(_BUMP, {"start": time.time_ns() // 1000})


def watch(engine: Engine) -> None:
    """Make every transaction on `engine` that wrote move the data version on at commit."""
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "begin")
        def _count_changes(conn: Connection) -> None:
            conn.info[_CHANGES] = conn.connection.driver_connection.total_changes

        @event.listens_for(engine, "commit")
        def _bump_if_changed(conn: Connection) -> None:
            before = conn.info.pop(_CHANGES, None)
            if before != conn.connection.driver_connection.total_changes:
                _bump(conn)

    else:

        @event.listens_for(engine, "commit")
        def _bump_if_written(conn: Connection) -> None:
            # PostgreSQL assigns a transaction id on the first write, and only then.
            written = conn.exec_driver_sql("SELECT pg_current_xact_id_if_assigned()").scalar()
            if written is not None:
                _bump(conn)


def read_version(engine: Engine) -> int:
    """The data version as committed now (0 before the first write).

    One statement on a pooled connection of its own, outside any transaction: no session,
    no BEGIN; it answers a repeat visit before the page's own work starts (or instead of it).
    """
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(_READ)
        row = cursor.fetchone()
        cursor.close()
    finally:
        connection.close()  # back to the pool
    return row[0] if row else 0


def data_version() -> int:
    """The data version this request started from: read once, before the page's own queries,
    so a page is never labelled newer than the data it shows (at worst older, which costs a
    visitor one more full answer)."""
    if "data_version" not in g:
        g.data_version = read_version(current_app.extensions["engine"])
    return g.data_version


def init_app(app: Flask) -> None:
    """Watch the app's engine: every transaction on it that writes moves the version on."""
    watch(app.extensions["engine"])
