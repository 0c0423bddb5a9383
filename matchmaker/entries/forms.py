"""The entry forms, one per kind: what a buyer or a firm fills in, checked before saving."""

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
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
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from matchmaker.entries import deadlines
from matchmaker.entries.reference import DISTRICTS, FIELDS, QUALIFICATIONS
from matchmaker.web.dates import local_today
from matchmaker.web.names import reference_choices
from matchmaker.web.text import NOT_OFFERED, Form, Length, field_labels, half_width

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


class AmountField(FloatField):
    """An amount in 万元, shown again as people write it: 20 and 12.5, not 20.0."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else f"{self.data:.4f}".rstrip("0").rstrip(".")


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


class EntryForm(Form):
    """Fields both kinds share."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(4, 80)])
    summary = StringField(
        _l("Summary"),
        description=_l("One sentence shown on list cards."),
        validators=[Optional(), Length(max=200)],
    )
    description = TextAreaField(_l("Description"), validators=[DataRequired(), Length(20, 4000)])
    # No field chosen in advance: a preselected one is easily submitted by mistake.
    field = SelectField(
        _l("Field"),
        choices=[SelectChoice("", _l("Choose a field"))] + reference_choices(FIELDS),
        validators=[DataRequired()],
    )
    district = SelectField(
        _l("District"),
        choices=[SelectChoice("", _l("Citywide"))] + reference_choices(DISTRICTS),
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
    budget_min_wan = AmountField(
        _l("Budget from (10,000 yuan)"), validators=[Optional(), NumberRange(0, 1_000_000)]
    )
    budget_max_wan = AmountField(
        _l("Budget up to (10,000 yuan)"), validators=[Optional(), NumberRange(0, 1_000_000)]
    )
    deadline = DateField(_l("Deadline"), validators=[Optional()])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=40)])
    contact_phone = StringField(
        _l("Contact phone"), filters=[half_width], validators=[Optional(), Length(max=40)]
    )

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

    def validate_deadline(self, field: DateField) -> None:
        if deadlines.passed(field.data, local_today()):
            raise ValidationError(str(deadlines.PAST_DEADLINE))

    def validate_contact_phone(self, field: StringField) -> None:
        if not deadlines.phone_ok(field.data or ""):
            raise ValidationError(str(deadlines.BAD_PHONE))


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
        choices=reference_choices(QUALIFICATIONS),
        invalid_choice_message=NOT_OFFERED,
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
    field.choices.extend(reference_choices(v for v in stored if v and v not in values))


FORMS: dict[str, type[EntryForm]] = {"scenario": ScenarioForm, "capability": CapabilityForm}


class EndForm(Form):
    """The owner's confirmation that a published entry leaves the lists."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    reason = TextAreaField(
        _l("Reason (optional, kept in the records)"), validators=[Length(max=500)]
    )


# The entry fields by the names their forms give them (the audit trail names changed fields).
FIELD_LABELS = field_labels(EntryForm, ScenarioForm, CapabilityForm)
