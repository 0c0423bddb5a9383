"""Interest (揭榜): a verified firm raises its hand for a published scenario; the owner decides.

Accepting makes the pairing an approved recommendation (source=interest) that officials
publish in a batch; declining tells the firm why. The scenario page shows how many firms, and
with which qualifications, already expressed interest, so a firm can judge its chances.
"""

from collections import Counter
from typing import NamedTuple

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from wtforms import SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from matchmaker import audit, htmx
from matchmaker.access import current_org, side_required
from matchmaker.db import get_session
from matchmaker.notify import notify_org
from matchmaker.security import parse_int
from models import (
    Capability,
    CapabilityStatus,
    Interest,
    InterestStatus,
    Organisation,
    OrgKind,
    Recommendation,
    RecommendationSource,
    RecommendationStatus,
    Scenario,
    ScenarioStatus,
    User,
)
from models._types import utcnow

bp = Blueprint("interest", __name__, url_prefix="/interest")


class InterestRefused(Exception):
    """An interest action the current state does not allow; answered with 409 and the reason."""


class InterestSummary(NamedTuple):
    firms: int
    qualifications: list[tuple[str, int]]  # (qualification, how many interested firms hold it)


# --- domain ---------------------------------------------------------------------------------


def summary(session: Session, scenario_id: int) -> InterestSummary:
    """How many firms expressed interest in a scenario, and which qualifications they hold."""
    rows = session.exec(
        select(Organisation.qualifications, Capability.qualifications)
        .select_from(Interest)
        .join(Organisation, col(Organisation.id) == col(Interest.organisation_id))
        .outerjoin(Capability, col(Capability.id) == col(Interest.capability_id))
        .where(Interest.scenario_id == scenario_id)
    ).all()
    held: Counter[str] = Counter()
    for org_quals, capability_quals in rows:
        held.update(set(org_quals or []) | set(capability_quals or []))  # a firm counts once
    return InterestSummary(len(rows), sorted(held.items(), key=lambda item: (-item[1], item[0])))


def published_capabilities(session: Session, organisation_id: int) -> list[Capability]:
    """A firm's published capabilities, the ones it can put forward."""
    return list(
        session.exec(
            select(Capability)
            .where(
                Capability.organisation_id == organisation_id,
                Capability.status == CapabilityStatus.published,
            )
            .order_by(col(Capability.title))
        )
    )


def express(
    session: Session,
    *,
    scenario: Scenario,
    user: User,
    capability: Capability,
    message: str = "",
) -> Interest:
    """Record a firm's interest in a published scenario and tell the scenario's owner."""
    if scenario.status != ScenarioStatus.published:
        raise InterestRefused(_("This scenario is not open for interest."))
    if capability.organisation_id != user.organisation_id:
        raise InterestRefused(_("Choose one of your own published capabilities."))
    existing = session.exec(
        select(Interest).where(
            Interest.scenario_id == scenario.id, Interest.organisation_id == user.organisation_id
        )
    ).first()
    if existing is not None:
        raise InterestRefused(_("Your organisation has already expressed interest here."))
    interest = Interest(
        scenario_id=scenario.id,
        organisation_id=user.organisation_id,
        capability_id=capability.id,
        user_id=user.id,
        message=message.strip(),
    )
    session.add(interest)
    audit.record(
        session,
        "interest.express",
        interest,
        {"scenario": scenario.title, "capability_id": capability.id},
        user_id=user.id,
    )
    firm = session.get(Organisation, user.organisation_id)
    notify_org(
        session,
        scenario.organisation_id,
        "interest.received",
        {"scenario": scenario.title, "org": firm.name if firm else ""},
        link=url_for("interest.received", scenario=scenario.id),
    )
    return interest


def _tell_firm(
    session: Session, interest: Interest, scenario: Scenario, kind: str, **params: str
) -> None:
    """Tell the firm what the scenario's owner decided (no black hole)."""
    owner = session.get(Organisation, scenario.organisation_id)
    notify_org(
        session,
        interest.organisation_id,
        kind,
        {"scenario": scenario.title, "org": owner.name if owner else "", **params},
        link=url_for("interest.mine"),
    )


def _decidable(session: Session, interest: Interest) -> Interest:
    """The interest, locked for the decision; only a pending one can be decided."""
    locked = session.exec(
        select(Interest).where(Interest.id == interest.id).with_for_update()
    ).one()
    if locked.status != InterestStatus.pending:
        raise InterestRefused(_("This interest has already been decided."))
    return locked


