"""Saved searches: kept by a signed-in user, listed, edited and deleted by that user alone.

A saved search holds the list's filters (words, fields, districts, budget range) and a deadline
window, and may follow only what fits the user's organisation (the matcher decides, see
`matches`). Its conditions are the list's own (`entries.listing`), so a search finds on its
page what the list would find.
"""

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, NamedTuple

import pydantic
from flask_babel import gettext as _
from sqlalchemy import and_, func, true
from sqlmodel import Session, col, delete, select

from matchmaker.entries import deadlines, listing
from matchmaker.entries.reference import DISTRICTS, FIELDS
from matchmaker.records import audit
from matchmaker.records.versions import claim
from models import (
    Alert,
    Capability,
    CapabilityStatus,
    Criteria,
    Organisation,
    OrgKind,
    SavedSearch,
    Scenario,
    ScenarioStatus,
    SearchKind,
    User,
)
from models._types import utcnow
from models.saved_search import SavedSearchBase

MODELS: dict[SearchKind, type[Scenario] | type[Capability]] = {
    SearchKind.scenarios: Scenario,
    SearchKind.capabilities: Capability,
}
# A search finds published entries only, and open scenarios only: an alert about a scenario
# that no longer takes applications would be of no use.
SHOWN = {
    SearchKind.scenarios: (ScenarioStatus.published,),
    SearchKind.capabilities: (CapabilityStatus.published,),
}
# Who may follow what fits: a firm the scenarios that fit its capabilities, a buyer the
# capabilities that fit its open scenarios.
FOLLOWER = {SearchKind.scenarios: OrgKind.supply, SearchKind.capabilities: OrgKind.demand}
MOST_PER_USER = 50
SCENARIO_ONLY = ("budget_min_wan", "budget_max_wan", "deadline_min_days", "deadline_max_days")


class Refused(ValueError):
    """A saved search that cannot be kept as given; `field` names the input at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def model_of(search: SavedSearch) -> type[Scenario] | type[Capability]:
    """The table a search searches."""
    return MODELS[SearchKind(search.kind)]


def may_follow_fits(org: Organisation | None, kind: SearchKind) -> bool:
    """Whether `org` has entries of the other side that the matcher can fit `kind` to."""
    return org is not None and org.verified and org.kind == FOLLOWER[kind]


def of_user(session: Session, user_id: int) -> list[SavedSearch]:
    """The user's saved searches, newest first."""
    return list(
        session.exec(
            select(SavedSearch)
            .where(SavedSearch.user_id == user_id)
            .order_by(col(SavedSearch.created_at).desc(), col(SavedSearch.id).desc())
        )
    )


def owned(session: Session, user_id: int, search_id: int) -> SavedSearch | None:
    """The user's saved search of that id; None for anyone else's, as for a missing one."""
    search = session.get(SavedSearch, search_id)
    return search if search is not None and search.user_id == user_id else None


def _clean(
    session: Session, user: User, kind: SearchKind, data: Mapping[str, Any]
) -> SavedSearchBase:
    """The search's values checked: lengths and ranges, reference names, who may follow fits."""
    values = dict(data)
    if kind is SearchKind.capabilities:  # capabilities state no budget and no deadline
        values.update(dict.fromkeys(SCENARIO_ONLY))
    try:
        clean = SavedSearchBase.model_validate(values)
    except pydantic.ValidationError as error:
        problem = error.errors()[0]
        field = str(problem["loc"][0]) if problem["loc"] else "budget_min_wan"
        if not problem["loc"]:
            raise Refused(field, _("The lower end of a range is above its upper end.")) from None
        raise Refused(field, _("Please check this value.")) from None
    clean.name = clean.name.strip()
    clean.q = clean.q.strip()
    if not clean.name:
        raise Refused("name", _("Give the search a name."))
    clean.fields = list(dict.fromkeys(clean.fields))
    clean.districts = list(dict.fromkeys(clean.districts))
    if unknown := [f for f in clean.fields if f not in FIELDS]:
        raise Refused("fields", _("Unknown field: %(name)s", name="、".join(unknown)))
    if unknown := [d for d in clean.districts if d not in DISTRICTS]:
        raise Refused("districts", _("Unknown district: %(name)s", name="、".join(unknown)))
    if clean.matched and not may_follow_fits(session.get(Organisation, user.organisation_id), kind):
        message = {
            SearchKind.scenarios: _(
                "Only a verified firm can follow the scenarios that fit its capabilities."
            ),
            SearchKind.capabilities: _(
                "Only a verified buyer can follow the capabilities that fit its scenarios."
            ),
        }
        raise Refused("matched", message[kind])
    return clean


