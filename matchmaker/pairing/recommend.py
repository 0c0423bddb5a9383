"""The matcher in the app: fitted once, kept in app.extensions, results stored as rows.

The fitted matcher is built by `matchmaker match` (or, the first time it is needed, from the
database) and saved to MATCHER_PATH; web processes load that file and reload it when a newer
one appears, so a re-match in another process reaches them without any refit per request.
A newly submitted or published entry gets its recommendations at once with `recommend_for`
against the fitted index, to which the other side's entries submitted since the last fit are
searched beside it (`newcomers`): nobody waits for the next `matchmaker match` to be
paired with them.
A scenario past its deadline is neither indexed nor recommended (entries.deadlines).
A capability's qualifications count only while their evidence has not expired or been
rejected (evidence.claims).
"""

from __future__ import annotations

import os
import threading
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from flask import Flask, current_app
from sqlalchemy import ColumnElement, bindparam, delete, insert, update
from sqlmodel import Session, col, select

from matchmaker import matching
from matchmaker.entries import deadlines
from matchmaker.evidence import claims
from matchmaker.records import audit
from matchmaker.web.dates import local_today
from matchmaker.web.db import begin_writing

if TYPE_CHECKING:
    from matchmaker.pairing import learning

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


# What the matcher reads of each side: selected as plain rows, not whole entries (their
# search text and other columns would only slow the read down).
_READ = ("id", "title", "summary", "description", "tags", "field", "district", "tokens")
_COLUMNS = {
    Scenario: (*_READ, "organisation_id", "budget_max_wan"),
    Capability: (*_READ, "organisation_id", "qualifications"),
}


def as_entry(
    row: Any, model: type[Scenario] | type[Capability], lapsed: frozenset[str] = frozenset()
) -> matching.Entry:
    """The matcher's view of a stored entry (its stored tokens spare re-segmenting); `row`
    is the entry or a row of its `_COLUMNS`. `lapsed` are the firm's qualifications whose
    evidence expired or was rejected, which do not count."""
    is_scenario = model is Scenario
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


def _matchable(
    session: Session, model: type[Scenario] | type[Capability], *narrowed: ColumnElement[bool]
) -> list[matching.Entry]:
    columns = [getattr(model, name) for name in _COLUMNS[model]]
    stmt = select(*columns).where(*_alive(model), *narrowed).order_by(model.id)
    if model is Scenario:
        return [as_entry(row, model) for row in session.execute(stmt)]
    rows = session.execute(stmt).all()
    # Every firm's lapsed claims for a whole side; only the firms read for a narrowed one.
    firms = {row.organisation_id for row in rows} if narrowed else None
    lapsed = claims.lapsed_qualifications(session, today=local_today(), org_ids=firms)
    return [as_entry(row, model, lapsed.get(row.organisation_id, frozenset())) for row in rows]


# ----- the fitted matcher ------------------------------------------------------------------


def fit(session: Session) -> matching.Matcher | None:
    """Fit a matcher on the submitted and published entries; None while a side is empty."""
    read_at = utcnow()
    scenarios, capabilities = _matchable(session, Scenario), _matchable(session, Capability)
    if not scenarios or not capabilities:
        return None
    from matchmaker.pairing import learning  # NumPy: only when a matcher is built

    matcher = matching.Matcher(learning.configured(session)).fit(scenarios, capabilities)
    matcher.read_at = read_at.isoformat()
    return matcher


# How long before the fit's read an entry changed by a transaction that committed after it
# may say it changed (its time is taken before its commit): such entries are looked for too.
_COMMIT_SLACK = timedelta(minutes=2)


def newcomers(
    session: Session, matcher: matching.Matcher, model: type[Scenario] | type[Capability]
) -> matching.Shard | None:
    """The entries of `model` that became matchable since `matcher` was fitted, as a shard to
    search beside its index: a new entry of the other side is paired with them by
    `recommend_for` until the next re-match indexes them. None for a matcher without a read
    time (written by an older version).

    The shard is kept for the process while the same entries, unchanged, are the newcomers:
    an import of a few hundred scenarios weighs the capabilities posted since the fit once.
    """
    if not matcher.read_at:
        return None
    side: matching.Side = "scenario" if model is Scenario else "capability"
    since = datetime.fromisoformat(matcher.read_at) - _COMMIT_SLACK
    changed = session.exec(
        select(model.id, model.updated_at).where(*_alive(model), col(model.updated_at) >= since)
    )
    indexed = matcher.indexed(side)
    new = sorted((entry_id, at) for entry_id, at in changed if str(entry_id) not in indexed)
    if not new:
        return None
    key = (matcher.read_at, side, local_today(), tuple(new))
    kept = _shards.get(side)
    if kept is None or kept[0] != key:
        entries = _matchable(session, model, col(model.id).in_([entry_id for entry_id, _ in new]))
        kept = _shards[side] = (key, matcher.shard(entries))
    return kept[1]