def accept(
    session: Session, *, interest: Interest, scenario: Scenario, user: User
) -> Recommendation:
    """Accept a firm's interest: its pairing becomes an approved recommendation for a batch."""
    interest = _decidable(session, interest)
    capability = session.get(Capability, interest.capability_id) if interest.capability_id else None
    if capability is None or capability.status != CapabilityStatus.published:
        raise InterestRefused(
            _("The firm's capability is no longer published, so the pairing cannot be made.")
        )
    now = utcnow()
    pairing = session.exec(
        select(Recommendation).where(
            Recommendation.scenario_id == scenario.id,
            Recommendation.capability_id == capability.id,
        )
    ).first()
    if pairing is None:
        pairing = Recommendation(
            scenario_id=scenario.id,
            capability_id=capability.id,
            source=RecommendationSource.interest,
            status=RecommendationStatus.approved,
            decided_at=now,
        )
        session.add(pairing)
    elif pairing.status in (RecommendationStatus.recommended, RecommendationStatus.rejected):
        # The owner's own acceptance outweighs the matcher's ranking or an earlier rejection.
        pairing.status = RecommendationStatus.approved
        pairing.source = RecommendationSource.interest
        pairing.decided_at = now
        pairing.updated_at = now
        pairing.version += 1
    interest.status = InterestStatus.accepted
    interest.decided_at = now
    session.flush()
    audit.record(
        session,
        "interest.accept",
        interest,
        {"recommendation_id": pairing.id, "pairing_status": pairing.status.value},
        user_id=user.id,
    )
    _tell_firm(session, interest, scenario, "interest.accepted")
    return pairing


def decline(
    session: Session, *, interest: Interest, scenario: Scenario, user: User, reason: str
) -> Interest:
    """Decline a firm's interest and tell it why (no black hole)."""
    interest = _decidable(session, interest)
    interest.status = InterestStatus.declined
    interest.reason = reason.strip()
    interest.decided_at = utcnow()
    audit.record(
        session, "interest.decline", interest, {"reason": interest.reason}, user_id=user.id
    )
    _tell_firm(session, interest, scenario, "interest.declined", reason=interest.reason)
    return interest


# --- views ----------------------------------------------------------------------------------


class InterestForm(FlaskForm):
    capability = SelectField(
        _l("Which of your capabilities answers this scenario?"), validators=[InputRequired()]
    )
    message = TextAreaField(
        _l("Message to the scenario's owner (optional)"), validators=[Length(max=1000)]
    )


class DeclineForm(FlaskForm):
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
    capabilities = published_capabilities(session, current_user.organisation_id)
    form = InterestForm()
    form.capability.choices = [SelectChoice(str(c.id), c.title) for c in capabilities]
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
        form=form,
        existing=existing,
        capabilities=capabilities,
        summary=summary(session, scenario_id),
    )
    return (page, status) if status != 200 else page


@bp.route("/mine")
@side_required(OrgKind.supply)
def mine() -> str:
    """The firm's interests and what became of them, with the reason when declined."""
    session = get_session()
    rows = session.exec(
        select(Interest, Scenario)
        .join(Scenario, col(Scenario.id) == col(Interest.scenario_id))
        .where(Interest.organisation_id == current_user.organisation_id)
        .order_by(col(Interest.created_at).desc(), col(Interest.id).desc())
    ).all()
    return render_template("interest/mine.html", rows=rows)


def _received_rows(
    session: Session, *, scenario_id: int | None = None, interest_id: int | None = None
) -> list:
    """Interests in the organisation's scenarios, with scenario, firm and capability."""
    stmt = (
        select(Interest, Scenario, Organisation, Capability)
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
    """Accept a firm's interest; the pairing goes to officials for the next batch."""
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
        session, interest, _("Accepted. Officials will publish the pairing in a batch.")
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
        own = _own_interest(session, scenario.id) if org else None
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
        return {
            "summary": summary(session, scenario.id),
            "own": own,
            "is_owner": is_owner,
            "pending": pending,
            "can_express": (
                org is not None
                and org.kind == OrgKind.supply
                and org.verified
                and own is None
                and scenario.status == ScenarioStatus.published
            ),
        }

    return {"interest_panel": interest_panel}
