"""Interest (揭榜): a verified firm raises its hand for a published scenario; the owner decides.

Accepting puts the pairing in the officials' review queue, marked as asked for by both
parties (source=interest); once approved, officials publish it in a batch. Declining tells
the firm why. The scenario page shows how many firms, and
with which qualifications, already expressed interest, so a firm can judge its chances.
"""

from collections import Counter
from datetime import date
from typing import NamedTuple

from flask import url_for
from flask_babel import gettext as _
from sqlmodel import Session, col, select

from matchmaker.entries import deadlines
from matchmaker.evidence import claims
from matchmaker.records import audit
from matchmaker.records.notify import notify_org
from matchmaker.web.dates import local_today
from models import (
    Capability,
    CapabilityStatus,
    Interest,
    InterestStatus,
    Organisation,
    Recommendation,
    RecommendationSource,
    RecommendationStatus,
    Scenario,
    ScenarioStatus,
    User,
)
from models._types import utcnow


class InterestRefused(Exception):
    """An interest action the current state does not allow; answered with 409 and the reason."""


class InterestSummary(NamedTuple):
    firms: int
    # (qualification, how many interested firms hold it, verified and in force)
    qualifications: list[tuple[str, int]]


def summary(session: Session, scenario_id: int) -> InterestSummary:
    """How many firms are in the running for a scenario (interest expressed, not declined),
    and which of the qualifications they name are backed by approved evidence in force: the
    public sees no other (evidence.claims). A declined firm is out, so it is not counted."""
    rows = session.exec(
        select(Organisation.id, Organisation.qualifications, Capability.qualifications)
        .select_from(Interest)
        .join(Organisation, col(Organisation.id) == col(Interest.organisation_id))
        .outerjoin(Capability, col(Capability.id) == col(Interest.capability_id))
        .where(Interest.scenario_id == scenario_id, Interest.status != InterestStatus.declined)
    ).all()
    held = verified_qualifications(session, {org_id for org_id, _o, _c in rows})
    counted: Counter[str] = Counter()
    for org_id, org_quals, capability_quals in rows:
        named = set(org_quals or []) | set(capability_quals or [])  # a firm counts once
        counted.update(named & held.get(org_id, frozenset()))
    return InterestSummary(len(rows), sorted(counted.items(), key=lambda item: (-item[1], item[0])))


def verified_qualifications(session: Session, org_ids: set[int]) -> dict[int, frozenset[str]]:
    """Each organisation's qualifications backed by approved evidence in force today."""
    found = claims.verified(session, org_ids, today=local_today())
    return {org_id: frozenset(held.qualifications) for org_id, held in found.items()}


def published_capabilities(session: Session, organisation_id: int) -> list[Capability]:
    """A firm's published capabilities, the ones it can put forward."""
    return _capabilities(session, organisation_id, CapabilityStatus.published)


def capabilities_in_review(session: Session, organisation_id: int) -> list[Capability]:
    """A firm's capabilities awaiting an official's review: what it can put forward soon."""
    return _capabilities(session, organisation_id, CapabilityStatus.submitted)


def _capabilities(
    session: Session, organisation_id: int, status: CapabilityStatus
) -> list[Capability]:
    return list(
        session.exec(
            select(Capability)
            .where(Capability.organisation_id == organisation_id, Capability.status == status)
            .order_by(col(Capability.title))
        )
    )


class Offer(NamedTuple):
    """One of a firm's published capabilities, with its stored pairing with a scenario."""

    capability: Capability
    pairing: Recommendation | None  # None: the matcher did not pair them


def offers(session: Session, *, scenario_id: int, organisation_id: int) -> list[Offer]:
    """A firm's published capabilities for a scenario, the best-scored pairing first."""
    capabilities = published_capabilities(session, organisation_id)
    scored = {
        r.capability_id: r
        for r in session.exec(
            select(Recommendation).where(
                Recommendation.scenario_id == scenario_id,
                col(Recommendation.capability_id).in_([c.id for c in capabilities]),
            )
        )
    }
    found = [Offer(c, scored.get(c.id)) for c in capabilities]
    # Stable: capabilities the matcher did not pair keep their title order, after the rest.
    return sorted(found, key=lambda o: (o.pairing is None, -(o.pairing.score if o.pairing else 0)))


