"""The 揭榜 pages: a firm expresses interest in a published scenario and follows it; the
scenario's owner sees what it received and accepts or declines."""

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired

from matchmaker.entries import deadlines
from matchmaker.interest.operations import (
    InterestRefused,
    accept,
    capabilities_in_review,
    decline,
    express,
    offers,
    summary,
    verified_qualifications,
)
from matchmaker.web import htmx
from matchmaker.web.access import current_org, side_required
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from matchmaker.web.security import parse_int
from matchmaker.web.text import Form, Length
from models import (
    Capability,
    Interest,
    InterestStatus,
    Organisation,
    OrgKind,
    Recommendation,
    Scenario,
    ScenarioStatus,
    User,
)

bp = Blueprint("interest", __name__, url_prefix="/interest")


class InterestForm(Form):
    capability = RadioField(
        _l("Which of your capabilities answers this scenario?"), validators=[InputRequired()]
    )
    message = TextAreaField(
        _l("Message to the scenario's owner (optional)"), validators=[Length(max=1000)]
    )


class DeclineForm(Form):
    reason = TextAreaField(
        _l("Why is it declined? The firm will read this."),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[DataRequired(message=_l("Give the firm a reason.")), Length(min=2, max=500)],
    )


def _published_scenario_or_404(scenario_id: int) -> Scenario:
    scenario = get_session().get(Scenario, scenario_id)
    if scenario is None or scenario.status != ScenarioStatus.published:
        abort(404)
    return scenario


def _own_interest(session: Session, scenario_id: int) -> Interest | None:
    return session.exec(
        select(Interest).where(
            Interest.scenario_id == scenario_id,
            Interest.organisation_id == current_user.organisation_id,
        )
    ).first()


@bp.route("/scenarios/<int:scenario_id>", methods=["GET", "POST"])
@side_required(OrgKind.supply)
def express_view(scenario_id: int) -> str | Response | tuple[str, int]:
    """A firm expresses interest in a published scenario, naming one of its capabilities."""
    session = get_session()
    scenario = _published_scenario_or_404(scenario_id)
    choices = offers(session, scenario_id=scenario_id, organisation_id=current_user.organisation_id)
    capabilities = [o.capability for o in choices]
    form = InterestForm()
    form.capability.choices = [SelectChoice(str(c.id), c.title) for c in capabilities]
    if not form.is_submitted() and choices and (choices[0].pairing or len(choices) == 1):
        # The one the matcher pairs best with the scenario (or the firm's only one); a firm
        # the matcher pairs with nothing picks for itself rather than send an arbitrary one.
        form.capability.data = str(capabilities[0].id)
    existing = _own_interest(session, scenario_id)
    status = 200
    if request.method == "POST":
        status = 422
        if existing is not None:
            form.form_errors.append(_("Your organisation has already expressed interest here."))
            status = 409
        elif not capabilities:
            form.form_errors.append(_("Publish a capability first; interest names one of them."))
        elif form.validate_on_submit():
            capability = next(c for c in capabilities if str(c.id) == form.capability.data)
            try:
                express(
                    session,
                    scenario=scenario,
                    user=session.get(User, current_user.id),
                    capability=capability,
                    today=local_today(),
                    message=form.message.data or "",
                )
                session.commit()
            except (InterestRefused, IntegrityError) as refused:
                # IntegrityError: a colleague expressed interest a moment earlier.
                session.rollback()
                form.form_errors.append(
                    str(refused)
                    if isinstance(refused, InterestRefused)
                    else _("Your organisation has already expressed interest here.")
                )
                status = 409
            else:
                flash(_("Your interest is sent. The scenario's owner will answer."), "info")
                return redirect(url_for("scenarios.detail", scenario_id=scenario_id))
    page = render_template(
        "interest/express.html",
        scenario=scenario,
        closed=deadlines.passed(scenario.deadline, local_today()),
        form=form,
        existing=existing,
        offers=choices,
        in_review=[] if choices else capabilities_in_review(session, current_user.organisation_id),
        summary=summary(session, scenario_id),
    )
    return (page, status) if status != 200 else page


def _with_pairing(stmt: Any) -> Any:
    """`stmt` with the interest's pairing (the officials decide it once the buyer accepts)."""
    return stmt.select_from(Interest).outerjoin(
        Recommendation,
        and_(
            col(Recommendation.scenario_id) == col(Interest.scenario_id),
            col(Recommendation.capability_id) == col(Interest.capability_id),
        ),
    )


@bp.route("/mine")
@side_required(OrgKind.supply)
def mine() -> str:
    """The firm's interests and what became of them, with the reason when declined."""
    session = get_session()
    rows = session.exec(
        _with_pairing(select(Interest, Scenario, Recommendation))
        .join(Scenario, col(Scenario.id) == col(Interest.scenario_id))
        .where(Interest.organisation_id == current_user.organisation_id)
        .order_by(col(Interest.created_at).desc(), col(Interest.id).desc())
    ).all()
    return render_template("interest/mine.html", rows=rows)


