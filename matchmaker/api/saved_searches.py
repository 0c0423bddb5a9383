"""Your saved searches through the API: list, create, read, replace, delete, and what they find.

The rules are those of the saved-search page (`alerts.searches`): the views only check whose
search it is, call the domain, and answer with JSON.
"""

from typing import Any

from flask import url_for

from matchmaker.alerts import searches
from matchmaker.api import registry
from matchmaker.api.problems import ApiProblem, FieldProblem
from matchmaker.api.schemas import (
    Found,
    FoundPage,
    Paging,
    SavedSearchCreate,
    SavedSearchList,
    SavedSearchOut,
    SavedSearchUpdate,
    Versioned,
)
from matchmaker.api.spec import N_, TOKEN, viewer
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from models import SavedSearch, SearchKind

TAG = "Saved searches"


def _own_or_404(search_id: int) -> SavedSearch:
    """The token owner's saved search; anyone else's answers 404, as on the web."""
    search = searches.owned(get_session(), viewer().id, search_id)
    if search is None:
        raise ApiProblem(404)
    return search


def _refusal(refused: searches.Refused) -> ApiProblem:
    problem = FieldProblem(
        location="body",
        field=refused.field,
        pointer=f"/{refused.field}",
        type="refused",
        message=str(refused),
    )
    return ApiProblem(422, str(refused), errors=[problem])


@registry.operation(
    "GET",
    "/saved-searches",
    summary=N_("List your saved searches"),
    tag=TAG,
    access=TOKEN,
    response=SavedSearchList,
)
def list_saved_searches() -> SavedSearchList:
    """Every saved search of the token's account, newest first."""
    found = searches.of_user(get_session(), viewer().id)
    return SavedSearchList(items=[SavedSearchOut.model_validate(s) for s in found])


@registry.operation(
    "POST",
    "/saved-searches",
    summary=N_("Save a search"),
    tag=TAG,
    access=TOKEN,
    body=SavedSearchCreate,
    response=SavedSearchOut,
    status=201,
    location=True,
)
def create_saved_search(*, data: SavedSearchCreate) -> tuple[Any, dict[str, str]]:
    """Save a search of the scenario or capability list; new entries it finds reach you as
    often as `frequency` says (inbox and e-mail digest)."""
    session = get_session()
    values = data.model_dump(exclude={"kind"})
    try:
        search = searches.create(session, user=viewer(), kind=SearchKind(data.kind), data=values)
    except searches.Refused as refused:
        raise _refusal(refused) from None
    session.commit()
    location = url_for("api.get_saved_search", search_id=search.id)
    return SavedSearchOut.model_validate(search), {"Location": location}


@registry.operation(
    "GET",
    "/saved-searches/{search_id}",
    summary=N_("Read one of your saved searches"),
    tag=TAG,
    access=TOKEN,
    response=SavedSearchOut,
)
def get_saved_search(*, search_id: int) -> SavedSearchOut:
    """One saved search of yours (another account's answers 404)."""
    return SavedSearchOut.model_validate(_own_or_404(search_id))


@registry.operation(
    "PUT",
    "/saved-searches/{search_id}",
    summary=N_("Replace one of your saved searches"),
    tag=TAG,
    access=TOKEN,
    body=SavedSearchUpdate,
    response=SavedSearchOut,
    problems=(409,),
)
def update_saved_search(*, search_id: int, data: SavedSearchUpdate) -> SavedSearchOut:
    """Replace every value of a saved search; 409 when `version` is not the stored one."""
    session = get_session()
    search = _own_or_404(search_id)
    try:
        searches.update(
            session,
            search,
            user=viewer(),
            data=data.model_dump(exclude={"version"}),
            version=data.version,
        )
    except searches.Refused as refused:
        raise _refusal(refused) from None
    session.commit()
    return SavedSearchOut.model_validate(search)


@registry.operation(
    "DELETE",
    "/saved-searches/{search_id}",
    summary=N_("Delete one of your saved searches"),
    tag=TAG,
    access=TOKEN,
    body=Versioned,
    status=204,
    problems=(409,),
)
def delete_saved_search(*, search_id: int, data: Versioned) -> None:
    """Delete a saved search and what it found; 409 when `version` is not the stored one."""
    session = get_session()
    searches.remove(session, _own_or_404(search_id), version=data.version)
    session.commit()


@registry.operation(
    "GET",
    "/saved-searches/{search_id}/results",
    summary=N_("What one of your saved searches finds"),
    tag=TAG,
    access=TOKEN,
    query=Paging,
    response=FoundPage,
)
def saved_search_results(*, search_id: int, params: Paging) -> FoundPage:
    """The published entries the search finds now, newest first; for a search that follows
    fits, those the matcher found fitting when they were published, best first, each with
    your entry it fits and why."""
    search = _own_or_404(search_id)
    page = searches.results(
        get_session(),
        search,
        today=local_today(),
        page=params.page,
        page_size=params.per_page,
    )
    items = []
    for entry, alert in page.items:
        fit = alert is not None and alert.score is not None
        items.append(
            Found(
                id=entry.id,
                title=entry.title,
                field=entry.field,
                district=entry.district,
                published_at=entry.published_at,
                score=alert.score if fit else None,
                fits=alert.counterpart_title if fit else None,
                terms=[{"term": t, "weight": w} for t, w in alert.terms] if fit else [],
                matched_tags=alert.matched_tags if fit else [],
                reasons=[{"code": c, "value": v} for c, v in alert.reasons] if fit else [],
            )
        )
    return FoundPage.of(items, page, params.per_page)
