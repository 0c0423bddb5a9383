"""The matcher in the app: fitted once, kept in app.extensions, results stored as rows.

The fitted matcher is built by `matchmaker match` (or, the first time it is needed, from the
database) and saved to MATCHER_PATH; web processes load that file and reload it when a newer
one appears, so a re-match in another process reaches them without any refit per request.
A newly submitted or published entry gets its recommendations at once with `recommend_for`
against the fitted index. Entries submitted since the last fit are not in the index yet, so
they are not recommended *to others* until the next `matchmaker match`.
A scenario past its deadline is neither indexed nor recommended (entries.deadlines).
A capability's qualifications count only while their evidence has not expired or been
rejected (evidence.claims).
"""

import os
import threading
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from flask import Flask, current_app
from sqlalchemy import ColumnElement, delete
from sqlmodel import Session, col, select

from matchmaker import matching
from matchmaker.entries import deadlines
from matchmaker.evidence import claims
from matchmaker.web.dates import local_today
from models import (
    Capability,
    Recommendation,
    RecommendationSource,
    RecommendationStatus,
    Scenario,
)
from models._types import utcnow

MATCHABLE = ("submitted", "published")  # what the matcher indexes, on both sides
TOP_K = 10
_lock = threading.Lock()  # one fit or load at a time per process


class Counts(NamedTuple):
    """What a re-match did to the stored recommendations."""

    created: int
    updated: int
    removed: int
    decided: int  # pairs the matcher found again but an official has already decided


# ----- building Entry objects from rows ----------------------------------------------------


def as_entry(row: Scenario | Capability, lapsed: frozenset[str] = frozenset()) -> matching.Entry:
    """The matcher's view of a stored entry (its stored tokens spare re-segmenting); `lapsed`
    are the firm's qualifications whose evidence expired or was rejected, which do not count."""
    is_scenario = isinstance(row, Scenario)
    return matching.Entry(
        id=str(row.id),
        title=row.title,
        description=f"{row.summary}\n{row.description}",
        tags=tuple(row.tags),
        field=row.field,
        district=row.district,
        # A scenario states its budget and requires no qualification by itself; a
        # capability states no minimum project size but lists what the firm holds.
        budget_wan=row.budget_max_wan if is_scenario else None,
        qualifications=() if is_scenario else tuple(claims.counting(row.qualifications, lapsed)),
        org=str(row.organisation_id),
        tokens=row.tokens or None,
    )


def _alive(model: type[Scenario] | type[Capability]) -> list[ColumnElement[bool]]:
    """What makes an entry recommendable: matchable, and (a scenario) not past its deadline."""
    conditions = [col(model.status).in_(MATCHABLE)]
    if model is Scenario:
        conditions.append(deadlines.open_on(local_today()))
    return conditions


def _matchable(session: Session, model: type[Scenario] | type[Capability]) -> list:
    return list(session.exec(select(model).where(*_alive(model)).order_by(model.id)))


# ----- the fitted matcher ------------------------------------------------------------------


def fit(session: Session) -> matching.Matcher | None:
    """Fit a matcher on the submitted and published entries; None while a side is empty."""
    scenarios, capabilities = _matchable(session, Scenario), _matchable(session, Capability)
    if not scenarios or not capabilities:
        return None
    lapsed = claims.lapsed_qualifications(session, today=local_today())
    return matching.Matcher(matching.MatcherConfig()).fit(
        [as_entry(s) for s in scenarios],
        [as_entry(c, lapsed.get(c.organisation_id, frozenset())) for c in capabilities],
    )


def matcher_view(session: Session, entry: Scenario | Capability) -> matching.Entry:
    """The matcher's view of one stored entry, as of today's evidence."""
    if isinstance(entry, Scenario):
        return as_entry(entry)
    org_id = entry.organisation_id
    lapsed = claims.lapsed_qualifications(session, today=local_today(), org_ids=[org_id])
    return as_entry(entry, lapsed.get(org_id, frozenset()))


def _keep(app: Flask, matcher: matching.Matcher, *, save: bool) -> None:
    """Hold `matcher` in app.extensions, writing it to MATCHER_PATH first when `save`."""
    path = Path(app.config["MATCHER_PATH"])
    if save:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        matcher.save(partial)
        os.replace(partial, path)  # readers in other processes never see half a file
    app.extensions["matcher"] = matcher
    app.extensions["matcher_mtime"] = path.stat().st_mtime if path.exists() else None


