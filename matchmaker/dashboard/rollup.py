"""The tallies behind the dashboard, the statistics and the lists' counts (models.tally).

Every write to scenarios, capabilities, pairings or docking steps marks the slices it touched
(database triggers). Before the writer commits, `settle` recounts those slices from the
tables, in the same transaction; a slice is a few thousand rows even with a million entries.
A reader takes the tallies of unmarked slices and counts marked ones live (`current`), so a
figure is never stale, even after a bulk load that went around the app: `recount` (the
`matchmaker recount` command) then rebuilds every tally at once.
"""

import zlib
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Executable,
    Select,
    and_,
    bindparam,
    case,
    delete,
    event,
    exists,
    false,
    func,
    insert,
    literal,
    not_,
    or_,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from matchmaker.docking import followup
from models import (
    Capability,
    DockingEvent,
    DockingStage,
    FirmTally,
    Recommendation,
    RecommendationStatus,
    Scenario,
    Tally,
    TallyMark,
)

SCENARIO, CAPABILITY, FIRM = "scenario", "capability", "firm"
# A mark of a scenario slice whose pairings alone changed (a docking step): only the pairings'
# tallies are recounted, not the scenarios'.
PAIRING = "pairing"
TALLY_COLUMNS = ("side", "field", "district", "subject", "status", "batch_id", "covered", "level",
                 "count", "amount")  # fmt: skip
FIRM_COLUMNS = ("organisation_id", "field", "district", "batch_id", "published", "recommended")
CHUNK = 500  # ids or slices per statement


class Marked:
    """The slices marked stale: (field, district) per side (or a scenario slice's pairings
    alone), and organisations."""

    def __init__(self, marks: Iterable[Sequence[Any]]) -> None:
        self.slices: dict[str, list[tuple[str, str]]] = {SCENARIO: [], PAIRING: [], CAPABILITY: []}
        self.organisations: list[int] = []
        for side, field, district, organisation_id in sorted(set(map(tuple, marks))):
            if side == FIRM:
                self.organisations.append(organisation_id)
            else:
                self.slices[side].append((field, district))
        # A scenario slice recounted whole has its pairings recounted with it.
        whole = set(self.slices[SCENARIO])
        self.slices[PAIRING] = [part for part in self.slices[PAIRING] if part not in whole]

    def __bool__(self) -> bool:
        return bool(self.organisations or any(self.slices.values()))


# ---- the facts of a slice, as the tallies store them --------------------------------------


Slices = list[tuple[str, str]] | BindParameter | None  # None: every slice


def _within(model: Any, slices: Slices) -> ColumnElement[bool]:
    if slices is None:
        return true()
    return tuple_(col(model.field), col(model.district)).in_(slices)


def _entries(model: Any, side: str, slices: Slices) -> Select:
    """Entries per slice, status, batch and (scenarios) whether a pairing of theirs is public."""
    covered: Any = false()
    if model is Scenario:
        covered = exists().where(
            Recommendation.scenario_id == Scenario.id,
            Recommendation.status == RecommendationStatus.published,
        )
    rows = select(
        model.field, model.district, model.status, model.batch_id, covered.label("covered")
    ).where(_within(model, slices))
    rows = rows.subquery()
    return select(
        literal(side).label("side"),
        rows.c.field,
        rows.c.district,
        literal(side).label("subject"),
        rows.c.status,
        rows.c.batch_id,
        rows.c.covered,
        literal(0).label("level"),
        func.count().label("count"),
        literal(0.0).label("amount"),
    ).group_by(rows.c.field, rows.c.district, rows.c.status, rows.c.batch_id, rows.c.covered)


