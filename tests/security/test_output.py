"""What leaves the server: user text is escaped on every page, every answer carries the
security headers (errors included), and an upload past the limit gets a readable 413."""

import csv
import io
from html.parser import HTMLParser

import pytest
from sqlalchemy import text
from sqlmodel import select
from world import build, client_for

from matchmaker.web.security import CSP
from models import (
    Capability,
    Organisation,
    Recommendation,
    RecommendationStatus,
    Scenario,
    User,
)
from support import csrf_token, post

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
SVG = "<svg onload=alert(1)>"
PAYLOADS = (SCRIPT, BREAKOUT, SVG)
ESCAPED = (
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&lt;img src=x onerror=alert(1)&gt;",
    "&lt;svg onload=alert(1)&gt;",
)


class LiveMarkup(HTMLParser):
    """Collects what a browser would run: inline scripts, on* handlers, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not values.get("src"):
            self.found.append("inline <script>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")
        if tag in ("img", "iframe", "object", "embed") and values.get("src") == "x":
            self.found.append(f"<{tag} src=x>")


def live_markup(page: str) -> list[str]:
    parser = LiveMarkup()
    parser.feed(page)
    return parser.found


def story(app, session):  # type: ignore[no-untyped-def]
    """Hostile text typed into every kind of field, through the platform's own forms."""
    world = build(app, session)
    demand_org = session.get(Organisation, world.orgs["demand_a"])
    demand_org.name = BREAKOUT  # an organisation name, shown on pages and in exports
    supply_user = session.get(User, world.users["supply"])
    supply_user.name = SVG  # a person's name, shown in timelines and on the accounts page
    session.commit()
    demand = client_for(app, session, world.actors["demand"])
    supply = client_for(app, session, world.actors["supply"])
    official = client_for(app, session, world.actors["official"])

    scenario_form = {
        "title": SCRIPT,
        "summary": BREAKOUT,
        "problem": BREAKOUT,
        "description": f"园区需要一个平台。{SVG}{BREAKOUT}{SCRIPT}，用于识别材料和自动预审。",
        "field": "智慧政务",
        "district": "渝北区",
        "tags": f"{SVG}、OCR",
        "contact_name": SVG,
        "send": "y",
    }
    assert post(demand, "/scenarios/new", scenario_form).status_code == 302
    capability_form = {
        "title": BREAKOUT,
        "summary": SCRIPT,
        "description": f"我们提供识别平台。{SCRIPT}{SVG}，已在政务大厅落地多年。",
        "field": "智慧政务",
        "district": "渝北区",
        "tags": f"{SCRIPT}、OCR",
        "products": SVG,
        "cases": SCRIPT,
        "send": "y",
    }
    assert post(supply, "/capabilities/new", capability_form).status_code == 302
    scenario = session.exec(select(Scenario).where(Scenario.title == SCRIPT)).one()
    capability = session.exec(select(Capability).where(Capability.title == BREAKOUT)).one()
    pages_before_publication = {
        "review submissions": official.get("/review/submissions"),
    }
    for area, entry in (("scenarios", scenario), ("capabilities", capability)):
        session.refresh(entry)
        url = f"/review/{area}/{entry.id}/publish"
        assert post(official, url, {"version": entry.version}).status_code == 303
    # The matcher may or may not pair the two; a pairing between them is made sure of here.
    rec = session.exec(
        select(Recommendation).where(
            Recommendation.scenario_id == scenario.id,
            Recommendation.capability_id == capability.id,
        )
    ).first() or Recommendation(
        scenario_id=scenario.id, capability_id=capability.id, score=0.9, terms=[[SCRIPT, 0.5]]
    )
    rec.matched_tags = [SVG]
    session.add(rec)
    session.commit()
    decision = {"decision": "approve", "note": SCRIPT, "version": rec.version}
    assert post(official, f"/review/recommendations/{rec.id}/decision", decision).status_code == 303
    other = session.get(Recommendation, world.pairings["open"])
    reject = {"decision": "reject", "note": BREAKOUT, "version": other.version}
    assert post(official, f"/review/recommendations/{other.id}/decision", reject).status_code == 303
    new_batch = {"year": "2025", "number": "7", "name": SCRIPT, "note": BREAKOUT}
    assert post(official, "/batches/new", new_batch).status_code == 303
    batch_id = int(session.execute(text("SELECT max(id) FROM batch")).scalar())
    pages_before_publication["batch edit"] = official.get(f"/batches/{batch_id}/edit")
    items = {"pairing": str(rec.id), "scenario": str(scenario.id), "version": "1"}
    assert post(official, f"/batches/{batch_id}/items", items).status_code == 303
    assert post(official, f"/batches/{batch_id}/publish", {"version": "2"}).status_code == 303
    session.refresh(rec)
    assert rec.status == RecommendationStatus.published
    step = {"stage": "contacted", "occurred_on": "", "note": SCRIPT}
    from matchmaker.web.dates import local_today

    with app.app_context():
        step["occurred_on"] = local_today().isoformat()
    assert post(supply, f"/docking/{rec.id}/steps", step).status_code == 302
    interest = {"capability": str(world.capabilities["a_published"]), "message": SVG}
    assert post(supply, f"/interest/scenarios/{scenario.id}", interest).status_code == 302
    interest_id = int(session.execute(text("SELECT max(id) FROM interest")).scalar())
    response = post(demand, f"/interest/{interest_id}/decline", {"reason": BREAKOUT})
    assert response.status_code == 302
    return world, scenario, capability, rec, batch_id, pages_before_publication


