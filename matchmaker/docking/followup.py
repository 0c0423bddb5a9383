"""Docking follow-up (供需对接跟踪): both parties of a published pairing record its progress.

contacted → negotiating → signed (with the contract amount) or closed (with the reason); each
step dated and attributed, shown to the other party and to officials as one timeline. A step
may be dated before the pairing was published (the parties often meet first), not before the
scenario was. The latest step, recorded in error, is corrected by a correcting step: the
original stays, marked `corrected_by_id`, in the timeline and the audit trail, and no longer
counts.
Pairings without progress for 30 days are listed for officials and reminded by
`matchmaker remind`.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from flask import (
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from matchmaker.records import audit
from matchmaker.records.notify import notify_org
from matchmaker.web.dates import local_date
from matchmaker.web.labels import status_label
from models import (
    AuditEntry,
    Batch,
    Capability,
    DockingEvent,
    DockingStage,
    Organisation,
    Recommendation,
    RecommendationStatus,
    Scenario,
    User,
)

STALE_AFTER_DAYS = 30
# Where each stage stands; a step may repeat the current stage or move forward, never back.
RANK = {
    DockingStage.contacted: 1,
    DockingStage.negotiating: 2,
    DockingStage.signed: 3,
    DockingStage.closed: 3,
}
FINAL = (DockingStage.signed, DockingStage.closed)
MAX_CONTRACT_WAN = Decimal("1000000")  # 100 亿元: anything above is a typing mistake
REMIND_ACTION = "docking.remind"


class Pairing(NamedTuple):
    recommendation: Recommendation
    scenario: Scenario
    capability: Capability


class Step(NamedTuple):
    event: DockingEvent
    user: User
    organisation: Organisation
    corrects: DockingEvent | None = None  # the step recorded in error that this one replaces


class StepRefused(Exception):
    """A step the rules do not allow; `field` names the form field to show it on."""

    def __init__(self, message: str, *, field: str | None = None, order: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.order = order  # True when the current stage forbids it (409), not the input (422)


class StalePairing(NamedTuple):
    pairing: Pairing
    last_activity: date
    days: int
    stage: DockingStage | None
    reminded_on: date | None

    @property
    def window_start(self) -> date:
        """The first day of the 30-day window this pairing's silence is in."""
        windows = self.days // STALE_AFTER_DAYS
        return self.last_activity + timedelta(days=STALE_AFTER_DAYS * windows)

    @property
    def due(self) -> bool:
        """True when no reminder has been sent yet in the current window."""
        return self.reminded_on is None or self.reminded_on < self.window_start


def published_pairings():  # type: ignore[no-untyped-def]
    return (
        select(Recommendation, Scenario, Capability)
        .join(Scenario, col(Scenario.id) == col(Recommendation.scenario_id))
        .join(Capability, col(Capability.id) == col(Recommendation.capability_id))
        .where(Recommendation.status == RecommendationStatus.published)
    )


def published_pairing(session: Session, recommendation_id: int) -> Pairing | None:
    """The published pairing with this id, or None (unpublished pairings have no follow-up)."""
    row = session.exec(published_pairings().where(Recommendation.id == recommendation_id)).first()
    return Pairing(*row) if row else None


def party_ids(pairing: Pairing) -> tuple[int, int]:
    """The demand-side and supply-side organisation ids of a pairing."""
    return pairing.scenario.organisation_id, pairing.capability.organisation_id


def organisations(session: Session, pairings: Iterable[Pairing]) -> dict[int, Organisation]:
    """Both parties of each pairing, by id, fetched in one query."""
    ids = {org_id for pairing in pairings for org_id in party_ids(pairing)}
    return {
        o.id: o for o in session.exec(select(Organisation).where(col(Organisation.id).in_(ids)))
    }


def published_on(recommendation: Recommendation, batch: Batch | None) -> date:
    """The local date a pairing was published: its batch's publication date.

    A pairing published outside a batch falls back to its last update, which for a published
    pairing is the publication itself (nothing changes a pairing once it is published).
    """
    moment = batch.published_at if batch and batch.published_at else recommendation.updated_at
    return local_date(moment)


def batch_of(session: Session, recommendation: Recommendation) -> Batch | None:
    """The batch a pairing was published in, if any."""
    return session.get(Batch, recommendation.batch_id) if recommendation.batch_id else None


def counts() -> ColumnElement[bool]:
    """The condition for steps that count: those no later step corrects."""
    return col(DockingEvent.corrected_by_id).is_(None)


def timeline(session: Session, recommendation_id: int) -> list[Step]:
    """A pairing's steps in the order they happened, each with who recorded it and what it
    corrects."""
    events = select(DockingEvent).where(DockingEvent.recommendation_id == recommendation_id)
    corrected = {
        event.corrected_by_id: event
        for event in session.exec(events.where(col(DockingEvent.corrected_by_id).is_not(None)))
    }
    rows = session.exec(
        select(DockingEvent, User, Organisation)
        .join(User, col(User.id) == col(DockingEvent.user_id))
        .join(Organisation, col(Organisation.id) == col(DockingEvent.organisation_id))
        .where(DockingEvent.recommendation_id == recommendation_id, counts())
        .order_by(col(DockingEvent.occurred_on), col(DockingEvent.id))
    ).all()
    return [Step(event, user, org, corrected.get(event.id)) for event, user, org in rows]


