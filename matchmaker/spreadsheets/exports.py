"""What goes into each export: lists of entries (in the import layout, so they import back),
pairings, docking follow-up and the dashboard figures.

Who sees what: the public gets published entries without contact people and published
pairings; an organisation ("mine") gets all of its own entries and the published pairings and
follow-up it takes part in; officials get everything.
"""

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy import Select, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from matchmaker.dashboard import aggregates
from matchmaker.dashboard.aggregates import Figures
from matchmaker.docking import followup
from matchmaker.spreadsheets.files import LAYOUTS, ORGANISATION_COLUMN, Sheet, export_value
from matchmaker.web.dates import local_date
from matchmaker.web.labels import (
    batch_name_label,
    district_label,
    labelled,
    listed,
    status_label,
)
from matchmaker.web.names import reference_label
from models import (
    Batch,
    Capability,
    DockingEvent,
    DockingStage,
    Organisation,
    Recommendation,
    RecommendationStatus,
    Scenario,
)

MODELS: dict[str, type[Scenario] | type[Capability]] = {
    "scenarios": Scenario,
    "capabilities": Capability,
}
PUBLIC_STATUSES = {
    "scenarios": aggregates.PUBLIC_SCENARIO,
    "capabilities": aggregates.PUBLIC_CAPABILITY,
}
PRIVATE_FOR_PUBLIC = ("contact_name", "contact_phone")
DATASETS = ("scenarios", "capabilities", "pairings", "docking")


class ExportScope(NamedTuple):
    staff: bool = False
    organisation_id: int | None = None  # "mine": only what this organisation takes part in
    status: str = ""
    filters: aggregates.Filters = aggregates.Filters()


def entries(session: Session, kind: str, scope: ExportScope) -> Sheet:
    """Scenarios or capabilities in the import's column layout, then bookkeeping columns."""
    model, layout = MODELS[kind], LAYOUTS[kind]
    stmt: Select = (
        select(model, Organisation.name, Batch.name)
        .join(Organisation, col(Organisation.id) == model.organisation_id)
        .outerjoin(Batch, col(Batch.id) == model.batch_id)
        .order_by(col(model.id))
    )
    private = scope.staff or scope.organisation_id is not None
    if scope.organisation_id is not None:
        stmt = stmt.where(model.organisation_id == scope.organisation_id)
    if not private:
        stmt = stmt.where(col(model.status).in_(PUBLIC_STATUSES[kind]))
    if scope.status and (private or scope.status in PUBLIC_STATUSES[kind]):
        stmt = stmt.where(model.status == scope.status)
    stmt = stmt.where(*aggregates.dimension_conditions(model, scope.filters, batch=model.batch_id))
    headers = [c.header for c in layout.columns] + [
        ORGANISATION_COLUMN.header,
        "编号",
        "状态",
        "批次",
        "发布日期",
    ]

    def rows() -> Iterator[list[Any]]:
        for entry, org_name, batch_name in session.exec(stmt.execution_options(yield_per=500)):
            cells = [
                "" if c.attr in PRIVATE_FOR_PUBLIC and not private else export_value(c, entry)
                for c in layout.columns
            ]
            published = local_date(entry.published_at) if entry.published_at else None
            yield cells + [
                org_name,
                entry.code or "",
                status_label(entry.status),
                batch_name_label(batch_name) if batch_name else "",
                published,
            ]

    return Sheet(layout.sheet_title, headers, rows())


def _pairings_query(scope: ExportScope, *, published_only: bool) -> Select:
    """Pairings with both sides' titles and organisations, the batch and the follow-up."""
    demand, supply = aliased(Organisation), aliased(Organisation)
    latest = aggregates.latest_events()
    signed = aggregates.latest_events(DockingStage.signed)
    steps = (
        select(DockingEvent.recommendation_id, func.count().label("steps"))
        .where(followup.counts())
        .group_by(DockingEvent.recommendation_id)
        .subquery()
    )
    stmt = (
        select(
            Recommendation,
            Scenario.title,
            demand.name,
            Capability.title,
            supply.name,
            Scenario.field,
            Scenario.district,
            Batch.name,
            latest.c.stage,
            latest.c.occurred_on,
            latest.c.reason,
            latest.c.note,
            signed.c.contract_amount_wan,
            steps.c.steps,
        )
        .join(Scenario, col(Scenario.id) == Recommendation.scenario_id)
        .join(Capability, col(Capability.id) == Recommendation.capability_id)
        .join(demand, demand.id == Scenario.organisation_id)
        .join(supply, supply.id == Capability.organisation_id)
        .outerjoin(Batch, col(Batch.id) == Recommendation.batch_id)
        .outerjoin(latest, latest.c.recommendation_id == Recommendation.id)
        .outerjoin(signed, signed.c.recommendation_id == Recommendation.id)
        .outerjoin(steps, steps.c.recommendation_id == Recommendation.id)
        .where(
            *aggregates.dimension_conditions(Scenario, scope.filters, batch=Recommendation.batch_id)
        )
        .order_by(col(Recommendation.id))
    )
    if published_only or not scope.staff:
        stmt = stmt.where(Recommendation.status == RecommendationStatus.published)
    elif scope.status:
        stmt = stmt.where(Recommendation.status == scope.status)
    if scope.organisation_id is not None:
        stmt = stmt.where(
            or_(
                Scenario.organisation_id == scope.organisation_id,
                Capability.organisation_id == scope.organisation_id,
            )
        )
    return stmt


