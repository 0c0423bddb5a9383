"""Requests to join an organisation: its admin decides its own, officials any."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.admin import verification
from matchmaker.auth.forms import OrganisationForm
from matchmaker.members import requests
from matchmaker.members.forms import DeclineForm
from matchmaker.web.access import STAFF, is_staff, roles_required
from matchmaker.web.db import get_session
from matchmaker.web.errors import NotAllowed
from matchmaker.web.security import parse_int
from models import JoinRequest, Organisation, Role

bp = Blueprint("members", __name__, url_prefix="/members")
DECIDERS = (Role.org_admin, *STAFF)


@bp.route("/")
@roles_required(*DECIDERS)
def index() -> tuple[str, int]:
    """Requests to join: the organisation's own for its admin, every one for officials."""
    return _index_page()


def _index_page(form: DeclineForm | None = None, declining: int | None = None, status: int = 200):
    rows = requests.listed(
        get_session(), organisation_id=None if is_staff() else current_user.organisation_id
    )
    form = form or DeclineForm(formdata=None)
    return render_template("members/index.html", rows=rows, form=form, declining=declining), status


def _request_or_404(request_id: int) -> JoinRequest:
    """A request the user may decide; another organisation's answers 404, as everywhere."""
    join = get_session().get(JoinRequest, request_id)
    if join is None or not (is_staff() or join.organisation_id == current_user.organisation_id):
        abort(404)
    return join


@bp.route("/requests/<int:request_id>/approve", methods=["POST"])
@roles_required(*DECIDERS)
def approve(request_id: int) -> Response:
    """Approve: the applicant's account is made, a member of the organisation."""
    join = _request_or_404(request_id)
    session = get_session()
    requests.approve(session, join, version=parse_int(request.form.get("version")), by=current_user)
    session.commit()
    flash(_("%(name)s has joined and can sign in now.", name=join.name), "info")
    return redirect(url_for("members.index"))


@bp.route("/requests/<int:request_id>/decline", methods=["POST"])
@roles_required(*DECIDERS)
def decline(request_id: int) -> Response | tuple[str, int]:
    """Decline, with the reason the applicant is told."""
    join = _request_or_404(request_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _index_page(form, declining=join.id, status=422)
    session = get_session()
    requests.decline(
        session,
        join,
        version=parse_int(form.version.data),
        by=current_user,
        reason=form.reason.data,
    )
    session.commit()
    flash(_("The request of %(name)s was declined.", name=join.name), "info")
    return redirect(url_for("members.index"))


@bp.route("/organisation", methods=["GET", "POST"])
@roles_required(*DECIDERS)
def organisation() -> Response | tuple[str, int]:
    """The user's organisation's registered details, which its admin corrects while they are
    not verified (after a refusal, say): saving sends them to the officials again. (Officials
    see their own authority's, verified.)"""
    session = get_session()
    org = session.get(Organisation, current_user.organisation_id) or abort(404)
    form = OrganisationForm(
        data={"org_name": org.name, "credit_code": org.credit_code, "district": org.district}
        if request.method == "GET"
        else None
    )
    if request.method == "POST" and org.verified:  # a page from before the verification
        raise NotAllowed(str(verification.VERIFIED_DETAILS))
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("members/organisation.html", org=org, form=form), status
    try:
        verification.correct(
            session,
            org,
            name=form.org_name.data,
            credit_code=form.credit_code.data,
            district=form.district.data,
        )
    except verification.CodeTaken as taken:
        form.credit_code.errors.append(str(taken))
        return render_template("members/organisation.html", org=org, form=form), 422
    session.commit()
    flash(_("Saved. %(name)s waits for an official to check it again.", name=org.name), "info")
    return redirect(url_for("members.organisation"))