_shards: dict[str, tuple[tuple, matching.Shard]] = {}  # per side: the newcomers last weighed


def matcher_view(session: Session, entry: Scenario | Capability) -> matching.Entry:
    """The matcher's view of one stored entry, as of today's evidence."""
    if isinstance(entry, Scenario):
        return as_entry(entry, Scenario)
    org_id = entry.organisation_id
    lapsed = claims.lapsed_qualifications(session, today=local_today(), org_ids=[org_id])
    return as_entry(entry, Capability, lapsed.get(org_id, frozenset()))


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


def relearn(session: Session) -> learning.Learnt:
    """Learn weights from the decisions with the app's matcher (`learning.learn_weights`);
    when they are kept, the matcher blends with them from now on, in every process (saved).

    Raises ``learn.TooFewDecisions`` when there is nothing to match or to learn from yet.
    """
    from matchmaker.matching import learn
    from matchmaker.pairing import learning

    matcher = get_matcher(session)
    if matcher is None:
        raise learn.TooFewDecisions("there are no scenarios or no capabilities to match yet")
    config = learning.configured(session)
    learnt = learning.learn_weights(session, matcher.reweighted(config.blend, config.weight_set))
    if learnt.kept:
        weights = learnt.weight_set
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        _keep(app, matcher.reweighted(weights.weights, weights.id), save=True)
    return learnt


# ----- storing recommendations -------------------------------------------------------------

# Each side's list: the column holding a pair's score on it (None: the pair is not on it).
LISTS = {"scenario": "scenario_list_score", "capability": "capability_list_score"}
# What a re-match writes of a pair, and compares with what is stored.
STORED = ("score", "parts", "terms", "matched_tags", "reasons", "weight_set_id", *LISTS.values())


def cap() -> int:
    """How many lists of the other side one entry may be on (`MATCH_CAP`, default 20)."""
    return int(current_app.config.get("MATCH_CAP", matching.DEFAULT_CAP))


def _values(rec: matching.Recommendation, weight_set: int | None) -> dict[str, object]:
    """The stored form of a recommendation: rounded, as JSON would give it back, with the
    weight set that scored it (None: the shipped weights)."""
    return {
        "score": round(rec.score, 4),
        "parts": {name: round(value, 4) for name, value in rec.parts.items()},
        "terms": [[term, round(weight, 4)] for term, weight in rec.terms],
        "matched_tags": list(rec.tags),
        "reasons": [list(reason) for reason in rec.reasons],
        "weight_set_id": weight_set,
    }


def _key(rec: matching.Recommendation) -> tuple[int, int]:
    return int(rec.scenario_id), int(rec.capability_id)


def _other_id(rec: matching.Recommendation, side: matching.Side) -> int:
    return int(rec.capability_id if side == "scenario" else rec.scenario_id)


def recommend_entry(session: Session, entry: Scenario | Capability) -> int:
    """Put the entry's best pairings on its list now, against the fitted index; how many new.

    The entry gets its `TOP_K` best pairings, as a re-match would: an entry of the other side
    already on `cap()` lists takes the new pairing only when it scores above the last of
    them, and that one is displaced (recorded in the audit trail); otherwise the entry's next
    best pairing takes the place. An entry already in the index whose text did not change (an
    official publishing it) finds its pairings where the last re-match put them, and nothing
    changes.
    """
    matcher = get_matcher(session)
    lapsed = isinstance(entry, Scenario) and deadlines.passed(entry.deadline, local_today())
    if matcher is None or entry.status not in MATCHABLE or lapsed:
        return 0
    session.flush()
    side: matching.Side = "scenario" if isinstance(entry, Scenario) else "capability"
    other = Capability if side == "scenario" else Scenario
    posted_since = newcomers(session, matcher, other)
    # Beyond k: a candidate kept off by the cap leaves its place to the next one.
    entry_view = matcher_view(session, entry)
    found = matcher.recommend_for(
        entry_view, side=side, k=matcher.config.candidates, newcomers=posted_since
    )
    # The index may be older than the database: keep only entries still matchable now.
    alive = set(
        session.exec(
            select(other.id).where(
                col(other.id).in_([_other_id(r, side) for r in found]), *_alive(other)
            )
        )
    )
    found = [r for r in found if _other_id(r, side) in alive]
    return _place(session, entry, side, found, weight_set=matcher.config.weight_set)


