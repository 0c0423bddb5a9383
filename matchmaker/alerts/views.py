"""Saved searches on one page (listed, edited and deleted in place), a search's results, the
list pages' "save this search" control, and the e-mail's one-click unsubscribe."""

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.alerts import digest, searches
from matchmaker.alerts.forms import FREQUENCIES, SavedSearchForm
from matchmaker.alerts.searches import Refused
from matchmaker.entries import listing
from matchmaker.extensions import csrf
from matchmaker.web import htmx
from matchmaker.web.access import current_org, public, signed_in
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from matchmaker.web.errors import Conflict
from matchmaker.web.security import parse_int
from models import Frequency, SavedSearch, SearchKind

bp = Blueprint("alerts", __name__, url_prefix="/alerts")
KIND = "<any(scenarios, capabilities):kind>"


def _own_or_404(search_id: int) -> SavedSearch:
    """The signed-in user's saved search; anyone else's answers 404, like a missing one."""
    search = searches.owned(get_session(), current_user.id, search_id)
    if search is None:
        abort(404)
    return search


def _form(kind: SearchKind, **kwargs: Any) -> SavedSearchForm:
    """The form for a search of `kind`: scenario-only fields dropped for capabilities, and
    "only what fits" offered to the side that can follow fits."""
    form = SavedSearchForm(**kwargs)
    if kind is SearchKind.capabilities:
        for name in SavedSearchForm.SCENARIO_ONLY:
            del form[name]
    if not searches.may_follow_fits(current_org(), kind) and not form.matched.data:
        del form["matched"]
    return form


def _page(status: int = 200, **extra: Any) -> tuple[str, int]:
    """The saved-search page: every search of the user, and forms to add more."""
    session = get_session()
    org = current_org()
    return (
        render_template(
            "alerts/index.html",
            searches=searches.of_user(session, current_user.id),
            follow={kind: searches.may_follow_fits(org, kind) for kind in SearchKind},
            **extra,
        ),
        status,
    )


@bp.route("/")
@signed_in
def index() -> Any:
    """My saved searches: listed, edited and deleted on this one page."""
    return _page()


def _refused(form: SavedSearchForm, refused: Refused) -> None:
    """Put the domain's objection beside its field (or the name, if the field is not shown)."""
    target = form._fields.get(refused.field) or form.name
    target.errors = [*target.errors, str(refused)]


