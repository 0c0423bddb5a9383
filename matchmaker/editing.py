"""The owners' pages, written once for both kinds of entry: forms, "mine", new, edit, submit."""

import re
from typing import Any

import pydantic
from flask import Response, abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func
from sqlmodel import col, select
from wtforms import (
    DateField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from matchmaker import browse, pairings, posting
from matchmaker.access import current_org, is_staff, owned_or_404
from matchmaker.db import get_session
from matchmaker.errors import Conflict, NotAllowed
from matchmaker.posting import Kind
from matchmaker.reference import DISTRICTS, FIELDS, QUALIFICATIONS
from matchmaker.security import parse_int
from models import Recommendation

_TAG_SPLIT = re.compile(r"[,，、;；\n]+")


class ListField(StringField):
    """A list typed on one line, separated by commas or 、 (tags, products)."""

    separator = "、"
    split = _TAG_SPLIT

    def _value(self) -> str:
        return self.separator.join(self.data or [])

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0] if valuelist else ""
        self.data = [part.strip() for part in self.split.split(text) if part.strip()]


class LinesField(TextAreaField):
    """A list typed one item a line (reference cases, which contain commas themselves)."""

    def _value(self) -> str:
        return "\n".join(self.data or [])

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0] if valuelist else ""
        self.data = [line.strip() for line in text.splitlines() if line.strip()]


def _short_items(most: int, longest: int) -> Any:
    def check(_form: FlaskForm, field: ListField) -> None:
        if len(field.data or []) > most:
            raise ValidationError(_("At most %(count)d items.", count=most))
        if any(len(item) > longest for item in field.data or []):
            raise ValidationError(_("At most %(count)d characters an item.", count=longest))

    return check


class EntryForm(FlaskForm):
    """Fields both kinds share."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(4, 80)])
    summary = StringField(
        _l("Summary"),
        description=_l("One sentence shown on list cards."),
        validators=[Optional(), Length(max=200)],
    )
    description = TextAreaField(_l("Description"), validators=[DataRequired(), Length(20, 4000)])
    field = SelectField(_l("Field"), choices=[SelectChoice(f) for f in FIELDS])
    district = SelectField(
        _l("District"),
        choices=[SelectChoice("", _l("Citywide"))] + [SelectChoice(d) for d in DISTRICTS],
    )
    tags = ListField(
        _l("Tags"),
        description=_l("Key words, separated by commas or 、 (at most 12), e.g. OCR、身份核验"),
        validators=[_short_items(12, 30)],
    )
    save_draft = SubmitField(_l("Save draft"))
    send = SubmitField(_l("Save and submit for review"))

    def allow_stored(self, entry: Any) -> None:
        """Keep the entry's stored choices selectable even if today's lists lack them."""
        for select_field, stored in ((self.field, entry.field), (self.district, entry.district)):
            _add_choices(select_field, [stored])


class ScenarioForm(EntryForm):
    problem = TextAreaField(
        _l("The problem"),
        description=_l("What goes wrong today, and what it costs."),
        validators=[Optional(), Length(max=1000)],
    )
    target_users = TextAreaField(
        _l("Who it is for"),
        description=_l("The people who will use the solution, and how many."),
        validators=[Optional(), Length(max=500)],
    )
    current_state = TextAreaField(
        _l("How it is done today"), validators=[Optional(), Length(max=1000)]
    )
    expected_outcome = TextAreaField(
        _l("Expected outcome"),
        description=_l("What will be better, and how you will measure it."),
        validators=[Optional(), Length(max=1000)],
    )
    budget_min_wan = FloatField(
        _l("Budget from (ten-thousand yuan)"), validators=[Optional(), NumberRange(0, 1_000_000)]
    )
    budget_max_wan = FloatField(
        _l("Budget up to (ten-thousand yuan)"), validators=[Optional(), NumberRange(0, 1_000_000)]
    )
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=40)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=40)])

    SECTIONS = (
        (_l("The need, stated as a problem"), ("title", "summary", "problem", "target_users")),
        (_l("Today and tomorrow"), ("current_state", "expected_outcome", "description")),
        (_l("Where it belongs"), ("field", "district", "tags")),
        (_l("Budget, deadline and contact"), ("budget_min_wan", "budget_max_wan", "deadline")),
        (None, ("contact_name", "contact_phone")),
    )

    def validate_budget_max_wan(self, field: FloatField) -> None:
        low = self.budget_min_wan.data
        if field.data is not None and low is not None and low > field.data:
            raise ValidationError(_("The upper budget must not be below the lower one."))


class CapabilityForm(EntryForm):
    products = ListField(
        _l("Products"),
        description=_l("Product or solution names, separated by commas or 、"),
        validators=[_short_items(20, 80)],
    )
    cases = LinesField(
        _l("Reference cases"),
        description=_l("One case a line: client, what was delivered, when."),
        validators=[_short_items(20, 300)],
    )
    qualifications = SelectMultipleField(
        _l("Qualifications"),
        choices=[SelectChoice(q) for q in QUALIFICATIONS],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

    SECTIONS = (
        (_l("What you offer"), ("title", "summary", "description")),
        (_l("Where it belongs"), ("field", "district", "tags")),
        (_l("Evidence"), ("products", "cases", "qualifications")),
    )

    def allow_stored(self, entry: Any) -> None:
        """Also keep qualifications stored before today's list."""
        super().allow_stored(entry)
        _add_choices(self.qualifications, entry.qualifications)