def _place(
    session: Session,
    entry: Scenario | Capability,
    side: matching.Side,
    found: list[matching.Recommendation],
    *,
    weight_set: int | None,
) -> int:
    """Store the best of `found` (best first), scored with `weight_set`, as `entry`'s list,
    under the cap."""
    mine, theirs = (
        (Recommendation.scenario_id, Recommendation.capability_id)
        if side == "scenario"
        else (Recommendation.capability_id, Recommendation.scenario_id)
    )
    on, other_on = LISTS[side], LISTS["capability" if side == "scenario" else "scenario"]
    limit = cap()
    begin_writing(session)  # the lists read here decide what is displaced: none may change
    ids = [_other_id(r, side) for r in found]
    stored = {
        getattr(rec, theirs.key): rec
        for rec in session.exec(select(Recommendation).where(mine == entry.id))
    }
    lists: dict[int, list[Recommendation]] = {other_id: [] for other_id in ids}
    listed = col(getattr(Recommendation, on)).is_not(None)
    # Locked on PostgreSQL too, in one order: two postings at once then displace one after
    # the other, never the same pairing twice.
    for rec in session.exec(
        select(Recommendation)
        .where(col(theirs).in_(ids), mine != entry.id, listed)
        .order_by(col(Recommendation.id))
        .with_for_update()
    ):
        lists[getattr(rec, theirs.key)].append(rec)
    kept: set[int] = set()
    created = 0
    now = utcnow()
    for rec in found:
        if len(kept) == TOP_K:
            break
        other_id, values = _other_id(rec, side), _values(rec, weight_set)
        score = values["score"]  # this side's score: what this side's list is ordered by
        # Compared on the scores the lists were filled with, as the re-match compares them.
        rivals = sorted(lists[other_id], key=lambda r: (-getattr(r, on), r.id))
        row = stored.get(other_id)
        if (row is None or getattr(row, on) is None) and len(rivals) >= limit:
            if score <= getattr(rivals[limit - 1], on):
                continue  # that entry's list is full of pairings that fit it better
            for weaker in rivals[limit - 1 :]:
                _displace(session, weaker, on, other_on, by=(entry, score))
        if row is None:
            row = Recommendation(
                scenario_id=entry.id if side == "scenario" else other_id,
                capability_id=other_id if side == "scenario" else entry.id,
                **values,
            )
            session.add(row)
            created += 1
        elif _rescored(row, side, values):
            # A rescore is not a decision: the version (which guards decisions) stays.
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
        setattr(row, on, score)
        kept.add(other_id)
    for other_id, row in stored.items():
        if other_id not in kept and getattr(row, on) is not None:
            _leave_list(session, row, on, other_on)  # an edit moved the entry's list
    session.flush()
    return created


def _rescored(row: Recommendation, side: matching.Side, values: dict[str, object]) -> bool:
    """Whether posting on `side` gives the stored, undecided `row` new values.

    The feedback part of a score is the asking side's, so the two sides score a pair a
    little differently. A pair on a scenario's list keeps the scenario's score, as in a
    re-match; otherwise posting a capability would move it to the capability's score and the
    next re-match back again.
    """
    if row.status != RecommendationStatus.recommended:
        return False
    if side == "capability" and row.scenario_list_score is not None:
        return False
    return any(getattr(row, name) != value for name, value in values.items())


def _displace(
    session: Session,
    rec: Recommendation,
    on: str,
    other_on: str,
    *,
    by: tuple[Scenario | Capability, float],
) -> None:
    """Take `rec` off the list `on` it lost its place on to a better-fitting new pairing."""
    newcomer, score = by
    listed = getattr(rec, on)
    if _leave_list(session, rec, on, other_on):
        scenario = session.get(Scenario, rec.scenario_id)
        capability = session.get(Capability, rec.capability_id)
        audit.record(
            session,
            "recommendation.displace",
            rec,
            {
                "scenario": scenario.title if scenario else "",
                "capability": capability.title if capability else "",
                "score": listed,
                "displaced_by": f"{newcomer.title} ({score:.2f})",
                "cap": cap(),
            },
            by_system=True,
        )


def _leave_list(session: Session, rec: Recommendation, on: str, other_on: str) -> bool:
    """Take `rec` off the list `on`; an undecided matcher pairing on no list is deleted (True)."""
    setattr(rec, on, None)
    undecided = rec.status == RecommendationStatus.recommended
    matcher = rec.source == RecommendationSource.matcher
    if undecided and matcher and getattr(rec, other_on) is None:
        session.delete(rec)
        return True
    return False


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