@bp.route(f"/new/{KIND}", methods=["GET", "POST"])
@signed_in
def new(kind: str) -> Any:
    """A new saved search, its form filled in from the list's query string."""
    search_kind = SearchKind(kind)
    if request.method == "GET":
        values = searches.from_list_query(request.args, search_kind)
        form = _form(search_kind, data={**values, "name": values["q"] or ""})
    else:
        form = _form(search_kind)
    if form.validate_on_submit():
        session = get_session()
        try:
            search = searches.create(
                session, user=current_user, kind=search_kind, data=form.values()
            )
        except Refused as refused:
            session.rollback()
            _refused(form, refused)
        else:
            session.commit()
            flash(_("Saved search “%(name)s” is kept.", name=search.name), "info")
            return redirect(url_for("alerts.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("alerts/new.html", form=form, kind=search_kind), status


def _default_name(kind: SearchKind, values: dict[str, Any], matched: bool) -> str:
    """A name for a search saved in one click: its words, else its filters, else its kind."""
    if matched:
        return (
            _("New scenarios that fit my capabilities")
            if kind is SearchKind.scenarios
            else _("New capabilities that fit my scenarios")
        )
    named = [values["q"], *values["fields"], *values["districts"]]
    if text := " · ".join(part for part in named if part):
        return text[:60]
    return _("All scenarios") if kind is SearchKind.scenarios else _("All capabilities")


@bp.route(f"/save/{KIND}", methods=["POST"])
@signed_in
def save(kind: str) -> Any:
    """Save the list's current search in one click (or follow what fits); edit it later."""
    search_kind = SearchKind(kind)
    values = searches.from_list_query(request.form, search_kind)
    matched = request.form.get("matched") == "y"
    data = {**values, "matched": matched, "name": _default_name(search_kind, values, matched)}
    session = get_session()
    try:
        search = searches.create(session, user=current_user, kind=search_kind, data=data)
    except Refused as refused:
        session.rollback()
        if htmx.wants_fragment():
            return render_template("alerts/_saved.html", refused=str(refused)), 422
        flash(str(refused), "error")
        return redirect(url_for("alerts.index"), 303)
    session.commit()
    if htmx.wants_fragment():
        return render_template("alerts/_saved.html", search=search)
    flash(_("Saved search “%(name)s” is kept. Adjust it below.", name=search.name), "info")
    return redirect(url_for("alerts.index", _anchor=f"search-{search.id}"), 303)


def _card(search: SavedSearch, status: int = 200, said: str = "") -> tuple[str, int]:
    return render_template("alerts/_search.html", search=search, said=said), status


@bp.route("/<int:search_id>/edit", methods=["GET", "POST"])
@signed_in
def edit(search_id: int) -> Any:
    """Edit a saved search: in place on the saved-search page (htmx), or on a page of its own."""
    search = _own_or_404(search_id)
    kind = SearchKind(search.kind)
    form = _form(kind, obj=search if request.method == "GET" else None)
    fragment = htmx.wants_fragment()
    conflict = None
    if form.validate_on_submit():
        session = get_session()
        try:
            searches.update(
                session, search, user=current_user, data=form.values(), version=form.version.data
            )
        except Refused as refused:
            session.rollback()
            _refused(form, refused)
        except Conflict as error:
            session.rollback()
            session.refresh(search)
            # What was typed stays; saving again knowingly replaces the latest version.
            form.version.data, form.version.raw_data = search.version, [str(search.version)]
            conflict = str(error)
        else:
            session.commit()
            changed = _("Saved search “%(name)s” is changed.", name=search.name)
            if fragment:
                return _card(search, said=changed)
            flash(changed, "info")
            return redirect(url_for("alerts.index", _anchor=f"search-{search.id}"), 303)
    status = 409 if conflict else (422 if form.is_submitted() else 200)
    template = "alerts/_edit.html" if fragment else "alerts/edit.html"
    return render_template(template, form=form, search=search, conflict=conflict), status


@bp.route("/<int:search_id>/card")
@signed_in
def card(search_id: int) -> Any:
    """One saved search's card (what "Cancel" on its form in place brings back)."""
    return _card(_own_or_404(search_id))


@bp.route("/<int:search_id>/delete", methods=["POST"])
@signed_in
def delete(search_id: int) -> Any:
    """Delete a saved search and the alerts it kept; htmx removes its card."""
    search = _own_or_404(search_id)
    session = get_session()
    name = search.name
    searches.remove(session, search, version=parse_int(request.form.get("version")))
    session.commit()
    deleted = _("Saved search “%(name)s” is deleted.", name=name)
    if htmx.wants_fragment():
        # The card gives way to the news, so the list is never silently empty.
        left = bool(searches.of_user(session, current_user.id))
        return render_template("alerts/_deleted.html", said=deleted, has_searches=left)
    flash(deleted, "info")
    return redirect(url_for("alerts.index"), 303)


@bp.route("/<int:search_id>")
@public
def results(search_id: int) -> Any:
    """What a saved search finds now: for its owner, or for anyone if it is public."""
    session = get_session()
    search = session.get(SavedSearch, search_id)
    own = search is not None and current_user.is_authenticated and search.user_id == current_user.id
    if search is None or not (own or search.public):
        abort(404)
    page = searches.results(
        session,
        search,
        today=local_today(),
        page=listing.page_number(request.args.get("page")),
        page_size=current_app.config["PAGE_SIZE"],
    )
    return render_template("alerts/results.html", search=search, page=page, own=own)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@public
@csrf.exempt  # the signed token is the credential: mail programs post without a form (RFC 8058)
def unsubscribe(token: str) -> Any:
    """Stop the alerts of an e-mail's searches, without signing in: confirm, then one POST."""
    found = digest.read_unsubscribe_token(current_app.secret_key, token)
    if found is None:
        abort(404)
    user_id, search_ids = found
    session = get_session()
    if request.method == "POST":
        stopped = digest.unsubscribe(session, user_id, search_ids)
        session.commit()
        return render_template("alerts/unsubscribed.html", stopped=stopped)
    kept = [searches.owned(session, user_id, search_id) for search_id in search_ids]
    return render_template(
        "alerts/unsubscribe.html", searches=[s for s in kept if s is not None], token=token
    )


@bp.app_template_global()
def frequency_label(code: str) -> str:
    """The reader's words for a saved search's frequency."""
    return str(FREQUENCIES.get(Frequency(code), code))
