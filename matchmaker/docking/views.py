"""The docking pages: the parties' pairings, each pairing's timeline, its next step and the
correction of its latest one, and the officials' list of pairings without progress."""

from collections.abc import Iterable
from decimal import Decimal

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
from flask_wtf import FlaskForm
from sqlalchemy import func, or_
from sqlmodel import col, select
from wtforms import DateField, DecimalField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional, StopValidation

from matchmaker.docking.followup import (
    MAX_CONTRACT_WAN,
    STALE_AFTER_DAYS,
    Pairing,
    Step,
    StepInput,
    StepRefused,
    allowed_stages,
    batch_of,
    correct_step,
    latest_events,
    organisations,
    party_ids,
    published_on,
    published_pairing,
    published_pairings,
    record_step,
    stale_pairings,
    timeline,
)
from matchmaker.web import htmx
from matchmaker.web.access import STAFF, current_org, is_staff, roles_required, signed_in
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from matchmaker.web.labels import status_label
from matchmaker.web.security import parse_int
from matchmaker.web.text import Form, Length
from models import (
    Capability,
    DockingEvent,
    DockingStage,
    Organisation,
    Recommendation,
    Scenario,
    User,
)

bp = Blueprint("docking", __name__, url_prefix="/docking")


STAGE_LABELS = {
    DockingStage.contacted: _l("Contacted"),
    DockingStage.negotiating: _l("Negotiating"),
    DockingStage.signed: _l("Signed"),
    DockingStage.closed: _l("Closed"),
}


def _finite(_form: FlaskForm, field: DecimalField) -> None:
    """Refuse NaN, which no range check can compare (it would raise, not fail)."""
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_("Enter the amount as a number, e.g. 128.5."))


class StepForm(Form):
    stage = SelectField(_l("Stage"), validators=[InputRequired()])
    occurred_on = DateField(_l("Date"), validators=[InputRequired()])
    note = TextAreaField(_l("Note"), validators=[Length(max=1000)])
    contract_amount_wan = DecimalField(
        _l("Contract amount (10,000 yuan)"),
        places=2,
        validators=[
            Optional(),
            _finite,
            NumberRange(
                min=Decimal("0.01"),
                max=MAX_CONTRACT_WAN,
                message=_l("Enter an amount between 0.01 and 1,000,000 (in units of 10,000 yuan)."),
            ),
        ],
    )
    reason = TextAreaField(_l("Why was it closed?"), validators=[Length(max=500)])


def _stage_choices(stages: Iterable[DockingStage]) -> list[SelectChoice]:
    return [SelectChoice(s.value, STAGE_LABELS[s]) for s in stages]


CORRECTION = "correct"  # the correction form's field prefix: both forms share one page


def _step_form(
    last: DockingEvent | None, *, formdata: bool = True, prefix: str = "", **values: object
) -> StepForm:
    """The step form; a posted one accepts any stage so that the order rule explains itself."""
    form = (
        StepForm(prefix=prefix, **values) if formdata else StepForm(None, prefix=prefix, **values)
    )
    form.stage.choices = _stage_choices(DockingStage if formdata else allowed_stages(last))
    if form.occurred_on.data is None:
        form.occurred_on.data = local_today()
    return form


def _entered(form: StepForm) -> StepInput:
    """What the party entered in a validated step form."""
    return StepInput(
        stage=DockingStage(form.stage.data),
        occurred_on=form.occurred_on.data,
        note=form.note.data or "",
        contract_amount_wan=form.contract_amount_wan.data,
        reason=form.reason.data or "",
    )


def _correction_form(steps: list[Step]) -> StepForm | None:
    """The form correcting the latest step, filled with it, for the organisation that
    recorded it; None for anyone else."""
    if not steps or steps[-1].event.organisation_id != current_user.organisation_id:
        return None
    latest = steps[-1].event
    previous = steps[-2].event if len(steps) > 1 else None
    return _step_form(
        previous,
        formdata=False,
        prefix=CORRECTION,
        stage=latest.stage.value,
        occurred_on=latest.occurred_on,
        note=latest.note,
        contract_amount_wan=latest.contract_amount_wan,
        reason=latest.reason,
    )


def _visible_or_404(recommendation_id: int) -> tuple[Pairing, bool]:
    """The pairing, and whether the user is one of its parties; others get 404, staff see it."""
    pairing = published_pairing(get_session(), recommendation_id)
    if pairing is None:
        abort(404)
    party = current_user.organisation_id in party_ids(pairing)
    if not party and not is_staff():
        abort(404)
    return pairing, party


def _context(
    pairing: Pairing,
    party: bool,
    form: StepForm | None = None,
    correction: StepForm | None = None,
) -> dict[str, object]:
    session = get_session()
    steps = timeline(session, pairing.recommendation.id)
    last = steps[-1].event if steps else None
    demand_id, supply_id = party_ids(pairing)
    return {
        "pairing": pairing,
        "steps": steps,
        "last": last,
        "party": party,
        "form": form if form is not None else _step_form(last, formdata=False),
        "correction": correction or (_correction_form(steps) if party else None),
        "demand": session.get(Organisation, demand_id),
        "supply": session.get(Organisation, supply_id),
        "published": published_on(
            pairing.recommendation, batch_of(session, pairing.recommendation)
        ),
    }


