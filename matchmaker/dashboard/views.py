"""The officials' dashboard (filters by batch, field, district) and the public statistics."""

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from markupsafe import Markup

from matchmaker.dashboard import aggregates, charts
from matchmaker.dashboard.aggregates import Figures, Scope
from matchmaker.entries import listing
from matchmaker.entries.reference import DISTRICTS, FIELDS
from matchmaker.spreadsheets import exports
from matchmaker.spreadsheets.downloads import send_sheets
from matchmaker.web import htmx
from matchmaker.web.access import STAFF, public, roles_required
from matchmaker.web.caching import remembered, shared
from matchmaker.web.db import get_session
from matchmaker.web.labels import batch_label, status_label
from matchmaker.web.names import reference_label, reference_options
from models import Batch

bp = Blueprint("dashboard", __name__)
FORMAT = "<any(xlsx, csv):fmt>"
SPREAD = 20  # a funnel stage this many times another is drawn on a logarithmic scale


def _counts(rows: list[aggregates.Row]) -> list[tuple[str, list[int]]]:
    """The series a breakdown chart shows: entries and published pairings per row."""
    return [
        (_("Scenarios"), [r.scenarios for r in rows]),
        (_("Capabilities"), [r.capabilities for r in rows]),
        (_("Published pairings"), [r.pairings for r in rows]),
    ]


def chart_set(data: Figures) -> dict[str, Markup]:
    """The SVG charts for `data`; the template's table beside each holds the same numbers."""
    with_contracts = [r for r in data.by_field if r.amount]
    batches = [r for r in data.by_batch if r.key is not None]  # a trend runs over batches
    counts = [n for _s, n in data.funnel]
    # When the first stage dwarfs the others (8,295 recommended, 10 signed), a linear scale
    # draws the later stages as nothing: a logarithmic one keeps every stage visible.
    dwarfed = max(counts, default=0) > SPREAD * min([n for n in counts if n] or [1])
    return {
        "funnel": charts.bars(
            _("Pairings at each stage (logarithmic scale)")
            if dwarfed
            else _("Pairings at each stage"),
            [status_label(s) for s, _n in data.funnel],
            [(_("Pairings"), counts)],
            horizontal=True,
            logarithmic=dwarfed,
        ),
        "field": charts.bars(
            _("By field"),
            [r.label for r in data.by_field],
            _counts(data.by_field),
            horizontal=True,
        ),
        "district": charts.bars(
            _("By district"),
            [r.label for r in data.by_district],
            _counts(data.by_district),
            horizontal=True,
        ),
        "batch": charts.lines(
            _("By batch"),
            [r.label for r in batches],
            [*_counts(batches), (_("Signed"), [r.signed for r in batches])],
        ),
        "contracts": charts.bars(
            _("Signed contract value by field (10,000 yuan)"),
            [r.label for r in with_contracts],
            [(_("Contract value"), [r.amount for r in with_contracts])],
            horizontal=True,
        ),
    }


def figures_for(scope: Scope) -> Figures:
    """The figures of `scope`, computed once per data version (any write recomputes them)."""
    return remembered(("figures", scope), lambda: aggregates.figures(get_session(), scope))


def charts_for(scope: Scope) -> dict[str, Markup]:
    """The charts of `scope`'s figures, drawn once per data version and language."""
    return remembered(("charts", scope), lambda: chart_set(figures_for(scope)))


def _page(template: str, scope: Scope, **context: object) -> Response:
    return htmx.render(
        template,
        "dashboard/_figures.html",
        target="figures",
        figures=figures_for(scope),
        charts=charts_for(scope),
        filters=scope.filters,
        export_endpoint=(
            "dashboard.statistics_export" if scope.public else "dashboard.officials_export"
        ),
        export_args={k: v for k, v in scope.filters._asdict().items() if v not in (None, "")},
        **context,
    )


@bp.route("/dashboard/")
@roles_required(*STAFF)
def officials() -> Response:
    """Every figure, filterable by batch, field and district."""
    filters = aggregates.parse_filters(request.args)
    batches = [(b.id, batch_label(b)) for b in listing.batches(get_session(), drafts=True)]
    choices = [
        ("batch", _("Batch"), _("All batches"), batches),
        ("field", _("Field"), _("All fields"), reference_options(FIELDS)),
        ("district", _("District"), _("All districts"), reference_options(DISTRICTS)),
    ]
    return _page("dashboard/officials.html", Scope(public=False, filters=filters), choices=choices)


@bp.route(f"/dashboard/export.{FORMAT}")
@roles_required(*STAFF)
def officials_export(fmt: str) -> Response:
    """The officials' figures (with the same filters) as .xlsx or .csv."""
    filters = aggregates.parse_filters(request.args)
    scope = Scope(public=False, filters=filters)
    named = _named_filters(filters)
    sheets = exports.figures(figures_for(scope), filters=named)
    return send_sheets(sheets, fmt, "dashboard-filtered" if named else "dashboard")


def _named_filters(filters: aggregates.Filters) -> list[tuple[str, str]]:
    """The filters in force, as (what, which) in the reader's words, for the export to say."""
    named = []
    if filters.batch is not None:
        batch = get_session().get(Batch, filters.batch)
        named.append((_("Batch"), batch_label(batch) if batch else str(filters.batch)))
    if filters.field:
        named.append((_("Field"), reference_label(filters.field)))
    if filters.district:
        named.append((_("District"), reference_label(filters.district)))
    return named


@bp.route("/statistics/")
@public
@shared
def statistics() -> Response:
    """Published figures for everyone: no drafts, no reviews in progress, no contacts."""
    return _page("dashboard/public.html", Scope(public=True))


@bp.route(f"/statistics/export.{FORMAT}")
@public
def statistics_export(fmt: str) -> Response:
    """The public figures as .xlsx or .csv."""
    return send_sheets(exports.figures(figures_for(Scope(public=True))), fmt, "statistics")