def _steps_that_count(session: Session, ids: list[int]) -> list[DockingEvent]:
    return list(
        session.exec(
            select(DockingEvent)
            .where(col(DockingEvent.recommendation_id).in_(ids), counts())
            .order_by(col(DockingEvent.occurred_on), col(DockingEvent.id))
        )
    )


def latest_events(session: Session, recommendation_ids: Iterable[int]) -> dict[int, DockingEvent]:
    """The most recent step of each of the given pairings (those with any)."""
    ids = list(recommendation_ids)
    if not ids:
        return {}
    events = _steps_that_count(session, ids)
    return {event.recommendation_id: event for event in events}  # the last one wins


def allowed_stages(last: DockingEvent | None) -> list[DockingStage]:
    """The stages the next step may take after `last`."""
    if last is None:
        return list(DockingStage)
    if last.stage in FINAL:
        return []
    return [stage for stage in DockingStage if RANK[stage] >= RANK[last.stage]]


class StepInput(NamedTuple):
    """What a party enters for a step (a new one or a correction)."""

    stage: DockingStage
    occurred_on: date
    note: str = ""
    contract_amount_wan: Decimal | None = None
    reason: str = ""


def scenario_published_on(scenario: Scenario) -> date:
    """The local date a scenario became public (its creation, if it has no publication)."""
    return local_date(scenario.published_at or scenario.created_at)


def _lock(session: Session, pairing: Pairing) -> list[DockingEvent]:
    """Lock the pairing row, then read its last two steps that count, oldest first.

    The lock (a row lock on PostgreSQL, the write lock on SQLite) keeps two parties writing
    at once from both passing the order check. A new step is checked against the last one, a
    correction against the one before it: nothing older is read, however long the history.
    """
    rec_id = pairing.recommendation.id
    session.exec(select(Recommendation).where(Recommendation.id == rec_id).with_for_update())
    latest = session.exec(
        select(DockingEvent)
        .where(DockingEvent.recommendation_id == rec_id, counts())
        .order_by(col(DockingEvent.occurred_on).desc(), col(DockingEvent.id).desc())
        .limit(2)
    )
    return list(reversed(latest.all()))


def _refuse_if_wrong(
    pairing: Pairing, last: DockingEvent | None, step: StepInput, *, today: date
) -> None:
    """Raise StepRefused if `step` cannot follow `last` (None: it is the first)."""
    stage, occurred_on = step.stage, step.occurred_on
    if last is not None and RANK[stage] < RANK[last.stage]:
        raise StepRefused(
            _(
                "The docking is already at “%(current)s”; it cannot go back to “%(stage)s”.",
                current=status_label(last.stage),
                stage=status_label(stage),
            ),
            field="stage",
            order=True,
        )
    if occurred_on > today:
        raise StepRefused(_("The date cannot be in the future."), field="occurred_on")
    # Parties often meet before officials publish their pairing, but not before the need was
    # public: an earlier date is a typing mistake.
    opened = scenario_published_on(pairing.scenario)
    if occurred_on < opened:
        raise StepRefused(
            _(
                "The date cannot be before the scenario was published (%(date)s).",
                date=opened.isoformat(),
            ),
            field="occurred_on",
        )
    if last is not None and occurred_on < last.occurred_on:
        raise StepRefused(
            _(
                "The date cannot be before the previous step (%(date)s).",
                date=last.occurred_on.isoformat(),
            ),
            field="occurred_on",
        )
    amount = step.contract_amount_wan
    if stage is DockingStage.signed and (amount is None or amount <= 0):
        raise StepRefused(
            _("Enter the contract amount (in units of 10,000 yuan) of the signed project."),
            field="contract_amount_wan",
        )
    if stage is DockingStage.closed and not step.reason.strip():
        raise StepRefused(_("Say why the docking was closed."), field="reason")


def _event(pairing: Pairing, user: User, step: StepInput) -> DockingEvent:
    signed, closed = step.stage is DockingStage.signed, step.stage is DockingStage.closed
    return DockingEvent(
        recommendation_id=pairing.recommendation.id,
        stage=step.stage,
        occurred_on=step.occurred_on,
        note=step.note.strip(),
        contract_amount_wan=float(step.contract_amount_wan or 0) if signed else None,
        reason=step.reason.strip() if closed else "",
        user_id=user.id,
        organisation_id=user.organisation_id,
    )


def _facts(event: DockingEvent) -> dict[str, object]:
    """What the audit trail keeps of a step."""
    return {
        "recommendation_id": event.recommendation_id,
        "stage": event.stage.value,
        "occurred_on": event.occurred_on.isoformat(),
        "contract_amount_wan": event.contract_amount_wan,
        "reason": event.reason,
    }


