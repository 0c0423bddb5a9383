"""One clock: every time a person reads (pages, exports, API) is China Standard Time.

Every stored time in a small platform is set to 2024-03-01 20:30 UTC, which is 2024-03-02 04:30
in Chongqing. Then every page, export and API read is fetched as each kind of user: none may
show the UTC date or hour, and the pages that show times show the local one.
"""

import io
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import SQLModel, col
from sqlmodel.sql.sqltypes import UTCDateTime
from test_route_matrix import ROUTES
from world import build, client_for

from models import AuditEntry, Recommendation, RecommendationStatus

MOMENT = datetime(2024, 3, 1, 20, 30, tzinfo=UTC)
UTC_RENDERINGS = ("2024-03-01", "20:30")
LOCAL_MINUTE = "2024-03-02 04:30"
READERS = ("demand", "supply", "official", "admin")


def _stamp_every_stored_time(session) -> None:
    """Set every stored time (that is set) to MOMENT, and give decided pairings a decision time."""
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, UTCDateTime):
                session.exec(update(table).where(column.is_not(None)).values({column.name: MOMENT}))
    session.exec(
        update(Recommendation)
        .where(col(Recommendation.status) != RecommendationStatus.recommended)
        .values(decided_at=MOMENT)
    )
    session.add(AuditEntry(action="batch.publish", object_type="batch", object_id=1, at=MOMENT))
    session.commit()


def _text(response) -> str:
    """What a person would read in the answer: the page, the CSV, the JSON or the workbook."""
    if response.mimetype in ("application/pdf", "image/jpeg", "image/png"):
        response.close()  # a firm's evidence file, served as uploaded: no time of ours in it
        return ""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        workbook = load_workbook(io.BytesIO(response.data))
        return "\n".join(
            " ".join(str(cell) for cell in row if cell is not None)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return response.get_data(as_text=True)


def _urls(app, world, actor) -> list[tuple[str, str]]:
    """(endpoint, url) of every page and read the actor may open, exports in both formats."""
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint not in ROUTES:
            continue
        values = ROUTES[rule.endpoint].own(actor, world)
        url = adapter.build(rule.endpoint, values, method="GET")
        urls.append((rule.endpoint, url))
        if values.get("fmt") == "csv" or values.get("dataset"):
            for dataset in (
                ("scenarios", "capabilities", "pairings") if "dataset" in values else (None,)
            ):
                for fmt in ("csv", "xlsx"):
                    more = {**values, "fmt": fmt} | ({"dataset": dataset} if dataset else {})
                    urls.append((rule.endpoint, adapter.build(rule.endpoint, more, method="GET")))
    # The review queue shows decision times on decided pairings; batches show publication.
    urls.append(("review.queue", "/review/?status="))
    return sorted(set(urls))


def test_every_time_shown_exported_or_served_is_china_standard_time(app, session):
    world = build(app, session)
    clients = {name: client_for(app, session, world.actors[name]) for name in READERS}
    _stamp_every_stored_time(session)

    shown_utc, local = [], {}
    for name in READERS:
        actor, client = world.actors[name], clients[name]
        headers = {"Authorization": f"Bearer {actor.token}"}
        for endpoint, url in _urls(app, world, actor):
            response = client.get(url, headers=headers if endpoint.startswith("api.") else {})
            if response.status_code != 200:
                continue  # what each visitor may open is test_route_matrix's business
            text = _text(response)
            shown_utc += [f"{url} as {name}: {r}" for r in UTC_RENDERINGS if r in text]
            if "2024-03-02" in text:
                local.setdefault(endpoint, text)

    assert shown_utc == []
    # The pages that show times show the local one, to the minute where they show the hour.
    for endpoint in ("review.queue", "inbox.index", "audit.index", "account.tokens"):
        assert LOCAL_MINUTE in local.get(endpoint, ""), endpoint
    assert "2024-03-02 04:30:00" in local["audit.export"]
    assert "2024-03-02T04:30:00+08:00" in local["api.get_scenario"]
    for endpoint in ("batches.index", "batches.detail", "io.export", "scenarios.mine"):
        assert endpoint in local, endpoint