def test_hostile_text_is_shown_as_text_on_every_page(app, session):
    world, scenario, capability, rec, batch_id, earlier = story(app, session)
    anonymous = app.test_client()
    viewers = {name: client_for(app, session, world.actors[name]) for name in world.actors}
    htmx = {"HX-Request": "true", "HX-Target": "results"}
    pages = {
        "home": (anonymous, "/", {}),
        "scenario list": (anonymous, "/scenarios/", {}),
        "scenario search (htmx)": (anonymous, "/scenarios/?q=script", htmx),
        "scenario detail": (anonymous, f"/scenarios/{scenario.id}", {}),
        "capability list": (anonymous, "/capabilities/", {}),
        "capability search (htmx)": (anonymous, "/capabilities/?q=img", htmx),
        "capability detail": (anonymous, f"/capabilities/{capability.id}", {}),
        "batches": (anonymous, "/batches/", {}),
        "batch detail": (anonymous, f"/batches/{batch_id}", {}),
        "statistics": (anonymous, "/statistics/", {}),
        "my scenarios": (viewers["demand"], "/scenarios/mine", {}),
        "received interest": (viewers["demand"], "/interest/received", {}),
        "my pairings": (viewers["demand"], "/docking/", {}),
        "docking timeline": (viewers["demand"], f"/docking/{rec.id}", {}),
        "demand inbox": (viewers["demand"], "/inbox/", {}),
        "my capabilities": (viewers["supply"], "/capabilities/mine", {}),
        "my interest": (viewers["supply"], "/interest/mine", {}),
        "supply inbox": (viewers["supply"], "/inbox/", {}),
        "review queue": (viewers["official"], "/review/?status=", {}),
        "review queue (htmx)": (viewers["official"], "/review/?status=published", htmx),
        "dashboard": (viewers["official"], "/dashboard/", {}),
        "audit trail": (viewers["official"], "/audit/", {}),
        "organisations": (viewers["official"], "/admin/organisations", {}),
        "accounts": (viewers["admin"], "/admin/users", {}),
        "api docs": (anonymous, "/api/v1/docs", {}),
    }
    answers = {
        name: client.get(url, headers=headers) for name, (client, url, headers) in pages.items()
    }
    answers.update(earlier)
    wrong, unseen = [], []
    for name, response in answers.items():
        page = response.get_data(as_text=True)
        if response.status_code != 200 or response.mimetype != "text/html":
            wrong.append(f"{name}: {response.status_code} {response.mimetype}")
            continue
        live = live_markup(page) + [p for p in PAYLOADS if p in page]
        if live:
            wrong.append(f"{name}: {live}")
        if name != "api docs" and not any(escaped in page for escaped in ESCAPED):
            unseen.append(name)
    assert wrong == []
    assert unseen == [], "these pages should show the hostile text (escaped)"


def test_hostile_text_in_downloads_and_json_is_data_not_markup(app, session):
    world, scenario, capability, rec, batch_id, _earlier = story(app, session)
    anonymous = app.test_client()
    official = client_for(app, session, world.actors["official"])
    for client, url in (
        (anonymous, "/io/export/scenarios.csv"),
        (anonymous, "/io/export/pairings.csv"),
        (official, "/io/export/capabilities.csv"),
        (official, "/audit/export.csv"),
        (official, "/dashboard/export.csv"),
    ):
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "text/csv", url
        assert response.headers["Content-Disposition"].startswith("attachment"), url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        formulas = [cell for row in rows for cell in row if cell.startswith(("=", "+", "@"))]
        assert formulas == [], url
    xlsx = anonymous.get("/io/export/scenarios.xlsx")
    assert xlsx.headers["Content-Disposition"].startswith("attachment")
    for url in (
        f"/api/v1/scenarios/{scenario.id}",
        "/api/v1/scenarios?q=script",
        "/api/v1/pairings",
    ):
        response = anonymous.get(url)
        assert response.status_code == 200 and response.mimetype == "application/json", url
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert anonymous.get(f"/api/v1/scenarios/{scenario.id}").get_json()["title"] == SCRIPT