def _add_choices(field: SelectField | SelectMultipleField, stored: list[str]) -> None:
    values = {choice.value for choice in field.choices}
    field.choices.extend(SelectChoice(v) for v in stored if v and v not in values)


FORMS: dict[str, type[EntryForm]] = {"scenario": ScenarioForm, "capability": CapabilityForm}


def _form_data(kind: Kind, form: EntryForm) -> dict[str, Any]:
    data = {name: form[name].data for name in kind.editable_fields()}
    # A field missing from the post (None) takes the model's default: "", [] or None.
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items() if v is not None}


def _attach(form: EntryForm, error: pydantic.ValidationError) -> None:
    """Put the model's objections next to the fields (a net under the form's own checks)."""
    for problem in error.errors():
        name = problem["loc"][0] if problem["loc"] else "description"
        target = form._fields.get(name) or form.description
        target.errors = [*target.errors, _("Please check this value.")]


def _render_form(kind: Kind, form: EntryForm, entry: Any = None, status: int = 200, **extra: Any):
    hints = posting.thin_hints(kind, form.data) if request.method == "POST" or entry else []
    return (
        render_template(
            "posting/form.html", kind=kind, form=form, entry=entry, hints=hints, **extra
        ),
        status,
    )


# ----- the views (each blueprint calls these with its Kind) ---------------------------------


def mine_page(kind: Kind) -> str:
    """The organisation's own entries of `kind`, every status, with their pairing counts."""
    session = get_session()
    model = kind.model
    own = Recommendation.scenario_id if kind is posting.SCENARIO else Recommendation.capability_id
    rows = session.exec(
        select(model, func.count(col(Recommendation.id)))
        .outerjoin(Recommendation, own == model.id)
        .where(model.organisation_id == current_user.organisation_id)
        .group_by(model.id)
        .order_by(col(model.updated_at).desc(), col(model.id).desc())
    ).all()
    return render_template("posting/mine.html", kind=kind, rows=rows)


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
            submit=bool(form.send.data),
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
        raise NotAllowed(_("A published entry can no longer be edited."))
    form = FORMS[kind.name](obj=entry if request.method == "GET" else None)
    form.allow_stored(entry)
    if not form.validate_on_submit():
        return _render_form(kind, form, entry, status=422 if form.is_submitted() else 200)
    session = get_session()
    try:
        posting.update_entry(
            session,
            entry,
            data=_form_data(kind, form),
            version=form.version.data,
            submit=bool(form.send.data),
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
    _flash_saved(entry)
    return redirect(kind.detail_url(entry))


def submit_action(kind: Kind, entry_id: int) -> Response:
    """Submit a draft from its page; the recommendations are on the page it returns to."""
    entry = owned_or_404(kind.model, entry_id)
    session = get_session()
    posting.submit_entry(session, entry, version=_version())
    session.commit()
    _flash_saved(entry)
    return redirect(kind.detail_url(entry))


def detail_page(kind: Kind, entry_id: int, public_statuses: tuple[str, ...]) -> str:
    """An entry's page: the public sees published pairings; its owner and officials see more."""
    entry = browse.visible_or_404(kind.model, entry_id, public_statuses)
    own = current_user.is_authenticated and entry.organisation_id == current_user.organisation_id
    if entry.status == "draft" and not own:
        abort(404)  # a draft is its organisation's own business, officials' included
    session = get_session()
    if own:
        # Counterparts not yet published stay out of sight: only officials see those.
        found = pairings.for_entry(session, entry, published_counterpart=True)
    elif is_staff():
        found = pairings.for_entry(session, entry)
    else:
        found = pairings.for_entry(session, entry, statuses=["published"])
    return render_template(
        f"{kind.area}/detail.html",
        **{kind.name: entry},
        entry=entry,
        kind=kind,
        owner=browse.owner_of(entry),
        own=own,
        hints=posting.thin_hints(kind, entry.model_dump()) if own else [],
        pairings=found,
    )


def _version() -> int | None:
    value = request.form.get("version", "")
    return parse_int(value)


def _flash_saved(entry: Any) -> None:
    if entry.status == "submitted":
        flash(_("Submitted for review. The recommendations below were found for it."), "info")
    else:
        flash(_("Draft saved. Only your organisation can see it."), "info")