def _pairings(slices: Slices) -> Select:
    """Pairings per their scenario's slice, status, batch and furthest funnel stage, with the
    value of their contracts (a pairing's latest signing counts)."""
    steps = and_(DockingEvent.recommendation_id == Recommendation.id, followup.counts())
    talked = col(DockingEvent.stage).in_((DockingStage.contacted, DockingStage.negotiating))
    stage = case((DockingEvent.stage == DockingStage.signed, 2), (talked, 1), else_=0)
    reached = select(func.max(stage)).where(steps).scalar_subquery()
    pairs = (
        select(
            Recommendation.id,
            Scenario.field,
            Scenario.district,
            Recommendation.status,
            Recommendation.batch_id,
            reached.label("reached"),
        )
        .join(Scenario, col(Scenario.id) == Recommendation.scenario_id)
        .where(_within(Scenario, slices))
        .offset(0)  # kept a subquery: merged into the outer one, `reached` would run twice
        .subquery()
    )
    # Each pairing's steps are read once for the stage; the contract only where one was signed.
    signed = (
        select(DockingEvent.contract_amount_wan)
        .where(
            DockingEvent.recommendation_id == pairs.c.id,
            followup.counts(),
            DockingEvent.stage == DockingStage.signed,
        )
        .order_by(col(DockingEvent.occurred_on).desc(), col(DockingEvent.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    amount = case((pairs.c.reached == 2, func.coalesce(signed, 0.0)), else_=0.0)
    kept = (pairs.c[name] for name in ("field", "district", "status", "batch_id", "reached"))
    rows = select(*kept, amount.label("amount")).subquery()
    level = case(
        (rows.c.reached == 2, 5),
        (rows.c.reached == 1, 4),
        (rows.c.status == RecommendationStatus.published, 3),
        (rows.c.status == RecommendationStatus.approved, 2),
        else_=1,
    )
    return select(
        literal(SCENARIO).label("side"),
        rows.c.field,
        rows.c.district,
        literal("pairing").label("subject"),
        rows.c.status,
        rows.c.batch_id,
        false().label("covered"),
        level.label("level"),
        func.count().label("count"),
        func.sum(rows.c.amount).label("amount"),
    ).group_by(rows.c.field, rows.c.district, rows.c.status, rows.c.batch_id, level)


def _facts(side: str, slices: Slices) -> list[Select]:
    """The tallies a marked side's slices hold."""
    if side == SCENARIO:
        return [_entries(Scenario, SCENARIO, slices), _pairings(slices)]
    if side == PAIRING:
        return [_pairings(slices)]
    return [_entries(Capability, CAPABILITY, slices)]


def _held(side: str, slices: Slices) -> ColumnElement[bool]:
    """The stored tallies of a marked side's slices: what `_facts` recounts."""
    if side == PAIRING:
        held = and_(Tally.side == SCENARIO, Tally.subject == PAIRING)
    else:
        held = Tally.side == side
    return and_(held, _within(Tally, slices))


def _firms(organisations: list[int] | BindParameter | None) -> Select:
    """Per organisation, its published capabilities by field, district and batch, and whether
    any capability of the organisation was ever recommended."""
    mine = true() if organisations is None else col(Capability.organisation_id).in_(organisations)
    recommended = (
        select(Capability.organisation_id)
        .join(Recommendation, Recommendation.capability_id == Capability.id)
        .where(mine)
        .distinct()
        .subquery()
    )
    flag = recommended.c.organisation_id.is_not(None)
    return (
        select(
            Capability.organisation_id,
            Capability.field,
            Capability.district,
            Capability.batch_id,
            func.count().label("published"),
            flag.label("recommended"),
        )
        .outerjoin(recommended, recommended.c.organisation_id == Capability.organisation_id)
        .where(mine, Capability.status == "published")
        .group_by(
            Capability.organisation_id,
            Capability.field,
            Capability.district,
            Capability.batch_id,
            recommended.c.organisation_id,
        )
    )


# ---- keeping the tallies current ----------------------------------------------------------


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# Built once, with the slices and organisations as parameters: a write settles in a few
# statements, and building them anew each time cost as much as running them.
SLICES = bindparam("slices", expanding=True)
ORGANISATIONS = bindparam("organisations", expanding=True)


@cache
def _recount_statements(side: str) -> list[Executable]:
    """Recounting `side`'s tallies of the `slices` given at execution."""
    tally = Tally.__table__
    recount = [insert(tally).from_select(TALLY_COLUMNS, facts) for facts in _facts(side, SLICES)]
    return [delete(tally).where(_held(side, SLICES)), *recount]


@cache
def _recount_firm_statements() -> list[Executable]:
    """Recounting the firm tallies of the `organisations` given at execution."""
    firms = FirmTally.__table__
    return [
        delete(firms).where(firms.c.organisation_id.in_(ORGANISATIONS)),
        insert(firms).from_select(FIRM_COLUMNS, _firms(ORGANISATIONS)),
    ]


def _recount(session: Session, marked: Marked) -> None:
    """Recount the marked slices and organisations from the tables."""
    connection = session.connection()
    for side, slices in marked.slices.items():
        for part in _chunks(slices):
            for statement in _recount_statements(side):
                connection.execute(statement, {"slices": list(part)})
    for part in _chunks(marked.organisations):
        for statement in _recount_firm_statements():
            connection.execute(statement, {"organisations": list(part)})


_MARKS = select(
    TallyMark.id, TallyMark.side, TallyMark.field, TallyMark.district, TallyMark.organisation_id
)
_UNMARK = delete(TallyMark).where(col(TallyMark.id).in_(bindparam("ids", expanding=True)))
_SLICE_LOCK = select(func.pg_advisory_xact_lock(bindparam("key")))


def settle(session: Session) -> int:
    """Recount every slice a write has marked, in the caller's transaction; how many.

    On PostgreSQL two writers may settle the same slice at once: each takes a lock per slice
    (in one order, so neither waits for the other in a circle) and deletes the marks before
    recounting, so that its count sees every change whose mark it took.
    """
    session.flush()
    connection = session.connection()
    marks = connection.execute(_MARKS).all()
    if not marks:
        return 0
    marked = Marked(mark[1:] for mark in marks)
    if connection.dialect.name == "postgresql":
        # One lock a slice: a pairings-only mark takes its scenario slice's.
        keys = {
            zlib.crc32(repr((SCENARIO if side == PAIRING else side, *rest)).encode())
            for _id, side, *rest in marks
        }
        for key in sorted(keys):
            connection.execute(_SLICE_LOCK, {"key": key})
    for part in _chunks([mark[0] for mark in marks]):
        connection.execute(_UNMARK, {"ids": list(part)})
    _recount(session, marked)
    return len(marked.organisations) + sum(map(len, marked.slices.values()))


def recount(session: Session) -> None:
    """Rebuild every tally from the tables (after a bulk load around the app)."""
    for table in (TallyMark, Tally, FirmTally):
        session.exec(delete(table))  # type: ignore[call-overload]
    for side in (SCENARIO, CAPABILITY):
        for facts in _facts(side, None):
            session.exec(insert(Tally).from_select(TALLY_COLUMNS, facts))  # type: ignore[call-overload]
    session.exec(insert(FirmTally).from_select(FIRM_COLUMNS, _firms(None)))  # type: ignore[call-overload]


def _wrote(session: OrmSession, *_args: Any) -> None:
    session.info["tally_due"] = True


def _wrote_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info["tally_due"] = True


def _before_commit(session: OrmSession) -> None:
    if session.info.pop("tally_due", False):
        settle(session)  # type: ignore[arg-type]
        session.info.pop("tally_due", None)  # its own writes need no settling


def _forget(session: OrmSession, *_args: Any) -> None:
    session.info.pop("tally_due", None)


def init_app(_app: object) -> None:
    """Settle the marked slices before every commit of a session that wrote (all sessions:
    the app's, the commands', the tests')."""
    for name, listener in (
        ("after_flush", _wrote),
        ("do_orm_execute", _wrote_statement),
        ("before_commit", _before_commit),
        ("after_rollback", _forget),
    ):
        if not event.contains(OrmSession, name, listener):
            event.listen(OrmSession, name, listener)


# ---- reading ------------------------------------------------------------------------------


def current(session: Session) -> tuple[Any, Any]:
    """The tallies as of now, as two selectables shaped like Tally and FirmTally: the stored
    rows, with the slices still marked counted live."""
    marks = session.exec(
        select(TallyMark.side, TallyMark.field, TallyMark.district, TallyMark.organisation_id)
    ).all()
    marked = Marked(marks)
    if not marked:
        return Tally.__table__, FirmTally.__table__
    stale = [_held(side, slices) for side, slices in marked.slices.items() if slices]
    stored = select(*(getattr(Tally, name) for name in TALLY_COLUMNS))
    live = [facts for side, slices in marked.slices.items() if slices for facts in
            _facts(side, slices)]  # fmt: skip
    tally = union_all(stored.where(not_(or_(*stale))) if stale else stored, *live).subquery()
    firms = FirmTally.__table__
    if marked.organisations:
        kept = select(*(getattr(FirmTally, name) for name in FIRM_COLUMNS)).where(
            col(FirmTally.organisation_id).not_in(marked.organisations)
        )
        firms = union_all(kept, _firms(marked.organisations)).subquery()
    return tally, firms


def count_entries(
    session: Session,
    model: Any,
    *,
    statuses: Iterable[str],
    field: str = "",
    district: str = "",
    batch: int | None = None,
) -> int:
    """How many entries of `model` are in `statuses` (and the field, district, batch given)."""
    tally, _firms = current(session)
    side = SCENARIO if model is Scenario else CAPABILITY
    conditions = [tally.c.subject == side, tally.c.status.in_(list(statuses))]
    if field:
        conditions.append(tally.c.field == field)
    if district:
        conditions.append(tally.c.district == district)
    if batch is not None:
        conditions.append(tally.c.batch_id == batch)
    total = session.exec(select(func.sum(tally.c.count)).where(*conditions)).one()
    return int(total or 0)