def test_a_formula_typed_as_a_title_leaves_as_text(app, session):
    world = build(app, session)
    supply = client_for(app, session, world.actors["supply"])
    form = {
        "title": '=HYPERLINK("http://evil.example","点我")',
        "description": "一段足够长的描述，说明这个能力是做什么的，已在多地落地运行。",
        "field": "智慧政务",
        "district": "渝北区",
        "save_draft": "y",
    }
    assert post(supply, "/capabilities/new", form).status_code == 302
    exported = supply.get("/io/export/capabilities.csv?mine=1").get_data(as_text=True)
    assert "'=HYPERLINK(" in exported and "\n=HYPERLINK(" not in exported


# ---- headers on every kind of answer ----------------------------------------------------------


def assert_security_headers(response, what: str) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert csp == CSP, what
    assert "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp, what
    assert "script-src 'self'" in csp and "object-src 'none'" in csp, what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", what
    assert headers.get("X-Frame-Options") == "DENY", what


def test_every_kind_of_answer_carries_the_security_headers(app, session):
    world = build(app, session)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    anonymous = app.test_client()
    demand = client_for(app, session, world.actors["demand"])
    token = world.actors["demand"].token
    bearer = {"Authorization": f"Bearer {token}"}
    answers = {
        200: anonymous.get("/"),
        302: anonymous.get("/inbox/"),
        304: None,
        400: anonymous.post("/auth/login", data={"email": "a@b.cn"}),  # no CSRF token
        403: demand.get("/review/"),
        404: anonymous.get("/no-such-page"),
        405: anonymous.delete("/"),
        413: demand.post(
            "/io/import/scenarios",
            data={"csrf_token": csrf_token(demand), "file": (io.BytesIO(b"x" * 100_000), "a.csv")},
        ),
        "static": anonymous.get("/static/style.css"),
        "csv": anonymous.get("/statistics/export.csv"),
        "api 200": anonymous.get("/api/v1/scenarios"),
        "api 401": anonymous.get("/api/v1/me"),
        "api 404": anonymous.get("/api/v1/no-such-thing"),
        "api 405": anonymous.delete("/api/v1/scenarios"),
        "api 413": anonymous.post(
            "/api/v1/scenarios",
            data=b"{" * 100_000,
            content_type="application/json",
            headers=bearer,
        ),
        "api 422": anonymous.post(
            "/api/v1/scenarios", json={"status": "published"}, headers=bearer
        ),
    }
    del answers[304]
    tries = [
        post(anonymous, "/auth/login", {"email": "x@y.cn", "password": "no"}) for _ in range(11)
    ]
    answers[429] = tries[-1]
    for what, response in answers.items():
        response.get_data()
        response.close()
        if isinstance(what, int):
            assert response.status_code == what, (what, response.status_code)
        assert_security_headers(response, str(what))
    assert answers["api 413"].status_code == 413
    assert answers["api 413"].mimetype == "application/problem+json"
    assert answers["api 422"].status_code == 422


def test_a_server_error_is_a_readable_page_with_the_headers(app, session):
    """A broken database (a table gone) makes pages and the API fail: politely, with headers."""
    world = build(app, session)
    # Renamed rather than dropped: PostgreSQL keeps the worker's schema for the next test.
    session.execute(text("ALTER TABLE recommendation RENAME TO recommendation_hidden"))
    session.commit()
    try:
        client = app.test_client()
        # The detail page of a published scenario reads its pairings.
        page = client.get(f"/scenarios/{world.scenarios['a_published']}")
        assert page.status_code == 500
        assert page.mimetype == "text/html" and 'class="error-box"' in page.get_data(as_text=True)
        assert_security_headers(page, "500 page")
        api = client.get("/api/v1/pairings")
        assert api.status_code == 500 and api.mimetype == "application/problem+json"
        assert_security_headers(api, "API 500")
    finally:
        session.rollback()
        session.execute(text("ALTER TABLE recommendation_hidden RENAME TO recommendation"))
        session.commit()


def test_an_upload_past_the_limit_is_refused_with_a_readable_page(app, session):
    world = build(app, session)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    demand = client_for(app, session, world.actors["demand"])
    big = io.BytesIO(b"title,description\n" + b"x" * 200_000)
    response = demand.post(
        "/io/import/scenarios", data={"csrf_token": csrf_token(demand), "file": (big, "big.csv")}
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert response.mimetype == "text/html" and 'class="error-box"' in page and "413" in page
    # The same upload from htmx gets the message as a fragment to swap in.
    again = demand.post(
        "/io/import/scenarios",
        data={"file": (io.BytesIO(b"x" * 200_000), "big.csv")},
        headers={"HX-Request": "true", "X-CSRFToken": csrf_token(demand)},
    )
    assert again.status_code == 413 and "<html" not in again.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/scenarios/", "/auth/login", "/api/v1/docs"])
def test_pages_load_no_script_from_elsewhere(client, path):
    page = client.get(path).get_data(as_text=True)
    sources = []

    class Scripts(HTMLParser):
        def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
            if tag == "script":
                sources.append(dict(attrs).get("src") or "")

    Scripts().feed(page)
    assert sources and all(src.startswith("/static/") for src in sources)
    assert live_markup(page) == []