def _tell_other_party(
    session: Session, pairing: Pairing, user: User, kind: str, stage: DockingStage
) -> None:
    demand_id, supply_id = party_ids(pairing)
    other = supply_id if user.organisation_id == demand_id else demand_id
    org = session.get(Organisation, user.organisation_id)
    notify_org(
        session,
        other,
        kind,
        {
            "scenario": pairing.scenario.title,
            "capability": pairing.capability.title,
            "org": org.name if org else "",
            "stage": stage.value,
        },
        link=url_for("docking.detail", recommendation_id=pairing.recommendation.id),
    )


def record_step(
    session: Session, *, pairing: Pairing, user: User, step: StepInput, today: date
) -> DockingEvent:
    """Add a step to a pairing's follow-up, or raise StepRefused saying why not."""
    steps = _lock(session, pairing)
    last = steps[-1] if steps else None
    if last is not None and last.stage in FINAL:
        raise StepRefused(
            _(
                "This docking is already “%(stage)s”; no further steps can be recorded.",
                stage=status_label(last.stage),
            ),
            order=True,
        )
    _refuse_if_wrong(pairing, last, step, today=today)
    event = _event(pairing, user, step)
    session.add(event)
    audit.record(session, "docking.step", event, _facts(event), user_id=user.id)
    _tell_other_party(session, pairing, user, "docking.progress", step.stage)
    return event


def correct_step(
    session: Session,
    *,
    pairing: Pairing,
    user: User,
    original: DockingEvent,
    step: StepInput,
    today: date,
) -> DockingEvent:
    """Replace the latest step, recorded in error, by a correcting step; the original stays.

    Only while it is the latest (StepRefused otherwise), so the correction is checked like a
    new step against the one before it. Who may correct (the organisation that recorded it)
    is the caller's check, as who may record is.
    """
    steps = _lock(session, pairing)
    session.refresh(original)
    if original.corrected_by_id is not None:
        raise StepRefused(_("This step has already been corrected."), order=True)
    if not steps or steps[-1].id != original.id:
        raise StepRefused(
            _("Only the latest step can be corrected; a later step was recorded after it."),
            order=True,
        )
    _refuse_if_wrong(pairing, steps[-2] if len(steps) > 1 else None, step, today=today)
    event = _event(pairing, user, step)
    session.add(event)
    session.flush()
    original.corrected_by_id = event.id
    session.add(original)
    audit.record(
        session,
        "docking.correct",
        event,
        {**_facts(event), "corrects": {"id": original.id, **_facts(original)}},
        user_id=user.id,
    )
    _tell_other_party(session, pairing, user, "docking.corrected", step.stage)
    return event


def stale_pairings(session: Session, *, today: date) -> list[StalePairing]:
    """Open pairings (not signed or closed) without a step for 30 days or more."""
    pairings = [Pairing(*row) for row in session.exec(published_pairings())]
    if not pairings:
        return []
    ids = [p.recommendation.id for p in pairings]
    last = latest_events(session, ids)
    batch_ids = {p.recommendation.batch_id for p in pairings if p.recommendation.batch_id}
    batches = {b.id: b for b in session.exec(select(Batch).where(col(Batch.id).in_(batch_ids)))}
    reminded = dict(
        session.exec(
            select(AuditEntry.object_id, func.max(AuditEntry.at))
            .where(AuditEntry.action == REMIND_ACTION, AuditEntry.object_type == "recommendation")
            .group_by(AuditEntry.object_id)
        ).all()
    )
    stale = []
    for pairing in pairings:
        rec = pairing.recommendation
        event = last.get(rec.id)
        if event is not None and event.stage in FINAL:
            continue
        since = published_on(rec, batches.get(rec.batch_id))
        if event is not None:
            since = max(since, event.occurred_on)
        days = (today - since).days
        if days >= STALE_AFTER_DAYS:
            reminded_at = reminded.get(rec.id)
            stale.append(
                StalePairing(
                    pairing,
                    since,
                    days,
                    event.stage if event else None,
                    local_date(reminded_at) if reminded_at else None,
                )
            )
    return sorted(stale, key=lambda s: (-s.days, s.pairing.recommendation.id))


def send_reminders(session: Session, stale: list[StalePairing]) -> list[StalePairing]:
    """Notify both parties of each stale pairing not yet reminded in its current window."""
    sent = []
    for item in stale:
        if not item.due:
            continue
        rec, scenario, capability = item.pairing
        params = {"scenario": scenario.title, "capability": capability.title, "days": item.days}
        link = url_for("docking.detail", recommendation_id=rec.id)
        for org_id in party_ids(item.pairing):
            notify_org(session, org_id, "docking.reminder", params, link=link)
        audit.record(session, REMIND_ACTION, rec, {"days": item.days})
        sent.append(item)
    return sent