def _side_headers() -> list[str]:
    """The first columns of both pairing lists, in the reader's language."""
    return [
        pgettext("export column", "Pairing no."),
        pgettext("export column", "Scenario"),
        pgettext("export column", "Demand side"),
        pgettext("export column", "Capability"),
        pgettext("export column", "Supply side"),
        pgettext("export column", "Field"),
        pgettext("export column", "District"),
    ]


def _sides(row: Any) -> list[Any]:
    """The pairing id, both sides and the scenario's field and district, from a query row."""
    field, district = row[5], row[6]
    return [row[0].id, *row[1:5], reference_label(field), district_label(district)]


def pairings(session: Session, scope: ExportScope) -> Sheet:
    """Pairings with both sides, score, status, batch, latest stage and contract amount."""
    headers = [
        *_side_headers(),
        pgettext("export column", "Score"),
        pgettext("export column", "Status"),
        pgettext("export column", "Batch"),
        pgettext("export column", "Latest stage"),
        pgettext("export column", "Contract amount (10,000 yuan)"),
    ]
    stmt = _pairings_query(scope, published_only=False)

    def rows() -> Iterator[list[Any]]:
        for row in session.exec(stmt.execution_options(yield_per=500)):
            rec, batch, stage, amount = row[0], row[7], row[8], row[12]
            yield [
                *_sides(row),
                round(rec.score, 3),
                status_label(rec.status),
                batch_name_label(batch) if batch else "",
                status_label(stage) if stage else "",
                amount,
            ]

    return Sheet(_("Pairings"), headers, rows())


def docking(session: Session, scope: ExportScope) -> Sheet:
    """Follow-up of published pairings: latest stage and date, steps, contract, reason."""
    headers = [
        *_side_headers(),
        pgettext("export column", "Batch"),
        pgettext("export column", "Latest stage"),
        pgettext("export column", "Date of the latest stage"),
        pgettext("export column", "Docking steps"),
        pgettext("export column", "Contract amount (10,000 yuan)"),
        pgettext("export column", "Reason for closing"),
        pgettext("export column", "Latest note"),
    ]
    stmt = _pairings_query(scope, published_only=True)

    def rows() -> Iterator[list[Any]]:
        for row in session.exec(stmt.execution_options(yield_per=500)):
            batch, stage, occurred_on, reason, note, amount, steps = row[7:]
            yield [
                *_sides(row),
                batch_name_label(batch) if batch else "",
                status_label(stage) if stage else _("Not contacted yet"),
                occurred_on,
                steps or 0,
                amount,
                reason or "",
                note or "",
            ]

    return Sheet(_("Docking follow-up"), headers, rows())


def figures(data: Figures, *, filters: Sequence[tuple[str, str]] = ()) -> list[Sheet]:
    """The dashboard's figures as sheets: overview (saying which filters are in force, if
    any), funnel, and each breakdown."""
    said = [labelled(what, which) for what, which in filters]
    overview = [[_("Filtered by"), listed(said)]] if said else []
    overview += [
        [_("Published scenarios"), data.coverage.published_scenarios],
        [_("Published scenarios with a published pairing"), data.coverage.covered_scenarios],
        [_("Coverage of published scenarios (%)"), round(data.coverage.share * 100, 1)],
        [_("Firms with published capabilities"), data.coverage.firms],
        [_("Of these, never recommended"), data.coverage.firms_never_recommended],
        [_("Signed pairings"), data.signed],
        [_("Signed contract value (10,000 yuan)"), data.contract_total],
    ]
    for kind, label in (
        ("scenarios", _("Scenarios")),
        ("capabilities", _("Capabilities")),
        ("pairings", _("Pairings")),
    ):
        for status, count in sorted(data.totals[kind].items()):
            overview.append([labelled(label, status_label(status)), count])
    stage_names = [status_label(s) for s in data.stages]
    breakdown_headers = [
        _("Scenarios"),
        _("Capabilities"),
        _("Published pairings"),
        _("Signed"),
        _("Contract value (10,000 yuan)"),
    ]
    sheets = [
        Sheet(_("Overview"), [_("Figure"), _("Value")], overview),
        Sheet(
            _("Funnel"), [_("Stage"), _("Pairings")], [[status_label(s), n] for s, n in data.funnel]
        ),
        Sheet(
            _("Funnel by field"),
            [_("Field"), *stage_names],
            [[reference_label(k) or _("Not stated"), *v] for k, v in data.funnel_by_field],
        ),
        Sheet(
            _("Funnel by district"),
            [_("District"), *stage_names],
            [[district_label(k), *v] for k, v in data.funnel_by_district],
        ),
    ]
    for title, key, rows in (
        (_("By field"), _("Field"), data.by_field),
        (_("By district"), _("District"), data.by_district),
        (_("By batch"), _("Batch"), data.by_batch),
    ):
        sheets.append(Sheet(title, [key, *breakdown_headers], [[r.label, *r[2:]] for r in rows]))
    if not data.scope.public and data.coverage.never_recommended:
        sheets.append(
            Sheet(
                _("Never recommended"),
                [_("Organisation")],
                [[name] for name in data.coverage.never_recommended],
            )
        )
    return sheets
