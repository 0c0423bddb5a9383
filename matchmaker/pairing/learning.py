"""Learning the matcher's weights from the people who decide (`matchmaker learn`).

Every decision about a pairing is a label: an official approves (or publishes) or rejects
it, a buyer accepts or declines a firm's interest, and a docking ends signed or closed.
What happened last to a pair counts, the outcome of a docking before the buyer's word and
the buyer's before the official's, and a signed contract counts twice. New weights are
fitted on some scenarios' decisions and kept only when they rank the other scenarios'
decisions better than the weights in use; every fit is stored with its figures.
"""

from typing import NamedTuple

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, col, select

from matchmaker import matching
from matchmaker.matching import learn
from models import (
    DockingEvent,
    DockingStage,
    Interest,
    InterestStatus,
    Recommendation,
    RecommendationStatus,
    WeightSet,
)

# (label, how much it counts) of each kind of decision.
_OFFICIAL = {
    RecommendationStatus.approved: (1, 1.0),
    RecommendationStatus.published: (1, 1.0),
    RecommendationStatus.rejected: (0, 1.0),
}
_BUYER = {InterestStatus.accepted: (1, 1.0), InterestStatus.declined: (0, 1.0)}
_OUTCOME = {DockingStage.signed: (1, 2.0), DockingStage.closed: (0, 1.0)}


class Learnt(NamedTuple):
    """What `learn` did: the stored weight set, and whether the matcher now uses it."""

    weight_set: WeightSet
    kept: bool


def decisions(session: Session) -> learn.Decisions:
    """Every decided pairing as a yes or a no, the latest kind of decision winning."""
    decided: dict[tuple[int, int], tuple[int, float]] = {}
    pairings = session.exec(
        select(Recommendation).where(col(Recommendation.status).in_(list(_OFFICIAL)))
    )
    for rec in pairings:
        decided[(rec.scenario_id, rec.capability_id)] = _OFFICIAL[rec.status]
    interests = session.exec(
        select(Interest).where(
            col(Interest.status).in_(list(_BUYER)), col(Interest.capability_id).is_not(None)
        )
    )
    for interest in interests:
        assert interest.capability_id is not None
        decided[(interest.scenario_id, interest.capability_id)] = _BUYER[interest.status]
    # The latest step that counts (not corrected) of each docking, when it ended it.
    latest = (
        select(DockingEvent.recommendation_id, func.max(DockingEvent.id).label("last"))
        .where(col(DockingEvent.corrected_by_id).is_(None))
        .group_by(col(DockingEvent.recommendation_id))
        .subquery()
    )
    ended = session.exec(
        select(Recommendation.scenario_id, Recommendation.capability_id, DockingEvent.stage)
        .join(latest, col(latest.c.last) == DockingEvent.id)
        .join(Recommendation, col(Recommendation.id) == DockingEvent.recommendation_id)
        .where(col(DockingEvent.stage).in_(list(_OUTCOME)))
    )
    for scenario_id, capability_id, stage in ended:
        decided[(scenario_id, capability_id)] = _OUTCOME[DockingStage(stage)]
    pairs = sorted(decided)
    return learn.Decisions(
        [str(s) for s, _ in pairs],
        [str(c) for _, c in pairs],
        np.array([decided[p][0] for p in pairs], dtype=np.int64),
        np.array([decided[p][1] for p in pairs], dtype=np.float64),
    )


def in_use(session: Session) -> WeightSet | None:
    """The weight set the matcher uses: the latest kept one (None: the shipped weights)."""
    return session.exec(
        select(WeightSet).where(col(WeightSet.kept)).order_by(col(WeightSet.id).desc()).limit(1)
    ).first()


def configured(session: Session) -> matching.MatcherConfig:
    """The matcher's configuration with the weights in use."""
    weights = in_use(session)
    config = matching.MatcherConfig()
    return config if weights is None else config.with_blend(weights.weights, weights.id)


def learn_weights(session: Session, matcher: matching.Matcher) -> Learnt:
    """Fit weights on the decisions with the fitted ``matcher``, judge them on held-out
    scenarios against the weights in use, store them with their figures, and keep them only
    if they are better. Raises ``learn.TooFewDecisions`` (storing nothing) when the
    decisions cannot teach or judge anything yet."""
    found = decisions(session)
    trial = learn.trial(matcher, found)
    kept = trial.better
    weight_set = WeightSet(
        weights=trial.weights,
        decisions=trial.trained_on + trial.tested_on,
        trained_on=trial.trained_on,
        tested_on=trial.tested_on,
        current_auc=round(trial.current_auc, 4),
        new_auc=round(trial.new_auc, 4),
        kept=kept,
    )
    session.add(weight_set)
    session.flush()
    return Learnt(weight_set, kept)


def history(session: Session) -> list[WeightSet]:
    """Every stored weight set, newest first."""
    return list(session.exec(select(WeightSet).order_by(col(WeightSet.id).desc())))
