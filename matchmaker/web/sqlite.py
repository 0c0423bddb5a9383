"""SQLite's single writer: the write lock is held only while a transaction writes.

SQLite lets one connection write at a time. A transaction that may write begins without
taking anything: its reads (authentication, validation, the page's data) run as they come,
each seeing the latest commit, as reads do on PostgreSQL. Its first write, or a
`SELECT … FOR UPDATE` (a read the write depends on, such as the order of docking steps),
takes the write lock and begins `BEGIN IMMEDIATE`; the commit or rollback ends the transaction
and then releases the lock. So the lock is held from the first write to the commit, not for
the whole request, and what is read inside it cannot change before the commit.

Writers queue on an exclusive `flock` of a file beside the database before they ask SQLite.
The kernel wakes the next waiter the moment the lock is released, where SQLite's own busy
handler would poll with sleeps growing to 100 ms (the long tail of a busy writer). Other
programs writing the database (the sqlite3 shell, a test's own engine) do not queue there and
are met by SQLite's busy timeout as before.

Reads of GET requests keep a deferred `BEGIN` (db.py), one snapshot for the whole page.
"""

import fcntl
import os
import threading
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import ExecutionContext

PENDING = "matchmaker_write_pending"  # conn.info: a write transaction begun, BEGIN not yet sent
LOCKED = "matchmaker_write_lock"  # conn.info: the lock file this connection holds while writing
_held = threading.local()  # lock files this thread holds, by path (see _acquire)


def lock_path(database: str | None) -> str | None:
    """The lock file of a database file; None for an in-memory database (one connection)."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return f"{database}-writer"


def begin_later(conn: Connection) -> None:
    """Begin a transaction that may write: nothing is sent until its first write."""
    conn.info[PENDING] = True


def begin_writing(conn: Connection) -> None:
    """Take the write lock and begin the write transaction now, if not already begun."""
    if not conn.info.pop(PENDING, False):
        return
    path = lock_path(conn.engine.url.database)
    lock = _acquire(path) if path else None
    try:
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
    except BaseException:
        _release(lock)
        raise
    conn.info[LOCKED] = lock


def _writes(statement: str, context: ExecutionContext | None) -> bool:
    """Whether a statement writes, or reads what a write will depend on (FOR UPDATE)."""
    if statement.lstrip()[:6].upper() != "SELECT":
        return True  # INSERT, UPDATE, DELETE, SAVEPOINT…; anything unknown counts as a write
    compiled = getattr(context, "compiled", None)
    # SQLite has no FOR UPDATE (SQLAlchemy leaves it out): the write lock stands in for it.
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def _acquire(path: str) -> tuple[str, int] | None:
    """Wait for the lock file's exclusive lock; None when this thread holds it already.

    A second connection of the thread that holds the lock (say, a session opened while
    another one writes) would wait for itself forever; it goes to SQLite's busy timeout
    instead, which ends in "database is locked" as it did before this lock existed.
    """
    held: dict[str, int] = _held.__dict__.setdefault("paths", {})
    if held.get(path):
        return None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # blocks in the kernel, without the GIL
    except BaseException:
        os.close(fd)
        raise
    held[path] = fd
    return path, fd


def _release(lock: tuple[str, int] | None) -> None:
    if lock is None:
        return
    path, fd = lock
    _held.__dict__.get("paths", {}).pop(path, None)
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _end(conn: Connection, finish: str) -> None:
    """End the transaction (commit or rollback) before releasing the write lock."""
    conn.info.pop(PENDING, None)
    if LOCKED not in conn.info:
        return
    lock = conn.info.pop(LOCKED)
    try:
        # Done here rather than by SQLAlchemy after this event, so that the next writer,
        # woken by the release, finds the database free. SQLAlchemy's own commit or
        # rollback then finds no transaction and does nothing.
        getattr(conn.connection.driver_connection, finish)()
    finally:
        _release(lock)


def configure(engine: Engine) -> None:
    """Hold the write lock of `engine`'s transactions from their first write to their end."""

    @event.listens_for(engine, "before_cursor_execute")
    def _first_write(
        conn: Connection,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        context: ExecutionContext | None,
        _executemany: bool,
    ) -> None:
        if conn.info.get(PENDING) and _writes(statement, context):
            begin_writing(conn)

    @event.listens_for(engine, "commit")
    def _commit(conn: Connection) -> None:
        _end(conn, "commit")

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Connection) -> None:
        _end(conn, "rollback")

    @event.listens_for(engine, "reset")
    def _reset(dbapi_connection: Any, record: Any, _state: Any) -> None:
        # A connection back in the pool without commit or rollback: SQLAlchemy rolls it
        # back; the lock goes with it.
        record.info.pop(PENDING, None)
        if LOCKED in record.info:
            try:
                dbapi_connection.rollback()
            finally:
                _release(record.info.pop(LOCKED))

    @event.listens_for(engine, "invalidate")
    def _invalidate(_dbapi_connection: Any, record: Any, _exception: Any) -> None:
        # A connection thrown away mid-transaction: closing it ends its transaction.
        record.info.pop(PENDING, None)
        _release(record.info.pop(LOCKED, None))