@bp.route("/")
@signed_in
def index() -> str:
    """My pairings: the published pairings of the user's organisation (all of them for staff)."""
    session = get_session()
    stmt = published_pairings()
    if not is_staff():
        org_id = current_user.organisation_id
        stmt = stmt.where(
            or_(Scenario.organisation_id == org_id, Capability.organisation_id == org_id)
        )
    size = current_app.config["PAGE_SIZE"]
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    pages = max(1, -(-total // size))
    page = request.args.get("page", "1")
    page = min(parse_int(page) or 1, pages)
    rows = [
        Pairing(*row)
        for row in session.exec(
            stmt.order_by(col(Recommendation.id).desc()).offset((page - 1) * size).limit(size)
        )
    ]
    orgs = organisations(session, rows)
    return render_template(
        "docking/index.html",
        rows=rows,
        orgs=orgs,
        last=latest_events(session, [p.recommendation.id for p in rows]),
        page=page,
        pages=pages,
        total=total,
        org=current_org(),
    )


@bp.route("/<int:recommendation_id>")
@signed_in
def detail(recommendation_id: int) -> Response:
    """A pairing's follow-up timeline, with the form for its parties."""
    pairing, party = _visible_or_404(recommendation_id)
    return htmx.render(
        "docking/detail.html",
        "docking/_timeline.html",
        target="docking",
        **_context(pairing, party),
    )


def _shown_on(form: StepForm, refused: StepRefused) -> int:
    """Put a refusal next to the field it is about; its status (409 out of order, else 422)."""
    target = getattr(form, refused.field).errors if refused.field else form.form_errors
    target.append(str(refused))
    return 409 if refused.order else 422


def _saved(pairing: Pairing, party: bool, message: str) -> Response:
    """After a step is stored: htmx gets the updated timeline, a page is sent back to it."""
    if htmx.wants_fragment("docking"):
        # The message goes with the fragment: a flash would wait for the next full page.
        return htmx.render(
            "docking/detail.html",
            "docking/_timeline.html",
            target="docking",
            saved=message,
            **_context(pairing, party),
        )
    flash(message, "info")
    return redirect(url_for("docking.detail", recommendation_id=pairing.recommendation.id))


@bp.route("/<int:recommendation_id>/steps", methods=["POST"])
@signed_in
def add_step(recommendation_id: int) -> Response | tuple[Response, int]:
    """Record a step; htmx gets the updated timeline, a form with errors gets them shown."""
    session = get_session()
    pairing, party = _visible_or_404(recommendation_id)
    if not party:
        abort(403)  # officials follow the timeline; only the two parties write it
    last = latest_events(session, [recommendation_id]).get(recommendation_id)
    form = _step_form(last)
    status = 422
    if not allowed_stages(last):
        form.form_errors.append(
            _(
                "This docking is already “%(stage)s”; no further steps can be recorded.",
                stage=status_label(last.stage),
            )
        )
        status = 409
    elif form.validate_on_submit():
        try:
            record_step(
                session,
                pairing=pairing,
                user=session.get(User, current_user.id),
                step=_entered(form),
                today=local_today(),
            )
        except StepRefused as refused:
            session.rollback()
            status = _shown_on(form, refused)
        else:
            session.commit()
            return _saved(pairing, party, _("The step is recorded."))
    form.stage.choices = _stage_choices(allowed_stages(last))
    response = htmx.render(
        "docking/detail.html",
        "docking/_timeline.html",
        target="docking",
        **_context(pairing, party, form),
    )
    return response, status


@bp.route("/<int:recommendation_id>/steps/<int:step_id>/correct", methods=["POST"])
@signed_in
def correct(recommendation_id: int, step_id: int) -> Response | tuple[Response, int]:
    """Correct the latest step, recorded in error: a correcting step replaces it, and the
    original stays in the timeline and the audit trail."""
    session = get_session()
    pairing, party = _visible_or_404(recommendation_id)
    original = session.get(DockingEvent, step_id)
    if original is None or original.recommendation_id != recommendation_id:
        abort(404)
    if not party or original.organisation_id != current_user.organisation_id:
        abort(403)  # a step is corrected by the organisation that recorded it, nobody else
    steps = timeline(session, recommendation_id)
    form = _step_form(None, prefix=CORRECTION)
    status = 422
    if form.validate_on_submit():
        try:
            correct_step(
                session,
                pairing=pairing,
                user=session.get(User, current_user.id),
                original=original,
                step=_entered(form),
                today=local_today(),
            )
        except StepRefused as refused:
            session.rollback()
            status = _shown_on(form, refused)
        else:
            session.commit()
            return _saved(
                pairing, party, _("The step is corrected; the original stays in the record.")
            )
    previous = steps[-2].event if len(steps) > 1 else None
    form.stage.choices = _stage_choices(allowed_stages(previous))
    response = htmx.render(
        "docking/detail.html",
        "docking/_timeline.html",
        target="docking",
        **_context(pairing, party, correction=form),
    )
    return response, status


@bp.route("/reminders")
@roles_required(*STAFF)
def reminders() -> str:
    """Pairings with no progress for 30 days or more, longest silence first."""
    session = get_session()
    stale = stale_pairings(session, today=local_today())
    orgs = organisations(session, [item.pairing for item in stale])
    # With nothing published yet there is no docking to follow, rather than none stalled.
    published = bool(stale) or session.exec(published_pairings().limit(1)).first() is not None
    return render_template(
        "docking/reminders.html", stale=stale, orgs=orgs, days=STALE_AFTER_DAYS, published=published
    )
