"""The public list and detail views, written once for both kinds of entry."""

from flask import Response, abort, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from matchmaker import htmx, listing
from matchmaker.access import is_staff
from matchmaker.db import get_session
from matchmaker.reference import DISTRICTS, FIELDS
from models import Capability, Organisation, Scenario

HEADINGS = {"scenarios": _l("Application scenarios"), "capabilities": _l("Capabilities")}
SORT_LABELS = {
    "newest": _l("Newest"),
    "title": _l("Title"),
    "deadline": _l("Deadline soonest"),
    "budget": _l("Largest budget"),
}


def list_page(
    model: type[Scenario] | type[Capability], area: str, public_statuses: tuple[str, ...]
) -> Response:
    """Render the list page, or just its results fragment for htmx live search."""
    session = get_session()
    query = listing.parse_query(request.args, model)
    # Officials see every status but draft: a draft is its organisation's own business.
    statuses = (
        tuple(s.value for s in model.model_fields["status"].annotation if s.value != "draft")
        if is_staff()
        else public_statuses
    )
    page = listing.search(
        session,
        model,
        query,
        visible_statuses=statuses,
        page_size=current_app.config["PAGE_SIZE"],
    )
    return htmx.render(
        "browse/list.html",
        "browse/_results.html",
        target="results",
        heading=HEADINGS[area],
        card_template=f"{area}/_card.html",
        sort_options=[(key, SORT_LABELS[key]) for key in listing.sorts_for(model)],
        query=query,
        page=page,
        statuses=statuses,
        fields=FIELDS,
        districts=DISTRICTS,
        batches=listing.batches(session, include_drafts=is_staff()),
    )


def visible_or_404(
    model: type[Scenario] | type[Capability], entry_id: int, public_statuses: tuple[str, ...]
) -> Scenario | Capability:
    """The entry if this visitor may see it: public statuses, own organisation, or staff."""
    entry = get_session().get(model, entry_id)
    if entry is None:
        abort(404)
    own = current_user.is_authenticated and entry.organisation_id == current_user.organisation_id
    if entry.status not in public_statuses and not own and not is_staff():
        abort(404)
    return entry


def owner_of(entry: Scenario | Capability) -> Organisation:
    """The organisation that posted the entry."""
    return get_session().get(Organisation, entry.organisation_id)
