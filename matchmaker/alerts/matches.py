"""Which saved searches a newly published entry reaches, recorded as alerts at publication.

Every saved search of the entry's kind is tested against it with the list's own conditions,
in a few queries however many searches there are. A search that follows what fits goes
further: the fitted matcher scores the entry against the other side's index once, and the
search's user hears of it only when one of its organisation's own published entries (a firm's
capabilities, a buyer's open scenarios) fits it with a score of at least `MIN_SCORE`; the
alert keeps that score and the matcher's explanation. Delivery is `digest`'s business.
"""

from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, col, select

from matchmaker import matching
from matchmaker.alerts.searches import MODELS, SHOWN, conditions
from matchmaker.entries import deadlines
from matchmaker.pairing import recommend
from models import Alert, Capability, SavedSearch, Scenario, SearchKind, User
from models._types import utcnow

# The lowest score at which a fit reaches a follower, chosen on the seed labels: see
# docs/alerts.md and benchmarks/alert_precision.py (on the learnt blend's [0, 1] scale; the
# matcher itself recommends from 0.05).
MIN_SCORE = 0.15
# Only a fit among the new entry's TOP best reaches a follower: a score alone says little
# across entries (a generic platform scores well with many), its rank among the other
# side's fits says more. Both chosen on the seed labels, as MIN_SCORE.
TOP = 10
# The learnt blend scores some parts relative to the new entry's best candidate, so a score
# says little alone where few entries compete: a fit must also come close to the entry's best
# fit. Chosen on the seed labels with MIN_SCORE.
MIN_SHARE = 0.6
# How many entries of the other side the matcher scores for a new entry (its candidates).
CANDIDATES = 30
_CHUNK = 200  # searches tested in one query


class Fit(NamedTuple):
    """The organisation's entry that fits the new one best, and the matcher's reasons."""

    counterpart: Scenario | Capability
    found: matching.Recommendation
    rank: int  # its place among everything the matcher found for the new entry, from 0


def kind_of(entry: Scenario | Capability) -> SearchKind:
    """The kind of saved search that finds `entry`."""
    return SearchKind.scenarios if isinstance(entry, Scenario) else SearchKind.capabilities


def _criteria(search: SavedSearch) -> tuple:
    """What a search's conditions depend on: searches alike are tested once."""
    return (
        search.q,
        tuple(search.fields),
        tuple(search.districts),
        search.budget_min_wan,
        search.budget_max_wan,
        search.deadline_min_days,
        search.deadline_max_days,
    )


def searches_finding(
    session: Session, entry: Scenario | Capability, searches: list[SavedSearch], *, today: date
) -> list[SavedSearch]:
    """The searches among `searches` (all of the entry's kind) whose conditions find `entry`."""
    kind = kind_of(entry)
    model = MODELS[kind]
    # Many searches ask alike (every "what fits me" search asks for nothing more): each
    # distinct question is put to the database once.
    alike: dict[tuple, list[SavedSearch]] = {}
    for search in searches:
        alike.setdefault(_criteria(search), []).append(search)
    questions = list(alike.values())
    found: list[SavedSearch] = []
    for start in range(0, len(questions), _CHUNK):
        chunk = questions[start : start + _CHUNK]
        # One row for the entry, one 0/1 column per question. SQLAlchemy's own select:
        # SQLModel's would answer a one-column query with a bare value instead of a row.
        flags = [sa.case((conditions(kind, group[0], today=today), 1), else_=0) for group in chunk]
        row = session.exec(sa.select(*flags).where(col(model.id) == entry.id)).first()  # type: ignore[call-overload]
        if row is None:
            return []
        found += [s for group, hit in zip(chunk, row, strict=True) if hit for s in group]
    return found


def fits(
    session: Session,
    entry: Scenario | Capability,
    organisation_ids: set[int],
    *,
    today: date,
    min_score: float = MIN_SCORE,
    top: int = TOP,
    min_share: float = MIN_SHARE,
) -> dict[int, Fit]:
    """For each of `organisation_ids`, its published entry that best fits `entry`, if any
    scores at least `min_score`, at least `min_share` of the best fit's score, and is among
    the `top` best fits of all (a firm's capabilities for a scenario, a buyer's open
    scenarios for a capability)."""
    matcher = recommend.get_matcher(session)
    if matcher is None or not organisation_ids:
        return {}
    is_scenario = isinstance(entry, Scenario)
    side = "scenario" if is_scenario else "capability"
    found = matcher.recommend_for(recommend.matcher_view(session, entry), side=side, k=CANDIDATES)
    other_kind = SearchKind.capabilities if is_scenario else SearchKind.scenarios
    other = MODELS[other_kind]
    other_id = "capability_id" if is_scenario else "scenario_id"
    ranked = sorted(found, key=lambda r: r.score, reverse=True)
    least = max(min_score, min_share * ranked[0].score) if ranked else min_score
    good = {
        int(getattr(r, other_id)): (n, r) for n, r in enumerate(ranked[:top]) if r.score >= least
    }
    # The index may be older than the database: only entries published and open now count.
    alive = [col(other.status).in_(SHOWN[other_kind])]
    if other is Scenario:
        alive.append(deadlines.open_on(today))
    rows = session.exec(
        select(other).where(
            col(other.id).in_(list(good)), col(other.organisation_id).in_(organisation_ids), *alive
        )
    )
    best: dict[int, Fit] = {}
    for row in rows:
        rank, rec = good[row.id]
        held = best.get(row.organisation_id)
        if held is None or rec.score > held.found.score:
            best[row.organisation_id] = Fit(row, rec, rank)
    return best


def record_published(
    session: Session, entry: Scenario | Capability, *, today: date, min_score: float = MIN_SCORE
) -> list[Alert]:
    """Record an alert for every saved search the just-published `entry` reaches.

    Recording twice adds nothing (one alert per search and entry). An organisation's own
    entries reach none of its members' searches.
    """
    session.flush()
    rows = session.exec(
        select(SavedSearch, User.organisation_id)
        .join(User, col(User.id) == col(SavedSearch.user_id))
        .where(SavedSearch.kind == kind_of(entry), User.organisation_id != entry.organisation_id)
    ).all()
    org_of = {search.id: org for search, org in rows}
    reached = searches_finding(session, entry, [search for search, _org in rows], today=today)
    if not reached:
        return []
    fitting = fits(
        session,
        entry,
        {org_of[s.id] for s in reached if s.matched},
        today=today,
        min_score=min_score,
    )
    known = set(
        session.exec(
            select(Alert.saved_search_id).where(
                Alert.entry_id == entry.id,
                col(Alert.saved_search_id).in_([s.id for s in reached]),
            )
        )
    )
    alerts = []
    for search in reached:
        fit = fitting.get(org_of[search.id]) if search.matched else None
        if search.id in known or (search.matched and fit is None):
            continue
        # Every value given, none left to a default factory: building a row then costs a
        # fraction of what it does otherwise, which counts with many followers.
        alerts.append(
            Alert(
                saved_search_id=search.id,
                user_id=search.user_id,
                entry_id=entry.id,
                score=round(fit.found.score, 4) if fit else None,
                counterpart_id=fit.counterpart.id if fit else None,
                counterpart_title=fit.counterpart.title if fit else "",
                terms=[[t, round(w, 4)] for t, w in fit.found.terms] if fit else [],
                matched_tags=list(fit.found.tags) if fit else [],
                reasons=[list(reason) for reason in fit.found.reasons] if fit else [],
                created_at=utcnow(),
            )
        )
    session.add_all(alerts)
    return alerts