def create(
    session: Session, *, user: User, kind: SearchKind, data: Mapping[str, Any]
) -> SavedSearch:
    """Save a new search for `user`; raises Refused with the field at fault."""
    clean = _clean(session, user, kind, data)
    count = session.exec(
        select(func.count()).select_from(SavedSearch).where(SavedSearch.user_id == user.id)
    ).one()
    if count >= MOST_PER_USER:
        raise Refused(
            "name",
            _(
                "You have %(count)d saved searches, the most one account keeps. Delete one first.",
                count=MOST_PER_USER,
            ),
        )
    search = SavedSearch(**clean.model_dump(), kind=kind, user_id=user.id)
    session.add(search)
    audit.record(session, "saved_search.create", search, {"name": search.name, "kind": kind.value})
    return search


def update(
    session: Session,
    search: SavedSearch,
    *,
    user: User,
    data: Mapping[str, Any],
    version: int | None,
) -> list[str]:
    """Save the owner's changes; Conflict if it changed since the form was opened."""
    clean = _clean(session, user, SearchKind(search.kind), data)
    claim(session, search, version, _conflict())
    changed = [name for name, value in clean if getattr(search, name) != value]
    for name in changed:
        setattr(search, name, getattr(clean, name))
    search.updated_at = utcnow()
    audit.record(session, "saved_search.update", search, {"fields": changed})
    return changed


def remove(session: Session, search: SavedSearch, *, version: int | None) -> None:
    """Delete a saved search and what it found; Conflict if it changed since it was shown."""
    claim(session, search, version, _conflict())
    audit.record(session, "saved_search.delete", search, {"name": search.name})
    session.exec(delete(Alert).where(col(Alert.saved_search_id) == search.id))
    session.delete(search)


def _conflict() -> str:
    return _("This saved search was changed elsewhere after you opened it. Reload to see it.")


def _deadline_conditions(criteria: Criteria, today: date) -> list[Any]:
    """Scenarios whose deadline falls in the window; no deadline is as late as can be."""
    conditions = []
    if criteria.deadline_min_days is not None:
        earliest = today + timedelta(days=criteria.deadline_min_days)
        conditions.append(col(Scenario.deadline).is_(None) | (col(Scenario.deadline) >= earliest))
    if criteria.deadline_max_days is not None:
        conditions.append(
            col(Scenario.deadline) <= today + timedelta(days=criteria.deadline_max_days)
        )
    return conditions


def conditions(kind: SearchKind, criteria: Criteria, *, today: date) -> Any:
    """The SQL condition for the published entries `criteria` finds on `today`, as one clause."""
    model = MODELS[kind]
    found: list[Any] = [col(model.status).in_(SHOWN[kind])]
    words = listing.matching(select(model.id), model, criteria.q).whereclause
    if words is not None:
        found.append(words)
    if criteria.fields:
        found.append(col(model.field).in_(criteria.fields))
    if criteria.districts:
        found.append(col(model.district).in_(criteria.districts))
    if model is Scenario:
        found.append(deadlines.open_on(today))
        found += listing.budget_conditions(criteria.budget_min_wan, criteria.budget_max_wan)
        found += _deadline_conditions(criteria, today)
    return and_(true(), *found)


class Found(NamedTuple):
    """An entry a saved search finds, with the alert that recorded it, if any."""

    entry: Scenario | Capability
    alert: Alert | None


def results(
    session: Session, search: SavedSearch, *, today: date, page: int, page_size: int
) -> listing.Page:
    """A page of what the search finds now: newest first; fits best first, with the reason.

    A search that follows what fits finds only what the matcher found fitting when it was
    published (its alerts); any other search finds every entry its conditions find.
    """
    kind = SearchKind(search.kind)
    model = MODELS[kind]
    where = conditions(kind, search, today=today)
    if search.matched:
        stmt = (
            select(model, Alert)
            .join(Alert, col(Alert.entry_id) == col(model.id))
            .where(Alert.saved_search_id == search.id, where)
            .order_by(col(Alert.score).desc(), col(model.id).desc())
        )
    else:
        stmt = (
            select(model, Alert)
            .outerjoin(
                Alert,
                and_(col(Alert.entry_id) == col(model.id), Alert.saved_search_id == search.id),
            )
            .where(where)
            .order_by(col(model.published_at).desc(), col(model.id).desc())
        )
    found = listing.paged(session, stmt, page=page, page_size=page_size)
    return found._replace(items=[Found(entry, alert) for entry, alert in found.items])


def from_list_query(args: Mapping[str, str], kind: SearchKind) -> dict[str, Any]:
    """A new search's values from a list page's query string (the list's own reading of it)."""
    query = listing.parse_query(args, MODELS[kind])
    return {
        "q": query.q,
        "fields": [query.field] if query.field in FIELDS else [],
        "districts": [query.district] if query.district in DISTRICTS else [],
        "budget_min_wan": query.budget_min,
        "budget_max_wan": query.budget_max,
    }
