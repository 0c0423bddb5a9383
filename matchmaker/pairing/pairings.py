"""Stored pairings: reading them for pages and the review queue, and officials' decisions."""

import math
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, NamedTuple

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, func, or_
from sqlalchemy.orm import aliased, load_only
from sqlmodel import Session, col, select

from matchmaker.entries import deadlines, listing
from matchmaker.entries.indexing import normalize_for_search
from matchmaker.records import audit, notify
from matchmaker.records.versions import claim
from matchmaker.web.errors import Conflict, NotAllowed
from matchmaker.web.security import parse_int
from models import (
    Capability,
    Organisation,
    Recommendation,
    RecommendationSource,
    RecommendationStatus,
    Scenario,
)
from models._types import utcnow

DECISIONS = {"approve": RecommendationStatus.approved, "reject": RecommendationStatus.rejected}
STATUSES = tuple(s.value for s in RecommendationStatus)
SOURCES = tuple(s.value for s in RecommendationSource)
SHOWN_ROUNDING = 0.005  # half the last decimal a page shows of a score


class Pairing(NamedTuple):
    """A stored recommendation with both sides and their organisations."""

    recommendation: Recommendation
    scenario: Scenario
    capability: Capability
    scenario_org: Organisation
    capability_org: Organisation


# Both sides' organisations, named so that the queue's text search can reach them.
_SCENARIO_ORG = aliased(Organisation, name="scenario_org")
_CAPABILITY_ORG = aliased(Organisation, name="capability_org")


# What the pages that list pairings show of each side (the review queue, an entry's page, the
# published pairings): building whole entries (matcher tokens, search text, every long text)
# was a third of an entry's page. Anything else is loaded if and when it is read.
_SHOWN = (
    load_only(
        Scenario.id,
        Scenario.organisation_id,
        Scenario.title,
        Scenario.field,
        Scenario.district,
        Scenario.status,
        Scenario.deadline,
    ),
    load_only(
        Capability.id,
        Capability.organisation_id,
        Capability.title,
        Capability.field,
        Capability.district,
        Capability.status,
    ),
    load_only(_SCENARIO_ORG.id, _SCENARIO_ORG.name),
    load_only(_CAPABILITY_ORG.id, _CAPABILITY_ORG.name),
)


def _select() -> Select:
    return (
        select(Recommendation, Scenario, Capability, _SCENARIO_ORG, _CAPABILITY_ORG)
        .join(Scenario, Scenario.id == Recommendation.scenario_id)
        .join(Capability, Capability.id == Recommendation.capability_id)
        .join(_SCENARIO_ORG, _SCENARIO_ORG.id == Scenario.organisation_id)
        .join(_CAPABILITY_ORG, _CAPABILITY_ORG.id == Capability.organisation_id)
    )


def _no_lapsed_recommendations(today: date) -> ColumnElement[bool]:
    """Leave out pairings still awaiting a decision whose scenario's deadline has passed."""
    return or_(Recommendation.status != RecommendationStatus.recommended, deadlines.open_on(today))


def _best_first(stmt: Select) -> Select:
    return stmt.order_by(col(Recommendation.score).desc(), col(Recommendation.id))


def for_entry(
    session: Session,
    entry: Scenario | Capability,
    *,
    statuses: Iterable[str] | None = None,
    published_counterpart: bool = False,
    today: date | None = None,
    limit: int = 20,
) -> list[Pairing]:
    """An entry's pairings, best first; optionally only those whose other side is public, and
    (given `today`) without recommendations whose scenario's deadline has passed.

    Undecided recommendations the matcher made for the other side only (a firm's best
    scenarios, not among this scenario's own) come after the entry's own list: scored from the
    other side, they would otherwise sit among its own by a score on another scale. The
    entry's own are ordered by their score on its list (`score_on`).
    """
    stmt = _select()
    if today is not None:
        stmt = stmt.where(_no_lapsed_recommendations(today))
    if isinstance(entry, Scenario):
        stmt = stmt.where(Recommendation.scenario_id == entry.id)
        own_list = col(Recommendation.scenario_list_score)
        if published_counterpart:
            stmt = stmt.where(Capability.status == "published")
    else:
        stmt = stmt.where(Recommendation.capability_id == entry.id)
        own_list = col(Recommendation.capability_list_score)
        if published_counterpart:
            stmt = stmt.where(col(Scenario.status).in_(["published", "closed"]))
    if statuses is not None:
        stmt = stmt.where(col(Recommendation.status).in_(list(statuses)))
    others_only = and_(
        Recommendation.status == RecommendationStatus.recommended,
        Recommendation.source == RecommendationSource.matcher,
        own_list.is_(None),
    )
    on_this_list = func.coalesce(own_list, Recommendation.score)
    stmt = stmt.order_by(others_only, on_this_list.desc(), col(Recommendation.id))
    return [Pairing(*row) for row in session.exec(stmt.options(*_SHOWN).limit(limit))]


