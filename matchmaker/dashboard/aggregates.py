"""Figures for the officials' dashboard and the public statistics, all from SQL aggregates.

A pairing counts at every funnel stage it has reached: recommended → approved → published →
contacted → signed. Reaching a later stage implies the earlier ones (a signed pairing was
contacted, published and approved), so the funnel never widens.
"""

from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import Subquery, case, distinct, exists, func, literal
from sqlmodel import Session, col, select

from matchmaker.docking import followup
from matchmaker.entries.reference import DISTRICTS, FIELDS
from matchmaker.web.names import reference_label
from matchmaker.web.security import parse_int
from models import (
    Batch,
    Capability,
    CapabilityStatus,
    DockingEvent,
    DockingStage,
    Organisation,
    Recommendation,
    RecommendationStatus,
    Scenario,
    ScenarioStatus,
)

STAGES = ("recommended", "approved", "published", "contacted", "signed")
PUBLIC_STAGES = ("published", "contacted", "signed")
PUBLIC_SCENARIO = (ScenarioStatus.published, ScenarioStatus.closed)
PUBLIC_CAPABILITY = (CapabilityStatus.published,)
NEVER_RECOMMENDED_SHOWN = 100


class Filters(NamedTuple):
    batch: int | None = None
    field: str = ""
    district: str = ""


class Scope(NamedTuple):
    """Whose figures: the public's (published data only) or officials' (everything)."""

    public: bool
    filters: Filters = Filters()


class Row(NamedTuple):
    key: Any
    label: str
    scenarios: int
    capabilities: int
    pairings: int  # published pairings
    signed: int
    amount: float  # signed contract value, 万元


class Coverage(NamedTuple):
    published_scenarios: int
    covered_scenarios: int  # with at least one published pairing
    firms: int  # organisations with published capabilities
    firms_never_recommended: int
    never_recommended: list[str]  # their names (officials only)

    @property
    def share(self) -> float:
        """Share of published scenarios with a published pairing, 0–1."""
        return (
            self.covered_scenarios / self.published_scenarios if self.published_scenarios else 0.0
        )


class Figures(NamedTuple):
    scope: Scope
    totals: dict[str, dict[str, int]]  # "scenarios"/"capabilities"/"pairings" → status → count
    funnel: list[tuple[str, int]]
    funnel_by_field: list[tuple[str, list[int]]]
    funnel_by_district: list[tuple[str, list[int]]]
    by_field: list[Row]
    by_district: list[Row]
    by_batch: list[Row]
    signed: int
    contract_total: float
    coverage: Coverage

    @property
    def stages(self) -> tuple[str, ...]:
        """The funnel stages this scope shows."""
        return PUBLIC_STAGES if self.scope.public else STAGES


def parse_filters(args: Any) -> Filters:
    """Filters from query arguments, leniently: unknown values mean "all", never an error."""
    batch = str(args.get("batch", ""))
    field = str(args.get("field", ""))
    district = str(args.get("district", ""))
    return Filters(
        batch=parse_int(batch),
        field=field if field in FIELDS else "",
        district=district if district in DISTRICTS else "",
    )


# ---- building blocks ----------------------------------------------------------------------


def _entry_conditions(model: type[Scenario] | type[Capability], scope: Scope) -> list[Any]:
    """Which entries count: published ones for the public, all but drafts for officials."""
    if scope.public:
        statuses = PUBLIC_SCENARIO if model is Scenario else PUBLIC_CAPABILITY
        conditions = [col(model.status).in_(statuses)]
    else:
        conditions = [model.status != "draft"]
    return conditions + dimension_conditions(model, scope.filters, batch=model.batch_id)


def dimension_conditions(model: Any, filters: Filters, *, batch: Any) -> list[Any]:
    """SQL conditions for the batch, field and district filters on `model`'s columns."""
    conditions = []
    if filters.batch is not None:
        conditions.append(batch == filters.batch)
    if filters.field:
        conditions.append(model.field == filters.field)
    if filters.district:
        conditions.append(model.district == filters.district)
    return conditions


def _pairing_conditions(scope: Scope) -> list[Any]:
    """Pairings in scope (joined to their scenario): the public sees published ones only."""
    conditions = dimension_conditions(Scenario, scope.filters, batch=Recommendation.batch_id)
    if scope.public:
        conditions.append(Recommendation.status == RecommendationStatus.published)
    return conditions


def latest_events(stage: DockingStage | None = None) -> Subquery:
    """Each pairing's latest docking event (of `stage`, if given): one row per pairing."""
    rank = func.row_number().over(
        partition_by=DockingEvent.recommendation_id,
        order_by=(col(DockingEvent.occurred_on).desc(), col(DockingEvent.id).desc()),
    )
    ranked = select(
        DockingEvent.recommendation_id,
        DockingEvent.stage,
        DockingEvent.occurred_on,
        DockingEvent.contract_amount_wan,
        DockingEvent.reason,
        DockingEvent.note,
        rank.label("rank"),
    ).where(followup.counts())
    if stage is not None:
        ranked = ranked.where(DockingEvent.stage == stage)
    inner = ranked.subquery()
    return select(inner).where(inner.c.rank == 1).subquery()