def _received_rows(
    session: Session, *, scenario_id: int | None = None, interest_id: int | None = None
) -> list:
    """Interests in the organisation's scenarios, with scenario, firm, capability and the
    pairing an acceptance sent to the officials."""
    stmt = (
        _with_pairing(select(Interest, Scenario, Organisation, Capability, Recommendation))
        .join(Scenario, col(Scenario.id) == col(Interest.scenario_id))
        .join(Organisation, col(Organisation.id) == col(Interest.organisation_id))
        .outerjoin(Capability, col(Capability.id) == col(Interest.capability_id))
        .where(Scenario.organisation_id == current_user.organisation_id)
    )
    if scenario_id is not None:
        stmt = stmt.where(Interest.scenario_id == scenario_id)
    if interest_id is not None:
        stmt = stmt.where(Interest.id == interest_id)
    return list(
        session.exec(
            stmt.order_by(
                col(Interest.status) != InterestStatus.pending,
                col(Interest.created_at).desc(),
                col(Interest.id).desc(),
            )
        )
    )


def _render_received(session: Session, interest_id: int | None = None, error: str = "") -> Response:
    """The received list, or for htmx only the row of the interest just acted on."""
    scenario = request.args.get("scenario", "")
    rows = _received_rows(session, scenario_id=parse_int(scenario))
    context = {
        "rows": rows,
        "decline_form": DeclineForm(formdata=None),
        "errors": {interest_id: error} if error else {},
    }
    template = "interest/received.html"
    if interest_id is not None and htmx.wants_fragment():
        context["row"] = _received_rows(session, interest_id=interest_id)[0]
        template = "interest/_received_row.html"
    # A firm's qualifications as anyone outside it sees them: verified and in force only.
    shown = [*rows, context["row"]] if "row" in context else rows
    context["verified"] = verified_qualifications(session, {row[2].id for row in shown})
    response = Response(render_template(template, **context))
    response.headers["Vary"] = "HX-Request"
    return response


@bp.route("/received")
@side_required(OrgKind.demand)
def received() -> str:
    """The scenario owner's view: who is interested, and the accept / decline buttons."""
    return _render_received(get_session())


def _owned_interest_or_404(session: Session, interest_id: int) -> tuple[Interest, Scenario]:
    """An interest in one of the user's organisation's scenarios; any other answers 404."""
    interest = session.get(Interest, interest_id)
    scenario = session.get(Scenario, interest.scenario_id) if interest else None
    if scenario is None or scenario.organisation_id != current_user.organisation_id:
        abort(404)
    return interest, scenario


def _decided(session: Session, interest: Interest, message: str) -> Response:
    """After a decision: the updated row for htmx, the list again otherwise."""
    if htmx.wants_fragment():
        return _render_received(session, interest.id)
    flash(message, "info")
    return redirect(url_for("interest.received"))


@bp.route("/<int:interest_id>/accept", methods=["POST"])
@side_required(OrgKind.demand)
def accept_view(interest_id: int) -> Response | tuple[Response, int]:
    """Accept a firm's interest; the pairing goes to the officials' review."""
    session = get_session()
    interest, scenario = _owned_interest_or_404(session, interest_id)
    try:
        accept(
            session, interest=interest, scenario=scenario, user=session.get(User, current_user.id)
        )
        session.commit()
    except InterestRefused as refused:
        session.rollback()
        return _render_received(session, interest.id, str(refused)), 409
    return _decided(
        session, interest, _("Accepted. Officials review the pairing before it is published.")
    )


@bp.route("/<int:interest_id>/decline", methods=["POST"])
@side_required(OrgKind.demand)
def decline_view(interest_id: int) -> Response | tuple[Response, int]:
    """Decline a firm's interest with a reason the firm will read."""
    session = get_session()
    interest, scenario = _owned_interest_or_404(session, interest_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        message = " ".join(str(e) for e in form.reason.errors) or _("Give the firm a reason.")
        return _render_received(session, interest.id, message), 422
    try:
        decline(
            session,
            interest=interest,
            scenario=scenario,
            user=session.get(User, current_user.id),
            reason=form.reason.data,
        )
        session.commit()
    except InterestRefused as refused:
        session.rollback()
        return _render_received(session, interest.id, str(refused)), 409
    return _decided(session, interest, _("Declined. The firm has been told why."))


@bp.app_context_processor
def _scenario_panel() -> dict[str, object]:
    """Give templates `interest_panel(scenario)` for the scenario page; it queries on use."""

    def interest_panel(scenario: Scenario) -> dict[str, object]:
        session = get_session()
        org = current_org()
        # Only firms express interest: nobody else has one to look up.
        own = _own_interest(session, scenario.id) if org and org.kind == OrgKind.supply else None
        pending = 0
        is_owner = org is not None and org.id == scenario.organisation_id
        if is_owner:
            pending = session.exec(
                select(func.count())
                .select_from(Interest)
                .where(
                    Interest.scenario_id == scenario.id,
                    Interest.status == InterestStatus.pending,
                )
            ).one()
        still_open = scenario.status == ScenarioStatus.published and not deadlines.passed(
            scenario.deadline, local_today()
        )
        return {
            "summary": summary(session, scenario.id),
            "open": still_open,
            "own": own,
            "is_owner": is_owner,
            "pending": pending,
            "can_express": (
                org is not None
                and org.kind == OrgKind.supply
                and org.verified
                and own is None
                and still_open
            ),
        }

    return {"interest_panel": interest_panel}