def _own_list_score(rec: Recommendation, entry: Scenario | Capability) -> float | None:
    """The pair's score on `entry`'s own list (None: not on it)."""
    return rec.scenario_list_score if isinstance(entry, Scenario) else rec.capability_list_score


def score_on(pairing: Pairing, entry: Scenario | Capability) -> float:
    """The pairing's score as `entry`'s page shows it: on the entry's own list where it is on
    it (a pair on both lists stores the scenario's score, and a firm's list scores it a little
    differently), else its stored score."""
    own = _own_list_score(pairing.recommendation, entry)
    return pairing.recommendation.score if own is None else own


def by_list(
    found: list[Pairing], entry: Scenario | Capability
) -> tuple[list[Pairing], list[Pairing]]:
    """``for_entry``'s pairings as the entry's page lists them: its own, then the undecided
    recommendations the matcher made for the other side only (a firm's best scenarios, not
    among this scenario's own), which the page puts under a heading of their own."""
    own: list[Pairing] = []
    other_side: list[Pairing] = []
    for pairing in found:
        rec = pairing.recommendation
        from_other_side = (
            rec.status == RecommendationStatus.recommended
            and rec.source == RecommendationSource.matcher
            and _own_list_score(rec, entry) is None
        )
        (other_side if from_other_side else own).append(pairing)
    return own, other_side


def under_review(session: Session, entry: Scenario | Capability, *, today: date) -> int:
    """How many of the entry's pairings its owner does not see yet: their other side is still
    waiting for an official's review (``for_entry`` with ``published_counterpart``)."""
    if isinstance(entry, Scenario):
        mine, other = Recommendation.scenario_id == entry.id, Capability.status == "submitted"
    else:
        mine, other = Recommendation.capability_id == entry.id, Scenario.status == "submitted"
    stmt = (
        select(func.count())
        .select_from(Recommendation)
        .join(Scenario, Scenario.id == Recommendation.scenario_id)
        .join(Capability, Capability.id == Recommendation.capability_id)
        .where(mine, other, _no_lapsed_recommendations(today))
    )
    return session.exec(stmt).one()


# What an organisation is shown as its own recommendations: not what officials turned down.
OPEN_FOR_PARTIES = (
    RecommendationStatus.recommended,
    RecommendationStatus.approved,
    RecommendationStatus.published,
)


def for_organisation(
    session: Session, organisation_id: int, *, today: date, limit: int = 6
) -> list[Pairing]:
    """The best pairings of an organisation's published entries with published counterparts,
    on either side, best first (none officials rejected, none past the scenario's deadline
    while still awaiting a decision); each counterpart once, with its best pairing."""
    both_public = and_(Scenario.status == "published", Capability.status == "published")
    stmt = _select().where(
        both_public,
        _no_lapsed_recommendations(today),
        col(Recommendation.status).in_(OPEN_FOR_PARTIES),
        or_(
            Scenario.organisation_id == organisation_id,
            Capability.organisation_id == organisation_id,
        ),
    )
    # A counterpart paired with several of the organisation's entries comes once: read enough
    # rows for `limit` different ones in all but unusual cases.
    rows = session.exec(_best_first(stmt).options(*_SHOWN).limit(limit * 4))
    best: dict[tuple[str, int], Pairing] = {}
    for pairing in map(Pairing._make, rows):
        ours = pairing.scenario.organisation_id == organisation_id
        other = ("capability", pairing.capability.id) if ours else ("scenario", pairing.scenario.id)
        best.setdefault(other, pairing)
    return list(best.values())[:limit]


def in_batch(session: Session, batch_id: int, *, statuses: Iterable[str]) -> list[Pairing]:
    """The pairings of a batch in one of `statuses`, best first."""
    stmt = _select().where(
        Recommendation.batch_id == batch_id, col(Recommendation.status).in_(list(statuses))
    )
    return [Pairing(*row) for row in session.exec(_best_first(stmt))]


