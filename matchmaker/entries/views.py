"""Scenarios and capabilities: the public lists and pages, and the owners' posting pages.

Both kinds go through the same pages, written once and called with the kind's `Kind`; each
kind has its own blueprint (``/scenarios``, ``/capabilities``), built by `_blueprint`.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

import pydantic
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func
from sqlmodel import col, select

from matchmaker.entries import deadlines, listing, posting
from matchmaker.entries.forms import FORMS, EndForm, EntryForm
from matchmaker.entries.indexing import search_words
from matchmaker.entries.posting import CAPABILITY, SCENARIO, Kind
from matchmaker.entries.reference import DISTRICTS, FIELDS, QUALIFICATIONS
from matchmaker.evidence import claims
from matchmaker.evidence.cards import read_verified_claims
from matchmaker.pairing import pairings
from matchmaker.web import htmx
from matchmaker.web.access import (
    awaiting_verification,
    current_org,
    is_staff,
    owned_or_404,
    posting_side,
    public,
    side_required,
)
from matchmaker.web.caching import remembered, shared
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from matchmaker.web.errors import Conflict, NotAllowed
from matchmaker.web.names import reference_options
from matchmaker.web.security import parse_int
from models import (
    Capability,
    CapabilityStatus,
    Organisation,
    Recommendation,
    Scenario,
    ScenarioStatus,
)


def _blueprint(kind: Kind, public_statuses: tuple[str, ...]) -> Blueprint:
    """The routes of one kind of entry; the owners' pages are for the kind's side only."""
    bp = Blueprint(kind.area, __name__, url_prefix=f"/{kind.area}")
    owners = side_required(kind.side)
    # An organisation still waiting for verification prepares drafts; submitting waits.
    drafters = side_required(kind.side, drafts=True)
    entry_id = f"<int:{kind.name}_id>"
    # Cards mark the words searched for, wherever a list of results shows them.
    bp.add_app_template_filter(listing.highlight, "highlight")

    @bp.route("/")
    @public
    @shared
    def index() -> Response:
        """Published entries with live search, filters, sorting and pages."""
        return list_page(kind.model, kind.area, public_statuses)

    @bp.route(f"/{entry_id}")
    @public
    @shared
    def detail(**ids: int) -> str:
        """One entry, with its pairings (published ones for the public, all for its owner)."""
        return detail_page(kind, ids[f"{kind.name}_id"], public_statuses)

    @bp.route("/mine")
    @drafters
    def mine() -> str:
        """My organisation's entries of this kind, drafts included."""
        return mine_page(kind)

    @bp.route("/new", methods=["GET", "POST"])
    @drafters
    def new() -> Any:
        """Post an entry: saved as a draft, or submitted for review at once."""
        return new_page(kind)

    @bp.route(f"/{entry_id}/edit", methods=["GET", "POST"])
    @drafters
    def edit(**ids: int) -> Any:
        """Edit a draft or submitted entry of my organisation."""
        return edit_page(kind, ids[f"{kind.name}_id"])

    @bp.route(f"/{entry_id}/submit", methods=["POST"])
    @owners
    def submit(**ids: int) -> Response:
        """Submit a draft for review."""
        return submit_action(kind, ids[f"{kind.name}_id"])

    @bp.route(f"/{entry_id}/{kind.end_verb}", methods=["GET", "POST"])
    @owners
    def end(**ids: int) -> Any:
        """Close a published scenario / withdraw a published capability, after confirming."""
        return end_page(kind, ids[f"{kind.name}_id"])

    return bp