def get_matcher(session: Session) -> matching.Matcher | None:
    """The app's fitted matcher: held, else loaded from MATCHER_PATH, else fitted once."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    path = Path(app.config["MATCHER_PATH"])

    def fresh() -> bool:
        held = app.extensions.get("matcher")
        if held is None:
            return False
        on_disk = path.stat().st_mtime if path.exists() else None
        return on_disk is None or on_disk <= (app.extensions.get("matcher_mtime") or 0)

    if fresh():
        return app.extensions["matcher"]
    with _lock:
        if fresh():
            return app.extensions["matcher"]
        if path.exists():
            try:
                _keep(app, matching.Matcher.load(path), save=False)
                return app.extensions["matcher"]
            except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
                # Written by an older matcher, or damaged: fitting afresh replaces it.
                app.logger.warning("Could not load the matcher from %s; refitting", path)
        matcher = fit(session)
        if matcher is not None:
            _keep(app, matcher, save=True)
        return matcher


# ----- storing recommendations -------------------------------------------------------------


def _store(
    session: Session,
    found: Iterable[matching.Recommendation],
    existing: dict[tuple[int, int], Recommendation],
) -> Counts:
    """Insert new pairs, rescore still-recommended ones, leave decided ones alone."""
    created = updated = decided = 0
    now = utcnow()
    seen: set[tuple[int, int]] = set()
    for rec in found:
        key = (int(rec.scenario_id), int(rec.capability_id))
        if key in seen:
            continue  # found from both sides: the same pair, the same score
        seen.add(key)
        values = {
            "score": round(rec.score, 4),
            "parts": {name: round(value, 4) for name, value in rec.parts.items()},
            "terms": [[term, round(weight, 4)] for term, weight in rec.terms],
            "matched_tags": list(rec.tags),
            "reasons": [list(reason) for reason in rec.reasons],
        }
        row = existing.get(key)
        if row is None:
            row = Recommendation(scenario_id=key[0], capability_id=key[1], **values)
            session.add(row)
            existing[key] = row
            created += 1
        elif row.status == RecommendationStatus.recommended:
            # A rescore is not a decision: the version (which guards decisions) stays.
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
            updated += 1
        else:
            decided += 1
    session.flush()
    return Counts(created, updated, 0, decided)


def recommend_entry(session: Session, entry: Scenario | Capability) -> int:
    """Compute and store the entry's recommendations now, against the fitted index."""
    matcher = get_matcher(session)
    lapsed = isinstance(entry, Scenario) and deadlines.passed(entry.deadline, local_today())
    if matcher is None or entry.status not in MATCHABLE or lapsed:
        return 0
    session.flush()
    is_scenario = isinstance(entry, Scenario)
    side = "scenario" if is_scenario else "capability"
    found = matcher.recommend_for(matcher_view(session, entry), side=side, k=TOP_K)
    other = Capability if is_scenario else Scenario
    other_id = "capability_id" if is_scenario else "scenario_id"
    # The index may be older than the database: keep only entries still matchable now.
    alive = set(
        session.exec(
            select(other.id).where(
                col(other.id).in_([int(getattr(r, other_id)) for r in found]), *_alive(other)
            )
        )
    )
    found = [r for r in found if int(getattr(r, other_id)) in alive]
    own = Recommendation.scenario_id if is_scenario else Recommendation.capability_id
    existing = {
        (r.scenario_id, r.capability_id): r
        for r in session.exec(select(Recommendation).where(own == entry.id))
    }
    return _store(session, found, existing).created


def forget_entry(session: Session, entry: Scenario | Capability) -> int:
    """Remove the entry's undecided matcher recommendations (it went back to draft)."""
    own = (
        Recommendation.scenario_id if isinstance(entry, Scenario) else Recommendation.capability_id
    )
    result = session.exec(
        delete(Recommendation).where(
            own == entry.id,
            Recommendation.status == RecommendationStatus.recommended,
            Recommendation.source == RecommendationSource.matcher,
        )
    )
    return result.rowcount


# How a full re-match is computed: (fitted matcher, side, progress) → recommendations.
Engine = Callable[
    [matching.Matcher, matching.Side, Callable[[int], None] | None], list[matching.Recommendation]
]


def on_this_machine(
    matcher: matching.Matcher, side: matching.Side, progress: Callable[[int], None] | None
) -> list[matching.Recommendation]:
    """The default engine: the whole re-match in this process."""
    return matcher.rematch(k=TOP_K, side=side, progress=progress)


def rematch_all(
    session: Session,
    *,
    progress: Callable[[int], None] | None = None,
    engine: Engine = on_this_machine,
) -> Counts:
    """Refit on the whole database, save the matcher, and store every recommendation.

    Both directions are stored (top capabilities per scenario and top scenarios per
    capability). Undecided matcher pairs the new run no longer finds are removed; decided
    pairs and pairs born from interest are never touched. ``engine`` computes the
    recommendations (``on_this_machine``, or a cluster's, see ``matching.distributed``);
    nothing is stored when it fails.
    """
    matcher = fit(session)
    found: list[matching.Recommendation] = []
    if matcher is not None:
        _keep(current_app._get_current_object(), matcher, save=True)  # type: ignore[attr-defined]
        for side in ("scenario", "capability"):
            found += engine(matcher, side, progress)
    existing = {(r.scenario_id, r.capability_id): r for r in session.exec(select(Recommendation))}
    counts = _store(session, found, existing)
    wanted = {(int(r.scenario_id), int(r.capability_id)) for r in found}
    stale = [
        row.id
        for key, row in existing.items()
        if key not in wanted
        and row.status == RecommendationStatus.recommended
        and row.source == RecommendationSource.matcher
    ]
    for start in range(0, len(stale), 500):
        session.exec(
            delete(Recommendation).where(col(Recommendation.id).in_(stale[start : start + 500]))
        )
    return counts._replace(removed=len(stale))