def published(session: Session, *, page: int, page_size: int) -> tuple[list[Pairing], int, int]:
    """One page of the published pairings, latest batch first: (pairings, page, pages)."""
    stmt = _select().where(Recommendation.status == RecommendationStatus.published)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    pages = max(1, -(-total // page_size))
    page = min(max(page, 1), pages)
    rows = session.exec(
        stmt.order_by(
            col(Recommendation.batch_id).desc(),
            col(Recommendation.score).desc(),
            col(Recommendation.id),
        )
        .offset((page - 1) * page_size)
        .limit(page_size)
        .options(*_SHOWN)
    )
    return [Pairing(*row) for row in rows], page, pages


def by_ids(session: Session, ids: Iterable[int]) -> list[Pairing]:
    """The pairings with these ids (unknown ids are left out)."""
    stmt = _select().where(col(Recommendation.id).in_(list(ids)))
    return [Pairing(*row) for row in session.exec(_best_first(stmt))]


# ----- the review queue --------------------------------------------------------------------


class QueueQuery(NamedTuple):
    field: str
    district: str
    batch: int | None
    min_score: float | None
    max_score: float | None
    status: str  # "" for any
    page: int
    q: str = ""  # words to find in either entry or either organisation's name
    source: str = ""  # "interest": asked for by both parties; "matcher": the matcher's only


class QueuePage(NamedTuple):
    items: list[Pairing]
    total: int
    page: int
    pages: int
    capped: bool = False  # more than `total` (listing.COUNT_CAP) match: shown as "1,000+"


def _number(text: str | None) -> float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_queue_query(args: Mapping[str, str]) -> QueueQuery:
    """Read the queue's filters leniently: unknown values fall back to defaults, never error."""
    batch, page = args.get("batch", ""), args.get("page", "1")
    status = args.get("status", RecommendationStatus.recommended.value)
    return QueueQuery(
        field=args.get("field", "")[:40],
        district=args.get("district", "")[:40],
        batch=parse_int(batch),
        min_score=_number(args.get("min_score")),
        max_score=_number(args.get("max_score")),
        status=status if status in STATUSES else "",
        page=max(1, min(parse_int(page) or 1, 10_000)),
        q=args.get("q", "").strip()[:100],
        source=source if (source := args.get("source", "")) in SOURCES else "",
    )


def _queue_filters(stmt: Select, query: QueueQuery) -> Select:
    """The filters on the recommendation's own columns."""
    if query.batch is not None:
        # A batch's pairings, and those of the scenarios it published: an official reviewing
        # "the 2022 first batch" means the pairings found for its scenarios too.
        stmt = stmt.where(
            or_(
                Recommendation.batch_id == query.batch,
                col(Recommendation.scenario_id).in_(
                    select(Scenario.id).where(Scenario.batch_id == query.batch)
                ),
            )
        )
    # Bounds as the pages show scores (two decimals): "up to 0.41" keeps a 0.4149 shown as 0.41.
    if query.min_score is not None:
        stmt = stmt.where(Recommendation.score >= query.min_score - SHOWN_ROUNDING)
    if query.max_score is not None:
        stmt = stmt.where(Recommendation.score < query.max_score + SHOWN_ROUNDING)
    if query.status:
        stmt = stmt.where(Recommendation.status == query.status)
    if query.source:
        stmt = stmt.where(Recommendation.source == query.source)
    return stmt


def _queue_select(query: QueueQuery, today: date) -> Select:
    stmt = _select().where(_no_lapsed_recommendations(today))
    for word in normalize_for_search(query.q).split():
        # Every word somewhere in the scenario, the capability or either organisation's name;
        # LIKE wildcards typed by the official are matched literally.
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", word) + "%"
        stmt = stmt.where(
            or_(
                col(Scenario.search_text).like(pattern, escape="\\"),
                col(Capability.search_text).like(pattern, escape="\\"),
                func.lower(_SCENARIO_ORG.name).like(pattern, escape="\\"),
                func.lower(_CAPABILITY_ORG.name).like(pattern, escape="\\"),
            )
        )
    if query.field:
        stmt = stmt.where(or_(Scenario.field == query.field, Capability.field == query.field))
    if query.district:
        stmt = stmt.where(
            or_(Scenario.district == query.district, Capability.district == query.district)
        )
    return _queue_filters(stmt, query)


def queue_total(session: Session, query: QueueQuery, *, today: date) -> int:
    """How many pairings match the officials' filters (the page number aside), counted up
    to one past `listing.COUNT_CAP`: an exact count at scale would read every pairing.

    Without words, field or district to look for, it is counted on `recommendation` alone
    (its indexes answer it without reading the table); the entries and organisations are
    joined only when a filter needs them.
    """
    if query.q or query.field or query.district:
        stmt = _queue_select(query, today).with_only_columns(col(Recommendation.id))
    else:
        still_open = col(Recommendation.scenario_id).in_(
            select(Scenario.id).where(deadlines.open_on(today))
        )
        stmt = select(Recommendation.id)
        if query.status == RecommendationStatus.recommended:
            stmt = stmt.where(still_open)
        elif not query.status:
            stmt = stmt.where(
                or_(Recommendation.status != RecommendationStatus.recommended, still_open)
            )
        stmt = _queue_filters(stmt, query)
    counted = stmt.order_by(None).limit(listing.COUNT_CAP + 1).subquery()
    return session.exec(select(func.count()).select_from(counted)).one()


def queue(
    session: Session,
    query: QueueQuery,
    *,
    today: date,
    page_size: int = 20,
    total: int | None = None,
) -> QueuePage:
    """The page of pairings matching the officials' filters, best score first; a pairing
    awaiting a decision drops out once its scenario's deadline has passed. `total` is
    `queue_total`'s answer, when the caller already has it; past `listing.COUNT_CAP` the
    page says so ("1,000+") and its pages stop there."""
    if total is None:
        total = queue_total(session, query, today=today)
    cap = listing.COUNT_CAP
    pages = max(1, math.ceil(min(total, cap) / page_size))
    page = min(query.page, pages)
    stmt = _best_first(_queue_select(query, today)).offset((page - 1) * page_size)
    rows = session.exec(stmt.options(*_SHOWN).limit(page_size))
    return QueuePage([Pairing(*row) for row in rows], min(total, cap), page, pages, total > cap)


# ----- decisions ---------------------------------------------------------------------------


def decide(
    session: Session,
    rec: Recommendation,
    *,
    decision: str,
    note: str,
    version: int | None,
    reviewer_id: int,
) -> None:
    """Approve or reject one recommended pairing; a rejected firm is told why, and so is the
    buyer when it had accepted the firm's interest (the pairing both parties asked for).

    Raises Conflict when someone decided it after the official's page was drawn (the first
    decision stands), NotAllowed when it is not awaiting a decision, ValueError on a
    decision other than approve/reject or a rejection without a reason.
    """
    status = DECISIONS.get(decision)
    if status is None:
        raise ValueError(decision)
    if status is RecommendationStatus.rejected and not note:
        raise ValueError("a rejection needs a reason")
    if rec.version != version:
        raise Conflict(_decided_first())
    if rec.status != RecommendationStatus.recommended:
        raise NotAllowed(_("This pairing is not awaiting a decision."))
    claim(session, rec, version, _decided_first())
    rec.status = status
    rec.note = note
    rec.reviewer_id = reviewer_id
    rec.decided_at = rec.updated_at = utcnow()
    audit.record(session, f"recommendation.{decision}", rec, {"status": status.value, "note": note})
    if status is RecommendationStatus.rejected:
        scenario = session.get(Scenario, rec.scenario_id)
        capability = session.get(Capability, rec.capability_id)
        told = [
            (
                capability.organisation_id,
                url_for("capabilities.detail", capability_id=capability.id),
            )
        ]
        if rec.source is RecommendationSource.interest:
            told.append(
                (scenario.organisation_id, url_for("scenarios.detail", scenario_id=scenario.id))
            )
        for organisation_id, link in told:
            notify.notify_org(
                session,
                organisation_id,
                "recommendation.rejected",
                {"scenario": scenario.title, "capability": capability.title, "reason": note},
                link,
            )


class BulkResult(NamedTuple):
    decided: list[int]
    conflicts: list[int]  # decided by someone else first
    skipped: list[int]  # unknown, or not awaiting a decision


def decide_many(
    session: Session,
    versions: Mapping[int, int],
    *,
    decision: str,
    note: str,
    reviewer_id: int,
) -> BulkResult:
    """Decide several pairings with one note; conflicting ones are reported, the rest apply."""
    rows = {
        r.id: r
        for r in session.exec(
            select(Recommendation).where(col(Recommendation.id).in_(list(versions)))
        )
    }
    result = BulkResult([], [], [])
    for rec_id, version in versions.items():
        rec = rows.get(rec_id)
        try:
            if rec is None:
                raise NotAllowed(rec_id)
            decide(
                session, rec, decision=decision, note=note, version=version, reviewer_id=reviewer_id
            )
        except Conflict:
            result.conflicts.append(rec_id)
        except NotAllowed:
            result.skipped.append(rec_id)
        else:
            result.decided.append(rec_id)
    return result


def _decided_first() -> str:
    return _(
        "Another official decided this pairing first. Their decision stands; yours was not saved."
    )


def describe(pairing: Pairing) -> dict[str, Any]:
    """The plain facts of a pairing, for notifications and audit."""
    return {"scenario": pairing.scenario.title, "capability": pairing.capability.title}