def _levels(scope: Scope) -> Subquery:
    """Each pairing in scope with the furthest funnel stage it reached (1–5) and its keys."""
    reached = func.max(
        case(
            (DockingEvent.stage == DockingStage.signed, 2),
            (col(DockingEvent.stage).in_((DockingStage.contacted, DockingStage.negotiating)), 1),
            else_=0,
        )
    )
    progress = (
        select(DockingEvent.recommendation_id.label("rid"), reached.label("reached"))
        .where(followup.counts())
        .group_by(DockingEvent.recommendation_id)
        .subquery()
    )
    level = case(
        (progress.c.reached == 2, 5),
        (progress.c.reached == 1, 4),
        (Recommendation.status == RecommendationStatus.published, 3),
        (Recommendation.status == RecommendationStatus.approved, 2),
        else_=1,
    )
    return (
        select(Recommendation.id, Scenario.field, Scenario.district, level.label("level"))
        .select_from(Recommendation)
        .join(Scenario, col(Scenario.id) == Recommendation.scenario_id)
        .outerjoin(progress, progress.c.rid == Recommendation.id)
        .where(*_pairing_conditions(scope))
        .subquery()
    )


def _cumulative(by_level: dict[int, int], stages: tuple[str, ...]) -> list[int]:
    """Counts per stage from counts per furthest level (a pairing counts at each it reached)."""
    first = STAGES.index(stages[0]) + 1
    return [
        sum(n for level, n in by_level.items() if level >= first + i) for i in range(len(stages))
    ]


# ---- the figures --------------------------------------------------------------------------


def funnel(session: Session, scope: Scope) -> list[tuple[str, int]]:
    """(stage, pairings that reached it) along the funnel."""
    levels = _levels(scope)
    by_level = dict(
        session.exec(select(levels.c.level, func.count()).group_by(levels.c.level)).all()
    )
    stages = PUBLIC_STAGES if scope.public else STAGES
    return list(zip(stages, _cumulative(by_level, stages), strict=True))


def funnel_by(session: Session, scope: Scope, dimension: str) -> list[tuple[str, list[int]]]:
    """The funnel for each field or district: (key, counts per stage)."""
    levels = _levels(scope)
    key = levels.c[dimension]
    rows = session.exec(select(key, levels.c.level, func.count()).group_by(key, levels.c.level))
    grouped: dict[str, dict[int, int]] = {}
    for value, level, count in rows:
        grouped.setdefault(value or "", {})[level] = count
    stages = PUBLIC_STAGES if scope.public else STAGES
    table = [(value, _cumulative(counts, stages)) for value, counts in grouped.items()]
    return sorted(table, key=lambda row: (-row[1][0], row[0]))


def totals(session: Session, scope: Scope) -> dict[str, dict[str, int]]:
    """Counts by status of scenarios, capabilities and pairings in scope."""
    result = {}
    for name, model in (("scenarios", Scenario), ("capabilities", Capability)):
        stmt = (
            select(model.status, func.count())
            .where(*_entry_conditions(model, scope))
            .group_by(model.status)
        )
        result[name] = {str(status): n for status, n in session.exec(stmt)}
    stmt = (
        select(Recommendation.status, func.count())
        .select_from(Recommendation)
        .join(Scenario, col(Scenario.id) == Recommendation.scenario_id)
        .where(*_pairing_conditions(scope))
        .group_by(Recommendation.status)
    )
    result["pairings"] = {str(status): n for status, n in session.exec(stmt)}
    return result


