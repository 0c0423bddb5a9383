"""Officials verify organisations; admins disable and re-enable accounts."""

from collections.abc import Callable
from typing import TypeVar

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
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.admin import accounts, verification
from matchmaker.admin.forms import RejectForm
from matchmaker.auth import resets
from matchmaker.records import notify
from matchmaker.web.access import STAFF, roles_required
from matchmaker.web.db import get_session
from matchmaker.web.labels import ROLE_LABELS
from matchmaker.web.links import absolute
from matchmaker.web.security import parse_int
from models import Organisation, Role, User

bp = Blueprint("admin", __name__, url_prefix="/admin")
T = TypeVar("T")


@bp.route("/organisations")
@roles_required(*STAFF)
def organisations() -> tuple[str, int]:
    """Organisations waiting for verification first, searchable, a page at a time."""
    return _organisations_page()


def _searched(finder: Callable[..., T]) -> tuple[str, T]:
    """The search text of the list's query string, and the page of rows `finder` finds."""
    text = request.args.get("q", "")[:100]
    return text, finder(
        get_session(),
        text=text,
        page=parse_int(request.args.get("page")) or 1,
        page_size=current_app.config["PAGE_SIZE"],
    )


def _organisations_page(
    reject_form: RejectForm | None = None, rejecting: int | None = None, status: int = 200
) -> tuple[str, int]:
    text, found = _searched(verification.applicants)
    return (
        render_template(
            "admin/organisations.html",
            found=found,
            q=text,
            reject_form=reject_form or RejectForm(formdata=None),
            rejecting=rejecting,
        ),
        status,
    )


def _back_to(endpoint: str) -> Response:
    """The list as it was left: the forms' URLs carry its search and page."""
    args = {"q": request.args.get("q", "")[:100], "page": parse_int(request.args.get("page"))}
    return redirect(url_for(endpoint, **{k: v for k, v in args.items() if v}))


@bp.route("/organisations/<int:org_id>/verify", methods=["POST"])
@roles_required(*STAFF)
def verify(org_id: int) -> Response:
    """Mark an organisation as verified; its users may then post."""
    session = get_session()
    org = session.get(Organisation, org_id) or abort(404)
    if verification.verify(session, org):
        session.commit()
    flash(_("%(name)s is verified.", name=org.name), "info")
    return _back_to("admin.organisations")


@bp.route("/organisations/<int:org_id>/reject", methods=["POST"])
@roles_required(*STAFF)
def reject(org_id: int) -> Response | tuple[str, int]:
    """Refuse an organisation's verification, with the reason it is told."""
    session = get_session()
    org = session.get(Organisation, org_id) or abort(404)
    form = RejectForm()
    if not form.validate_on_submit():
        return _organisations_page(form, rejecting=org.id, status=422)
    verification.reject(session, org, reason=form.reason.data)
    session.commit()
    flash(_("%(name)s was refused verification.", name=org.name), "info")
    return _back_to("admin.organisations")


@bp.route("/users")
@roles_required(Role.admin)
def users() -> tuple[str, int]:
    """All accounts, with their organisation, and what an admin may change on each."""
    return _users_page()


def _users_page(status: int = 200) -> tuple[str, int]:
    text, found = _searched(accounts.find)
    return (
        render_template("admin/users.html", found=found, q=text, roles_for=accounts.roles_for),
        status,
    )


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required(Role.admin)
def set_active(user_id: int) -> Response:
    """Disable an account (locked out at once) or enable it again.

    The form says which (``active`` 0 or 1), not "the other way": a button pressed on a page
    drawn before another admin's change must not undo that change.
    """
    session = get_session()
    user = session.get(User, user_id) or abort(404)
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):
        abort(400)
    changed = accounts.set_active(session, user, wanted == "1", acting_user_id=current_user.id)
    session.commit()
    if not changed:
        message = (
            _("%(name)s was already enabled: nothing changed.", name=user.name)
            if user.is_active
            else _("%(name)s was already disabled: nothing changed.", name=user.name)
        )
    elif user.is_active:
        message = _("%(name)s can sign in again.", name=user.name)
    else:
        message = _("%(name)s is disabled and signed out everywhere.", name=user.name)
    flash(message, "info")
    return _back_to("admin.users")


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@roles_required(Role.admin)
def change_role(user_id: int) -> Response | tuple[str, int]:
    """Give an account another role its organisation may hold."""
    session = get_session()
    user = session.get(User, user_id) or abort(404)
    org = session.get(Organisation, user.organisation_id)
    try:
        changed = accounts.change_role(
            session, user, org, request.form.get("role", ""), acting_user_id=current_user.id
        )
    except accounts.RoleRefused as refused:
        flash(str(refused), "error")
        return _users_page(status=422)
    session.commit()
    if changed:
        flash(_("%(name)s is now: %(role)s.", name=user.name, role=ROLE_LABELS[user.role]), "info")
    return _back_to("admin.users")


@bp.route("/users/<int:user_id>/reset", methods=["POST"])
@roles_required(Role.admin)
def reset_password(user_id: int) -> Response | str:
    """A one-time password-reset link: mailed to the user, or shown here to hand over."""
    session = get_session()
    user = session.get(User, user_id) or abort(404)
    issued = resets.issue(session, user=user, by_user_id=current_user.id)
    link = url_for("auth.reset_password", token=issued.secret)
    until = format_datetime(issued.reset.expires_at, "yyyy-MM-dd HH:mm")
    mailed = notify.mail_only(
        session,
        [user.email],
        "account.reset_link",
        {"name": user.name, "until": until},
        link,
        language=user.language,
    )
    session.commit()
    if mailed:
        flash(_("A one-time reset link was e-mailed to %(email)s.", email=user.email), "info")
        return _back_to("admin.users")
    # No mail configured: the admin hands the link over. It is shown once, never stored.
    return render_template("admin/reset_link.html", user=user, link=absolute(link), until=until)