def express(
    session: Session,
    *,
    scenario: Scenario,
    user: User,
    capability: Capability,
    today: date,
    message: str = "",
) -> Interest:
    """Record a firm's interest in a published scenario and tell the scenario's owner."""
    if scenario.status != ScenarioStatus.published:
        raise InterestRefused(_("This scenario is not open for interest."))
    if deadlines.passed(scenario.deadline, today):
        raise InterestRefused(
            _(
                "The deadline of this scenario (%(date)s) has passed; it takes no more interest.",
                date=scenario.deadline.isoformat(),
            )
        )
    if capability.organisation_id != user.organisation_id:
        raise InterestRefused(_("Choose one of your own published capabilities."))
    existing = session.exec(
        select(Interest).where(
            Interest.scenario_id == scenario.id, Interest.organisation_id == user.organisation_id
        )
    ).first()
    if existing is not None:
        raise InterestRefused(_("Your organisation has already expressed interest here."))
    interest = Interest(
        scenario_id=scenario.id,
        organisation_id=user.organisation_id,
        capability_id=capability.id,
        user_id=user.id,
        message=message.strip(),
    )
    session.add(interest)
    audit.record(
        session,
        "interest.express",
        interest,
        {"scenario": scenario.title, "capability_id": capability.id},
        user_id=user.id,
    )
    firm = session.get(Organisation, user.organisation_id)
    notify_org(
        session,
        scenario.organisation_id,
        "interest.received",
        {"scenario": scenario.title, "org": firm.name if firm else ""},
        link=url_for("interest.received", scenario=scenario.id),
    )
    return interest


def _tell_firm(
    session: Session, interest: Interest, scenario: Scenario, kind: str, **params: str
) -> None:
    """Tell the firm what the scenario's owner decided (no black hole)."""
    owner = session.get(Organisation, scenario.organisation_id)
    notify_org(
        session,
        interest.organisation_id,
        kind,
        {"scenario": scenario.title, "org": owner.name if owner else "", **params},
        link=url_for("interest.mine"),
    )


def _decidable(session: Session, interest: Interest) -> Interest:
    """The interest, locked for the decision; only a pending one can be decided."""
    locked = session.exec(
        select(Interest).where(Interest.id == interest.id).with_for_update()
    ).one()
    if locked.status != InterestStatus.pending:
        raise InterestRefused(_("This interest has already been decided."))
    return locked


def accept(
    session: Session, *, interest: Interest, scenario: Scenario, user: User
) -> Recommendation:
    """Accept a firm's interest: its pairing goes to the officials' review queue.

    The buyer's acceptance is one signal, not a decision: the pairing is marked as asked
    for by both parties (source=interest) and still needs an official's approval before
    a batch can publish it.
    """
    interest = _decidable(session, interest)
    capability = session.get(Capability, interest.capability_id) if interest.capability_id else None
    if capability is None or capability.status != CapabilityStatus.published:
        raise InterestRefused(
            _("The firm's capability is no longer published, so the pairing cannot be made.")
        )
    now = utcnow()
    pairing = session.exec(
        select(Recommendation).where(
            Recommendation.scenario_id == scenario.id,
            Recommendation.capability_id == capability.id,
        )
    ).first()
    if pairing is None:
        pairing = Recommendation(
            scenario_id=scenario.id,
            capability_id=capability.id,
            source=RecommendationSource.interest,
        )
        session.add(pairing)
    elif pairing.status != RecommendationStatus.published:
        pairing.source = RecommendationSource.interest
        pairing.updated_at = now
        if pairing.status is RecommendationStatus.rejected:
            # Both parties now ask for it: the officials look again (the audit trail keeps
            # the earlier rejection); the new version makes a page showing it stale.
            pairing.status = RecommendationStatus.recommended
            pairing.reviewer_id = pairing.decided_at = None
            pairing.version += 1
    interest.status = InterestStatus.accepted
    interest.decided_at = now
    session.flush()
    audit.record(
        session,
        "interest.accept",
        interest,
        {"recommendation_id": pairing.id, "pairing_status": pairing.status.value},
        user_id=user.id,
    )
    _tell_firm(session, interest, scenario, "interest.accepted")
    return pairing


def decline(
    session: Session, *, interest: Interest, scenario: Scenario, user: User, reason: str
) -> Interest:
    """Decline a firm's interest and tell it why (no black hole)."""
    interest = _decidable(session, interest)
    interest.status = InterestStatus.declined
    interest.reason = reason.strip()
    interest.decided_at = utcnow()
    audit.record(
        session, "interest.decline", interest, {"reason": interest.reason}, user_id=user.id
    )
    _tell_firm(session, interest, scenario, "interest.declined", reason=interest.reason)
    return interest
