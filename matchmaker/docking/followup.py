"""Docking follow-up (供需对接跟踪): both parties of a published pairing record its progress.

contacted → negotiating → signed (with the contract amount) or closed (with the reason); each
step dated and attributed, shown to the other party and to officials as one timeline.
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
from sqlalchemy import func
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


def timeline(session: Session, recommendation_id: int) -> list[Step]:
    """A pairing's steps in the order they happened, each with who recorded it."""
    rows = session.exec(
        select(DockingEvent, User, Organisation)
        .join(User, col(User.id) == col(DockingEvent.user_id))
        .join(Organisation, col(Organisation.id) == col(DockingEvent.organisation_id))
        .where(DockingEvent.recommendation_id == recommendation_id)
        .order_by(col(DockingEvent.occurred_on), col(DockingEvent.id))
    ).all()
    return [Step(*row) for row in rows]


def latest_events(session: Session, recommendation_ids: Iterable[int]) -> dict[int, DockingEvent]:
    """The most recent step of each of the given pairings (those with any)."""
    ids = list(recommendation_ids)
    if not ids:
        return {}
    events = session.exec(
        select(DockingEvent)
        .where(col(DockingEvent.recommendation_id).in_(ids))
        .order_by(col(DockingEvent.occurred_on), col(DockingEvent.id))
    ).all()
    return {event.recommendation_id: event for event in events}  # the last one wins


def allowed_stages(last: DockingEvent | None) -> list[DockingStage]:
    """The stages the next step may take after `last`."""
    if last is None:
        return list(DockingStage)
    if last.stage in FINAL:
        return []
    return [stage for stage in DockingStage if RANK[stage] >= RANK[last.stage]]


def record_step(
    session: Session,
    *,
    pairing: Pairing,
    user: User,
    stage: DockingStage,
    occurred_on: date,
    today: date,
    note: str = "",
    contract_amount_wan: Decimal | None = None,
    reason: str = "",
) -> DockingEvent:
    """Add a step to a pairing's follow-up, or raise StepRefused saying why not.

    The pairing row is locked first (PostgreSQL; SQLite writes are serialised anyway), so two
    parties recording at once cannot both pass the order check.
    """
    rec_id = pairing.recommendation.id
    session.exec(select(Recommendation).where(Recommendation.id == rec_id).with_for_update())
    last = latest_events(session, [rec_id]).get(rec_id)
    if last is not None and last.stage in FINAL:
        raise StepRefused(
            _(
                "This docking is already “%(stage)s”; no further steps can be recorded.",
                stage=status_label(last.stage),
            ),
            order=True,
        )
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
    published = published_on(pairing.recommendation, batch_of(session, pairing.recommendation))
    if occurred_on < published:
        raise StepRefused(
            _(
                "The date cannot be before the pairing was published (%(date)s).",
                date=published.isoformat(),
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
    if stage is DockingStage.signed and (contract_amount_wan is None or contract_amount_wan <= 0):
        raise StepRefused(
            _("Enter the contract amount (in ten-thousand yuan) of the signed project."),
            field="contract_amount_wan",
        )
    if stage is DockingStage.closed and not reason.strip():
        raise StepRefused(_("Say why the docking was closed."), field="reason")
    event = DockingEvent(
        recommendation_id=rec_id,
        stage=stage,
        occurred_on=occurred_on,
        note=note.strip(),
        contract_amount_wan=float(contract_amount_wan) if stage is DockingStage.signed else None,
        reason=reason.strip() if stage is DockingStage.closed else "",
        user_id=user.id,
        organisation_id=user.organisation_id,
    )
    session.add(event)
    audit.record(
        session,
        "docking.step",
        event,
        {
            "recommendation_id": rec_id,
            "stage": stage.value,
            "occurred_on": occurred_on.isoformat(),
            "contract_amount_wan": event.contract_amount_wan,
            "reason": event.reason,
        },
        user_id=user.id,
    )
    demand_id, supply_id = party_ids(pairing)
    other = supply_id if user.organisation_id == demand_id else demand_id
    org = session.get(Organisation, user.organisation_id)
    notify_org(
        session,
        other,
        "docking.progress",
        {
            "scenario": pairing.scenario.title,
            "capability": pairing.capability.title,
            "org": org.name if org else "",
            "stage": stage.value,
        },
        link=url_for("docking.detail", recommendation_id=rec_id),
    )
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
