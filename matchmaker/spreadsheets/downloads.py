"""Sending sheets as downloads: an .xlsx file, or a CSV streamed while the rows are read."""

import io
from collections.abc import Iterator, Sequence

from flask import (
    Response,
    send_file,
    stream_with_context,
)
from sqlmodel import Session

from matchmaker.spreadsheets.files import Sheet
from matchmaker.spreadsheets.files import write_csv as csv_chunks
from matchmaker.spreadsheets.files import write_xlsx as xlsx_bytes
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---- export -------------------------------------------------------------------------------


def send_sheets(sheets: Sequence[Sheet], fmt: str, name: str) -> Response:
    """Send sheets as an .xlsx download or a streamed UTF-8 (BOM) CSV download."""
    filename = f"{name}-{local_today():%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        response = send_file(
            io.BytesIO(xlsx_bytes(sheets)),
            mimetype=XLSX,
            as_attachment=True,
            download_name=filename,
        )
    else:
        streamed = _streamed(sheets, get_session())
        response = Response(stream_with_context(streamed), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _streamed(sheets: Sequence[Sheet], session: Session) -> Iterator[str]:
    """The CSV pieces, read from the database while they are sent.

    Flask runs the request's teardown (which closes its session) before a streamed body
    starts, and the rows then reopen that session; it is closed again here, or its
    connection would stay checked out in an open transaction.
    """
    try:
        yield from csv_chunks(sheets)
    finally:
        session.close()
