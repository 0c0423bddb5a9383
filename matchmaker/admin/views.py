"""Officials verify organisations; admins disable and re-enable accounts."""

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
from flask_login import current_user
from sqlmodel import col, select

from matchmaker.admin import verification
from matchmaker.admin.forms import RejectForm
from matchmaker.records import audit
from matchmaker.web.access import STAFF, roles_required
from matchmaker.web.db import get_session
from matchmaker.web.security import parse_int
from models import Organisation, Role, User

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/organisations")
@roles_required(*STAFF)
def organisations() -> tuple[str, int]:
    """Organisations waiting for verification first, searchable, a page at a time."""
    return _organisations_page()


def _organisations_page(
    reject_form: RejectForm | None = None, rejecting: int | None = None, status: int = 200
) -> tuple[str, int]:
    text = request.args.get("q", "")[:100]
    found = verification.applicants(
        get_session(),
        text=text,
        page=parse_int(request.args.get("page")) or 1,
        page_size=current_app.config["PAGE_SIZE"],
    )
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


def _back_to_list() -> Response:
    """The list as the official left it: the forms' URLs carry its search and page."""
    args = {"q": request.args.get("q", "")[:100], "page": parse_int(request.args.get("page"))}
    return redirect(url_for("admin.organisations", **{k: v for k, v in args.items() if v}))


@bp.route("/organisations/<int:org_id>/verify", methods=["POST"])
@roles_required(*STAFF)
def verify(org_id: int) -> Response:
    """Mark an organisation as verified; its users may then post."""
    session = get_session()
    org = session.get(Organisation, org_id) or abort(404)
    if verification.verify(session, org):
        session.commit()
    flash(_("%(name)s is verified.", name=org.name), "info")
    return _back_to_list()


@bp.route("/organisations/<int:org_id>/reject", methods=["POST"])
@roles_required(*STAFF)
def reject(org_id: int) -> Response | tuple[str, int]:
    """Refuse an organisation's verification, with the reason it is told."""
    session = get_session()
    org = session.get(Organisation, org_id) or abort(404)
    form = RejectForm()
    if not form.validate_on_submit():
        return _organisations_page(form, rejecting=org.id, status=422)
    verification.reject(session, org, reason=form.reason.data.strip())
    session.commit()
    flash(_("%(name)s was refused verification.", name=org.name), "info")
    return _back_to_list()


@bp.route("/users")
@roles_required(Role.admin)
def users() -> str:
    """All accounts, with their organisation."""
    session = get_session()
    rows = session.exec(select(User, Organisation).join(Organisation).order_by(col(User.id))).all()
    return render_template("admin/users.html", rows=rows)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required(Role.admin)
def toggle_active(user_id: int) -> Response:
    """Disable an account (locked out at once) or enable it again."""
    session = get_session()
    user = session.get(User, user_id) or abort(404)
    if user.id == current_user.id:
        flash(_("You cannot disable your own account."), "error")
    else:
        user.is_active = not user.is_active
        user.session_version += 1  # a disabled user's open sessions end now
        audit.record(session, "user.active", user, {"is_active": user.is_active})
        session.commit()
    return redirect(url_for("admin.users"))