HEADINGS = {"scenarios": _l("Application scenarios"), "capabilities": _l("Capabilities")}
SORT_LABELS = {
    "relevance": _l("Best match"),
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
    words = search_words(query.q)
    # Officials see every status but draft: a draft is its organisation's own business.
    staff = is_staff()
    statuses = (
        tuple(s.value for s in model.model_fields["status"].annotation if s.value != "draft")
        if staff
        else public_statuses
    )
    page = listing.search(
        session,
        model,
        query,
        visible_statuses=statuses,
        today=local_today(),
        page_size=current_app.config["PAGE_SIZE"],
    )
    if model is Capability:
        read_verified_claims(c.organisation_id for c in page.items)
    return htmx.render(
        "browse/list.html",
        "browse/_results.html",
        target="results",
        heading=HEADINGS[area],
        card_template=f"{area}/_card.html",
        sort_options=[(key, SORT_LABELS[key]) for key in listing.sorts_for(model)],
        search_terms=[name for names in words for name in names],
        budget_filter=model is Scenario,
        qualifications=QUALIFICATIONS if model is Capability else (),
        query=query,
        page=page,
        statuses=statuses,
        fields=reference_options(FIELDS),
        districts=reference_options(DISTRICTS),
        batches=remembered(("batches", staff), lambda: listing.batches(session, drafts=staff)),
    )


def visible_or_404(
    model: type[Scenario] | type[Capability],
    entry_id: int,
    public_statuses: tuple[str, ...],
    *,
    options: Sequence[Any] = (),
) -> Scenario | Capability:
    """The entry if this visitor may see it: public statuses, own organisation, or staff."""
    entry = get_session().get(model, entry_id, options=options)
    if entry is None:
        abort(404)
    own = current_user.is_authenticated and entry.organisation_id == current_user.organisation_id
    if entry.status not in public_statuses and not own and not is_staff():
        abort(404)
    return entry


def owner_of(entry: Scenario | Capability) -> Organisation:
    """The organisation that posted the entry."""
    return get_session().get(Organisation, entry.organisation_id)


def _form_data(kind: Kind, form: EntryForm) -> dict[str, Any]:
    data = {name: form[name].data for name in kind.editable_fields()}
    # A field missing from the post (None) takes the model's default: "", [] or None.
    return {k: v for k, v in data.items() if v is not None}


def _attach(form: EntryForm, error: pydantic.ValidationError) -> None:
    """Put the model's objections next to the fields (a net under the form's own checks)."""
    for problem in error.errors():
        name = problem["loc"][0] if problem["loc"] else "description"
        target = form._fields.get(name) or form.description
        target.errors = [*target.errors, _("Please check this value.")]


def _render_form(kind: Kind, form: EntryForm, entry: Any = None, status: int = 200, **extra: Any):
    asked = request.method == "POST" or entry is not None
    # Advice on a thin description waits until the form has nothing wrong with it.
    hints = posting.thin_hints(kind, form.data) if asked and not form.errors else []
    return (
        render_template(
            "posting/form.html", kind=kind, form=form, entry=entry, hints=hints, **extra
        ),
        status,
    )


def mine_page(kind: Kind) -> str:
    """The organisation's own entries of `kind`, every status, with their pairing counts;
    a page at a time, searchable by their words."""
    session = get_session()
    model = kind.model
    own = Recommendation.scenario_id if kind is posting.SCENARIO else Recommendation.capability_id
    q = request.args.get("q", "").strip()[:100]
    stmt = (
        select(model, func.count(col(Recommendation.id)))
        .outerjoin(Recommendation, own == model.id)
        .where(model.organisation_id == current_user.organisation_id)
        .group_by(model.id)
        .order_by(col(model.updated_at).desc(), col(model.id).desc())
    )
    page = listing.paged(
        session,
        listing.matching(stmt, model, q),
        page=listing.page_number(request.args.get("page")),
        page_size=current_app.config["PAGE_SIZE"],
    )
    return render_template("posting/mine.html", kind=kind, page=page, q=q)


def new_page(kind: Kind) -> Any:
    """A blank form; on a valid post the draft is saved (or submitted) and its page shown."""
    org = current_org()
    form = FORMS[kind.name]()
    if request.method == "GET":
        form.district.data = org.district
    if not form.validate_on_submit():
        return _render_form(kind, form, status=422 if form.is_submitted() else 200)
    session = get_session()
    try:
        entry = posting.create_entry(
            session,
            kind,
            organisation_id=org.id,
            data=_form_data(kind, form),
            submit=_submitting(form, org),
        )
    except pydantic.ValidationError as error:
        _attach(form, error)
        return _render_form(kind, form, status=422)
    session.commit()
    _flash_saved(entry)
    return redirect(kind.detail_url(entry))


def edit_page(kind: Kind, entry_id: int) -> Any:
    """The owner's form for a draft or submitted entry; a stale version answers 409."""
    entry = owned_or_404(kind.model, entry_id)
    if entry.status not in posting.EDITABLE:
        if request.method != "POST":
            raise NotAllowed(_("A published entry can no longer be edited."))
        # Published while the owner was typing: what they typed is shown, not thrown away.
        unsaved = _(
            "This entry was published while you were editing it, and a published entry can "
            "no longer be edited. Your text is below, unsaved: copy what you still need."
        )
        return _render_form(kind, FORMS[kind.name](), entry, 409, conflict=unsaved, locked=True)
    form = FORMS[kind.name](obj=entry if request.method == "GET" else None)
    form.allow_stored(entry)
    if not form.validate_on_submit():
        return _render_form(kind, form, entry, status=422 if form.is_submitted() else 200)
    session = get_session()
    under_review = entry.status == "submitted"
    try:
        posting.update_entry(
            session,
            entry,
            data=_form_data(kind, form),
            version=form.version.data,
            submit=_submitting(form, current_org()),
        )
    except pydantic.ValidationError as error:
        session.rollback()
        _attach(form, error)
        return _render_form(kind, form, entry, status=422)
    except Conflict as conflict:
        session.rollback()
        session.refresh(entry)
        # The user's text stays as typed; saving again now knowingly replaces the latest.
        form.version.data, form.version.raw_data = entry.version, [str(entry.version)]
        return _render_form(kind, form, entry, status=409, conflict=str(conflict))
    session.commit()
    _flash_saved(entry, was_under_review=under_review)
    return redirect(kind.detail_url(entry))


def submit_action(kind: Kind, entry_id: int) -> Response:
    """Submit a draft from its page; the recommendations are on the page it returns to."""
    entry = owned_or_404(kind.model, entry_id)
    session = get_session()
    posting.submit_entry(session, entry, version=_version())
    session.commit()
    _flash_saved(entry)
    return redirect(kind.detail_url(entry))


ENDED = {
    "scenario": _l("The scenario is closed. Its published pairings stay on record."),
    "capability": _l("The capability is withdrawn. Its published pairings stay on record."),
}
ENDED_ALREADY = {
    "scenario": _l("This scenario is closed already: nothing changed."),
    "capability": _l("This capability is withdrawn already: nothing changed."),
}


def end_page(kind: Kind, entry_id: int) -> Any:
    """The owner confirms taking a published entry off the lists (with a reason, if any)."""
    entry = owned_or_404(kind.model, entry_id)
    form = EndForm(obj=entry if request.method == "GET" else None)

    def page(status: int, **refused: Any) -> tuple[str, int]:
        return render_template(
            "posting/end.html", kind=kind, entry=entry, form=form, **refused
        ), status

    def not_published() -> tuple[str, int]:
        # Ended already (another tab, a colleague) or never published: nothing left to ask.
        ended = entry.status == kind.status(kind.ended)
        why = ENDED_ALREADY[kind.name] if ended else posting.ONLY_PUBLISHED
        return page(409, conflict=str(why), locked=True)

    if entry.status != "published":
        return not_published()
    if not form.validate_on_submit():
        return page(422 if form.is_submitted() else 200)
    session = get_session()
    try:
        posting.end_entry(session, entry, version=form.version.data, reason=form.reason.data or "")
    except (Conflict, NotAllowed) as refused:
        # Changed since the page was drawn: the reason stays as typed. Still published, the
        # owner may confirm again, now knowing the latest.
        session.rollback()
        session.refresh(entry)
        if entry.status != "published":
            return not_published()
        form.version.data, form.version.raw_data = entry.version, [str(entry.version)]
        return page(409, conflict=str(refused))
    session.commit()
    flash(str(ENDED[kind.name]), "info")
    return redirect(url_for(f"{kind.area}.mine"))


def detail_page(kind: Kind, entry_id: int, public_statuses: tuple[str, ...]) -> str:
    """An entry's page: the public sees published pairings; its owner and officials see more."""
    unshown = listing.without_machine_columns(kind.model)
    entry = visible_or_404(kind.model, entry_id, public_statuses, options=unshown)
    own = current_user.is_authenticated and entry.organisation_id == current_user.organisation_id
    if entry.status == "draft" and not own:
        abort(404)  # a draft is its organisation's own business, officials' included
    session = get_session()
    if own:
        # Counterparts not yet published stay out of sight: only officials see those.
        found = pairings.for_entry(session, entry, published_counterpart=True, today=local_today())
    elif is_staff():
        found = pairings.for_entry(session, entry, today=local_today())
    else:
        found = pairings.for_entry(session, entry, statuses=["published"])
    own_list, other_side = pairings.by_list(found, entry)
    shown_claims = (
        claims.shown(session, entry, today=local_today(), insider=own or is_staff())
        if isinstance(entry, Capability)
        else {}
    )
    return render_template(
        f"{kind.area}/detail.html",
        **{kind.name: entry},
        claims=shown_claims,
        entry=entry,
        kind=kind,
        owner=owner_of(entry),
        own=own,
        hints=posting.thin_hints(kind, entry.model_dump(exclude=set(listing.MACHINE_COLUMNS)))
        if own
        else [],
        pairings=own_list,
        other_side=other_side,
        scores={p.recommendation.id: pairings.score_on(p, entry) for p in found},
        under_review=pairings.under_review(session, entry, today=local_today()) if own else 0,
    )


def _submitting(form: EntryForm, org: Organisation) -> bool:
    """Whether the owner asked to submit and may: before verification the entry stays a draft.

    The form of an unverified organisation offers no submit button; a submit from elsewhere
    (another tab, a stale page) still saves the work, as a draft, and `_flash_saved` says so.
    """
    return bool(form.send.data) and org.verified


def _version() -> int | None:
    value = request.form.get("version", "")
    return parse_int(value)


def _flash_saved(entry: Any, *, was_under_review: bool = False) -> None:
    if entry.status == "submitted" and was_under_review:
        flash(_("Changes saved. It stays under review, with the recommendations below."), "info")
    elif entry.status == "draft" and not current_org().verified:
        flash(
            _(
                "Draft saved. You can submit it for review once an official has verified "
                "your organisation."
            ),
            "info",
        )
    elif entry.status == "submitted":
        flash(_("Submitted for review. The recommendations below were found for it."), "info")
    else:
        flash(_("Draft saved. Only your organisation can see it."), "info")


scenarios_bp = _blueprint(SCENARIO, (ScenarioStatus.published.value, ScenarioStatus.closed.value))
capabilities_bp = _blueprint(CAPABILITY, (CapabilityStatus.published.value,))


def _past(deadline: date | None) -> bool:
    """The templates' `is past` test: a scenario's deadline is over (it shows as closed)."""
    return deadlines.passed(deadline, local_today())


# The navigation asks which side the signed-in user posts for, to offer "My scenarios" etc.;
# the notice of a pending verification asks whether the user's organisation is waiting.
scenarios_bp.add_app_template_global(posting_side, "posting_side")
scenarios_bp.add_app_template_global(awaiting_verification, "awaiting_verification")
scenarios_bp.add_app_template_test(_past, "past")
