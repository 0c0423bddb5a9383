"""The audit log pages (officials and admins): filter, page through, export as CSV.

The trail is append-only: this blueprint only reads it, and no route anywhere edits or
deletes its rows.
"""

import math
from collections.abc import Iterator

from flask import Blueprint, Response, current_app, request, stream_with_context
from sqlalchemy import func
from sqlmodel import Session, select

from matchmaker.audit import trail
from matchmaker.audit.trail import csv_rows, filter_choices, filtered, object_labels, parse_query
from matchmaker.web import htmx
from matchmaker.web.access import STAFF, roles_required
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from matchmaker.web.labels import labelled

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.route("/")
@roles_required(*STAFF)
def index() -> Response:
    """The audit trail, filtered and paged, newest first."""
    session = get_session()
    query, errors = parse_query(request.args)
    stmt = filtered(query)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    size = current_app.config["PAGE_SIZE"]
    pages = max(1, math.ceil(total / size))
    page = min(query.page, pages)
    rows = session.exec(stmt.offset((page - 1) * size).limit(size)).all()
    return htmx.render(
        "audit/index.html",
        "audit/_results.html",
        target="results",
        query=query,
        errors=errors,
        rows=rows,
        labels=object_labels(session, (entry for entry, _user in rows)),
        total=total,
        page=page,
        pages=pages,
        action_label=trail.action_label,
        object_type_label=trail.object_type_label,
        change_label=trail.change_label,
        labelled=labelled,
        change_value=trail.change_value,
        **filter_choices(session),
    )


@bp.route("/export.csv")
@roles_required(*STAFF)
def export() -> Response:
    """The filtered audit rows as CSV (all of them, not only one page)."""
    query, _errors = parse_query(request.args)
    engine = current_app.extensions["engine"]

    def stream() -> Iterator[str]:
        # The stream outlives the request's session (closed at teardown, before the first
        # row is sent), so it reads through a session of its own, closed when the stream
        # ends or the client goes away.
        with Session(engine, expire_on_commit=False) as session:
            yield from csv_rows(session, filtered(query))

    filename = f"audit-{local_today():%Y%m%d}.csv"  # dated as the other exports are
    return Response(
        stream_with_context(stream()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