# How a full re-match is computed: (fitted matcher, side, cap, progress) → recommendations.
# (Names, not the classes: naming them here would import the matcher with this module.)
Engine = Callable[
    ["matching.Matcher", "matching.Side", int, Callable[[int], None] | None],
    list[matching.Recommendation],
]


def on_this_machine(
    matcher: matching.Matcher,
    side: matching.Side,
    cap: int,
    progress: Callable[[int], None] | None,
) -> list[matching.Recommendation]:
    """The default engine: the whole re-match in this process."""
    return matcher.rematch(k=TOP_K, cap=cap, side=side, progress=progress)


def rematch_all(
    session: Session,
    *,
    progress: Callable[[int], None] | None = None,
    engine: Engine = on_this_machine,
) -> Counts:
    """Refit on the whole database, save the matcher, and store every recommendation.

    Both sides' lists are stored (each scenario's best capabilities and each capability's
    best scenarios, under the cap). Undecided matcher pairs the new run no longer finds are
    removed; decided pairs and pairs born from interest keep everything but their place on
    the lists. ``engine`` computes the recommendations (``on_this_machine``, or a cluster's,
    see ``matching.distributed``); nothing is stored when it fails. A pair whose stored
    values are already the new ones is not written: a re-match of unchanged entries writes
    nothing.
    """
    matcher = fit(session)
    found: dict[tuple[int, int], dict[str, object]] = {}
    if matcher is not None:
        _keep(current_app._get_current_object(), matcher, save=True)  # type: ignore[attr-defined]
        weight_set = matcher.config.weight_set
        for side, on in LISTS.items():
            for rec in engine(matcher, side, cap(), progress):
                # A pair on both lists shows the score it has on the scenario's (found first).
                key = _key(rec)
                if key not in found:
                    found[key] = {**_values(rec, weight_set), **dict.fromkeys(LISTS.values())}
                found[key][on] = round(rec.score, 4)
    return _store_all(session, found)


def _store_all(session: Session, found: dict[tuple[int, int], dict[str, object]]) -> Counts:
    """Make the stored recommendations `found`, in one transaction, writing only changes.

    The stored ones are read in a stream (never all at once) and compared with `found`;
    then the changes go in bulk: one executemany per kind of statement.
    """
    table = Recommendation.__table__  # type: ignore[attr-defined]
    c = table.c
    begin_writing(session)  # what is read below is what gets replaced: none may change
    rows = session.execute(
        select(c.id, c.scenario_id, c.capability_id, c.status, c.source, *(c[n] for n in STORED))
        .order_by(c.id)
        .execution_options(yield_per=5000)
    )
    changed: list[dict[str, object]] = []
    lists_only: list[dict[str, object]] = []
    stale: list[int] = []
    decided = 0
    now = utcnow()
    for row in rows:
        wanted = found.pop((row.scenario_id, row.capability_id), None)
        undecided = row.status == RecommendationStatus.recommended
        if wanted is None:
            if undecided and row.source == RecommendationSource.matcher:
                stale.append(row.id)
            elif any(getattr(row, on) is not None for on in LISTS.values()):
                lists_only.append({"_id": row.id, **dict.fromkeys(LISTS.values())})
        elif not undecided:
            decided += 1
            lists = {name: wanted[name] for name in LISTS.values()}
            if any(getattr(row, name) != value for name, value in lists.items()):
                lists_only.append({"_id": row.id, **lists})
        elif any(getattr(row, name) != wanted[name] for name in STORED):
            # A rescore is not a decision: the version (which guards decisions) stays.
            changed.append({"_id": row.id, **wanted, "updated_at": now})
    rows.close()
    new = [
        {
            "scenario_id": scenario_id,
            "capability_id": capability_id,
            **values,
            "source": RecommendationSource.matcher.value,
            "status": RecommendationStatus.recommended.value,
            "note": "",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for (scenario_id, capability_id), values in found.items()
    ]
    by_id = c.id == bindparam("_id")
    if new:
        session.execute(insert(table), new)
    if changed:
        session.execute(
            update(table).where(by_id, c.status == RecommendationStatus.recommended.value),
            changed,
        )
    if lists_only:
        session.execute(update(table).where(by_id), lists_only)
    if stale:
        undecided = (
            c.status == RecommendationStatus.recommended.value,
            c.source == RecommendationSource.matcher.value,
        )
        session.execute(delete(table).where(by_id, *undecided), [{"_id": i} for i in stale])
    return Counts(len(new), len(changed), len(stale), decided)
