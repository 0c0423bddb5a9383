"""A page renders outside any database transaction: a slow template or a slow client never
holds locks or a snapshot ("idle in transaction" on PostgreSQL, a pinned WAL on SQLite)."""

import os

import pytest
from flask import render_template_string
from sqlalchemy import text
from sqlmodel import select

from matchmaker.web.access import public
from matchmaker.web.db import get_session
from models import Organisation
from support import make_org

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgresql")
PROBE = "{{ probe() }}|{% for org in orgs %}{{ org.name }}{% endfor %}"


def serve_probe(app, probe):  # type: ignore[no-untyped-def]
    """A page that reads organisations, then renders a template that calls `probe`."""

    @public
    def page() -> str:
        session = get_session()
        backend = session.exec(text("SELECT pg_backend_pid()" if ON_POSTGRES else "SELECT 0"))
        backend = backend.scalar_one()
        orgs = session.exec(select(Organisation)).all()
        return render_template_string(PROBE, probe=lambda: probe(backend), orgs=orgs)

    app.add_url_rule("/probe", "probe", page)


def test_the_reads_transaction_ends_before_the_page_renders(app, client, session):
    make_org(session, name="重庆星河软件有限公司")
    serve_probe(app, lambda _backend: get_session().in_transaction())
    body = client.get("/probe").get_data(as_text=True)
    assert body == "False|重庆星河软件有限公司"


@pytest.mark.skipif(not ON_POSTGRES, reason="pg_stat_activity is PostgreSQL's")
def test_postgresql_sees_no_connection_idle_in_transaction_while_a_page_renders(
    app, client, session
):
    make_org(session, name="重庆星河软件有限公司")

    def state_of(backend: int) -> str:
        # Asked on the test's own connection, as a monitor would, in the middle of rendering.
        row = session.exec(
            text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), params={"pid": backend}
        ).one()
        session.rollback()
        return row[0]

    serve_probe(app, state_of)
    body = client.get("/probe").get_data(as_text=True)
    assert body == "idle|重庆星河软件有限公司"