def breakdown(session: Session, scope: Scope, dimension: str) -> list[Row]:
    """Entries, published pairings, signings and contract value per field, district or batch."""
    entry_key = {
        "field": lambda m: m.field,
        "district": lambda m: m.district,
        "batch": lambda m: m.batch_id,
    }[dimension]
    pairing_key = Recommendation.batch_id if dimension == "batch" else entry_key(Scenario)
    counts: dict[str, dict[Any, float]] = {}
    for name, model in (("scenarios", Scenario), ("capabilities", Capability)):
        key = entry_key(model)
        stmt = select(key, func.count()).where(*_entry_conditions(model, scope)).group_by(key)
        counts[name] = dict(session.exec(stmt).all())
    published = (
        select(pairing_key, func.count())
        .select_from(Recommendation)
        .join(Scenario, col(Scenario.id) == Recommendation.scenario_id)
        .where(Recommendation.status == RecommendationStatus.published)
        .where(*_pairing_conditions(scope))
        .group_by(pairing_key)
    )
    counts["pairings"] = dict(session.exec(published).all())
    signed = latest_events(DockingStage.signed)
    contracts = (
        select(
            pairing_key,
            func.count(),
            func.coalesce(func.sum(signed.c.contract_amount_wan), literal(0.0)),
        )
        .select_from(signed)
        .join(Recommendation, col(Recommendation.id) == signed.c.recommendation_id)
        .join(Scenario, col(Scenario.id) == Recommendation.scenario_id)
        .where(*_pairing_conditions(scope))
        .group_by(pairing_key)
    )
    counts["signed"], counts["amount"] = {}, {}
    for key, n, amount in session.exec(contracts):
        counts["signed"][key] = n
        counts["amount"][key] = float(amount or 0)
    keys = set().union(*(c.keys() for c in counts.values()))
    labels, order = _labels(session, dimension, keys)
    return [
        Row(
            key,
            labels[key],
            int(counts["scenarios"].get(key, 0)),
            int(counts["capabilities"].get(key, 0)),
            int(counts["pairings"].get(key, 0)),
            int(counts["signed"].get(key, 0)),
            round(counts["amount"].get(key, 0.0), 2),
        )
        for key in sorted(keys, key=order)
    ]


def _labels(session: Session, dimension: str, keys: set[Any]) -> tuple[dict[Any, str], Any]:
    """Display labels for the keys, and a sort key: reference order, batches oldest first."""
    if dimension == "batch":
        batches = {
            b.id: b for b in session.exec(select(Batch).where(col(Batch.id).in_(keys - {None})))
        }
        labels = {k: batches[k].name if k in batches else str(_l("No batch")) for k in keys}
        return (
            labels,
            lambda k: (batches[k].year, batches[k].number, k) if k in batches else (9999, 0, 0),
        )
    reference = list(FIELDS if dimension == "field" else DISTRICTS)
    labels = {k: reference_label(k) or str(_l("Not stated")) for k in keys}
    return labels, lambda k: (reference.index(k) if k in reference else len(reference), k or "~")


def contract_totals(session: Session, scope: Scope) -> tuple[int, float]:
    """(signed pairings, their contract value in 万元); a pairing's latest signing counts."""
    signed = latest_events(DockingStage.signed)
    stmt = (
        select(func.count(), func.coalesce(func.sum(signed.c.contract_amount_wan), literal(0.0)))
        .select_from(signed)
        .join(Recommendation, col(Recommendation.id) == signed.c.recommendation_id)
        .join(Scenario, col(Scenario.id) == Recommendation.scenario_id)
        .where(*_pairing_conditions(scope))
    )
    count, amount = session.exec(stmt).one()
    return int(count), round(float(amount or 0), 2)


def coverage(session: Session, scope: Scope) -> Coverage:
    """How far publication reaches: scenarios with a published pairing, firms never matched."""
    public_scope = Scope(public=True, filters=scope.filters)
    published_scenarios = select(Scenario.id).where(*_entry_conditions(Scenario, public_scope))
    total = session.exec(select(func.count()).select_from(published_scenarios.subquery())).one()
    covered = session.exec(
        select(func.count(distinct(Recommendation.scenario_id))).where(
            Recommendation.status == RecommendationStatus.published,
            col(Recommendation.scenario_id).in_(published_scenarios),
        )
    ).one()
    publishing_firms = select(Capability.organisation_id).where(
        *_entry_conditions(Capability, public_scope)
    )
    firms = session.exec(
        select(func.count(distinct(Capability.organisation_id))).where(
            *_entry_conditions(Capability, public_scope)
        )
    ).one()
    ever_recommended = exists(
        select(Recommendation.id)
        .join(Capability, col(Capability.id) == Recommendation.capability_id)
        .where(Capability.organisation_id == Organisation.id)
    )
    never = (
        select(Organisation.name)
        .where(col(Organisation.id).in_(publishing_firms), ~ever_recommended)
        .order_by(Organisation.name)
    )
    never_count = session.exec(select(func.count()).select_from(never.subquery())).one()
    names = [] if scope.public else list(session.exec(never.limit(NEVER_RECOMMENDED_SHOWN)))
    return Coverage(int(total), int(covered), int(firms), int(never_count), names)


def figures(session: Session, scope: Scope) -> Figures:
    """Every figure the dashboard (or the public statistics page) shows."""
    signed, total = contract_totals(session, scope)
    return Figures(
        scope=scope,
        totals=totals(session, scope),
        funnel=funnel(session, scope),
        funnel_by_field=funnel_by(session, scope, "field"),
        funnel_by_district=funnel_by(session, scope, "district"),
        by_field=breakdown(session, scope, "field"),
        by_district=breakdown(session, scope, "district"),
        by_batch=breakdown(session, scope, "batch"),
        signed=signed,
        contract_total=total,
        coverage=coverage(session, scope),
    )
