"""Fixtures: a fresh database per test (SQLite file, or PostgreSQL when DATABASE_URL says so)."""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, SQLModel

from matchmaker import create_app
from matchmaker.web import freshness
from support import database_url, schema_name

PASSWORD = "correct horse battery"
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')


_fresh_schemas: set[str] = set()


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_schema_at_the_end(worker_id: str) -> Iterator[None]:
    """Leave no schema of this run behind on a shared PostgreSQL server."""
    yield
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql") and schema_name(worker_id) in _fresh_schemas:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema_name(worker_id)} CASCADE"))
        engine.dispose()


def _empty_postgres_schema(engine: Engine, schema: str) -> None:
    """Build the worker's schema once, then empty its tables before each test (much faster)."""
    with engine.begin() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s LIMIT 1"),
            {"s": schema},
        ).first()
        if schema not in _fresh_schemas or not exists:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
            _fresh_schemas.add(schema)
    SQLModel.metadata.create_all(engine)
    tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(tmp_path: Path, worker_id: str) -> Iterator[Flask]:
    """The app on an empty database of its own."""
    url = database_url(tmp_path, worker_id)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "MATCHER_PATH": str(tmp_path / "matcher.pkl"),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    engine = app.extensions["engine"]
    if engine.dialect.name == "postgresql":
        # On an engine of its own: the app's moves the data version on at every commit that
        # wrote, DDL included, and the table that holds it is what is being built.
        builder = create_engine(url)
        _empty_postgres_schema(builder, schema_name(worker_id))
        builder.dispose()
    else:
        SQLModel.metadata.create_all(engine)
    yield app
    engine.dispose()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session on the test database, for arranging and checking data.

    It has an engine of its own, as another process would: the app's SQLite engine takes the
    write lock at BEGIN, which a test session holding a read open would keep from the app.
    """
    engine = create_engine(app.config["DATABASE_URL"])
    # Its writes move the data version on, as the app's own do (pages' validators, caches).
    freshness.watch(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client (a browser with cookies, no JavaScript)."""
    return app.test_client()
