"""Figures for the officials' dashboard and the public statistics, read from the tallies
(dashboard.rollup) rather than counted over every row on each request.

A pairing counts at every funnel stage it has reached: recommended → approved → published →
contacted → signed. Reaching a later stage implies the earlier ones (a signed pairing was
contacted, published and approved), so the funnel never widens.
"""

from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import Subquery, case, distinct, func, not_
from sqlmodel import Session, col, select

from matchmaker.dashboard import rollup
from matchmaker.docking import followup
from matchmaker.entries.reference import DISTRICTS, FIELDS
from matchmaker.web.labels import batch_label, district_label
from matchmaker.web.names import reference_label
from matchmaker.web.security import parse_int
from models import (
    Batch,
    CapabilityStatus,
    DockingEvent,
    DockingStage,
    Organisation,
    RecommendationStatus,
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


class Tallied(NamedTuple):
    """Summed tallies of one group: entries, or pairings at one stage, in one status."""

    subject: str  # "scenario", "capability" or "pairing"
    status: str
    covered: bool
    level: int
    key: Any  # the field, district or batch
    count: int
    amount: float


KEYS = {"field": "field", "district": "district", "batch": "batch_id"}
PLURAL = {"scenario": "scenarios", "capability": "capabilities", "pairing": "pairings"}


def _tallied(session: Session, tally: Any, filters: Filters, dimension: str) -> list[Tallied]:
    """The tallies within the filters, summed per subject, status, stage and `dimension`."""
    c = tally.c
    conditions = dimension_conditions(c, filters, batch=c.batch_id)
    key = c[KEYS[dimension]]
    groups = (c.subject, c.status, c.covered, c.level, key)
    rows = session.exec(
        select(*groups, func.sum(c.count), func.sum(c.amount)).where(*conditions).group_by(*groups)
    )
    return [
        Tallied(subject, str(status), bool(covered), int(level), k, int(n), float(amount or 0))
        for subject, status, covered, level, k, n, amount in rows
    ]


def _in_scope(row: Tallied, scope: Scope) -> bool:
    """Whether the public (published data only) or officials (all but drafts) count `row`."""
    if row.subject == "pairing":
        return not scope.public or row.status == RecommendationStatus.published
    if scope.public:
        return row.status in (PUBLIC_SCENARIO if row.subject == "scenario" else PUBLIC_CAPABILITY)
    return row.status != "draft"


def _cumulative(by_level: dict[int, int], stages: tuple[str, ...]) -> list[int]:
    """Counts per stage from counts per furthest level (a pairing counts at each it reached)."""
    first = STAGES.index(stages[0]) + 1
    return [
        sum(n for level, n in by_level.items() if level >= first + i) for i in range(len(stages))
    ]


# ---- the figures --------------------------------------------------------------------------


def _funnel_by(rows: list[Tallied], scope: Scope) -> list[tuple[str, list[int]]]:
    """The funnel for each key: (key, counts per stage), widest first."""
    grouped: dict[str, dict[int, int]] = {}
    for row in rows:
        if row.subject == "pairing" and _in_scope(row, scope):
            levels = grouped.setdefault(row.key or "", {})
            levels[row.level] = levels.get(row.level, 0) + row.count
    stages = PUBLIC_STAGES if scope.public else STAGES
    table = [(value, _cumulative(counts, stages)) for value, counts in grouped.items()]
    return sorted(table, key=lambda row: (-row[1][0], row[0]))


def _funnel(rows: list[Tallied], scope: Scope) -> list[tuple[str, int]]:
    """(stage, pairings that reached it) along the funnel."""
    by_level: dict[int, int] = {}
    for row in rows:
        if row.subject == "pairing" and _in_scope(row, scope):
            by_level[row.level] = by_level.get(row.level, 0) + row.count
    stages = PUBLIC_STAGES if scope.public else STAGES
    return list(zip(stages, _cumulative(by_level, stages), strict=True))


def _totals(rows: list[Tallied], scope: Scope) -> dict[str, dict[str, int]]:
    """Counts by status of scenarios, capabilities and pairings in scope."""
    result: dict[str, dict[str, int]] = {"scenarios": {}, "capabilities": {}, "pairings": {}}
    for row in rows:
        if _in_scope(row, scope) and row.count:
            counts = result[PLURAL[row.subject]]
            counts[row.status] = counts.get(row.status, 0) + row.count
    return result


def _breakdown(session: Session, rows: list[Tallied], scope: Scope, dimension: str) -> list[Row]:
    """Entries, published pairings, signings and contract value per field, district or batch."""
    counts: dict[str, dict[Any, float]] = {
        name: {} for name in ("scenarios", "capabilities", "pairings", "signed", "amount")
    }

    def add(name: str, key: Any, value: float) -> None:
        counts[name][key] = counts[name].get(key, 0) + value

    for row in rows:
        if not _in_scope(row, scope) or not row.count:
            continue
        if row.subject != "pairing":
            add(PLURAL[row.subject], row.key, row.count)
            continue
        if row.status == RecommendationStatus.published:
            add("pairings", row.key, row.count)
        if row.level == 5:
            add("signed", row.key, row.count)
            add("amount", row.key, row.amount)
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
        labels = {k: batch_label(batches[k]) if k in batches else str(_l("No batch")) for k in keys}
        return (
            labels,
            lambda k: (batches[k].year, batches[k].number, k) if k in batches else (9999, 0, 0),
        )
    reference = list(FIELDS if dimension == "field" else DISTRICTS)
    if dimension == "district":
        labels = {k: district_label(k) for k in keys}
    else:
        labels = {k: reference_label(k) or str(_l("Not stated")) for k in keys}
    return labels, lambda k: (reference.index(k) if k in reference else len(reference), k or "~")


def _contracts(rows: list[Tallied], scope: Scope) -> tuple[int, float]:
    signed = [r for r in rows if r.subject == "pairing" and r.level == 5 and _in_scope(r, scope)]
    return sum(r.count for r in signed), round(sum(r.amount for r in signed), 2)


def contract_totals(session: Session, scope: Scope) -> tuple[int, float]:
    """(signed pairings, their contract value in 万元); a pairing's latest signing counts."""
    tally, _firms = rollup.current(session)
    return _contracts(_tallied(session, tally, scope.filters, "field"), scope)


def _coverage(session: Session, rows: list[Tallied], firms: Any, scope: Scope) -> Coverage:
    """How far publication reaches: scenarios with a published pairing, firms never matched."""
    published = [r for r in rows if r.subject == "scenario" and r.status in PUBLIC_SCENARIO]
    c = firms.c
    within = dimension_conditions(c, scope.filters, batch=c.batch_id)
    never = case((not_(c.recommended), c.organisation_id))
    total, never_count = session.exec(
        select(func.count(distinct(c.organisation_id)), func.count(distinct(never))).where(*within)
    ).one()
    names = []
    if not scope.public:
        alone = select(c.organisation_id).where(*within, not_(c.recommended))
        names = list(
            session.exec(
                select(Organisation.name)
                .where(col(Organisation.id).in_(alone))
                .order_by(Organisation.name)
                .limit(NEVER_RECOMMENDED_SHOWN)
            )
        )
    return Coverage(
        sum(r.count for r in published),
        sum(r.count for r in published if r.covered),
        int(total),
        int(never_count),
        names,
    )


def figures(session: Session, scope: Scope) -> Figures:
    """Every figure the dashboard (or the public statistics page) shows, from the tallies:
    three grouped reads of a few hundred rows each, however many entries there are."""
    tally, firms = rollup.current(session)
    rows = {dim: _tallied(session, tally, scope.filters, dim) for dim in KEYS}
    signed, total = _contracts(rows["field"], scope)
    return Figures(
        scope=scope,
        totals=_totals(rows["field"], scope),
        funnel=_funnel(rows["field"], scope),
        funnel_by_field=_funnel_by(rows["field"], scope),
        funnel_by_district=_funnel_by(rows["district"], scope),
        by_field=_breakdown(session, rows["field"], scope, "field"),
        by_district=_breakdown(session, rows["district"], scope, "district"),
        by_batch=_breakdown(session, rows["batch"], scope, "batch"),
        signed=signed,
        contract_total=total,
        coverage=_coverage(session, rows["field"], firms, scope),
    )
