"""Officials verify organisations; admins disable and re-enable accounts."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import col, select

from matchmaker.records import audit
from matchmaker.web.access import STAFF, roles_required
from matchmaker.web.db import get_session
from models import Organisation, Role, User
from models._types import utcnow

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/organisations")
@roles_required(*STAFF)
def organisations() -> str:
    """Organisations waiting for verification first, then the rest."""
    session = get_session()
    orgs = session.exec(
        select(Organisation).order_by(col(Organisation.verified), col(Organisation.id).desc())
    ).all()
    return render_template("admin/organisations.html", orgs=orgs)


@bp.route("/organisations/<int:org_id>/verify", methods=["POST"])
@roles_required(*STAFF)
def verify(org_id: int) -> Response:
    """Mark an organisation as verified; its users may then post."""
    session = get_session()
    org = session.get(Organisation, org_id) or abort(404)
    if not org.verified:
        org.verified = True
        org.verified_at = utcnow()
        audit.record(session, "organisation.verify", org, {"verified": True})
        session.commit()
    flash(_("%(name)s is verified.", name=org.name), "info")
    return redirect(url_for("admin.organisations"))


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
