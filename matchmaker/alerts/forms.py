"""The saved-search form: what a search looks for, how often it is delivered, who may read it."""

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from matchmaker.entries.reference import DISTRICTS, FIELDS
from matchmaker.web.names import reference_choices
from matchmaker.web.text import NOT_OFFERED, Form, Length, field_labels
from models import Frequency

FREQUENCIES = {
    Frequency.immediately: _l("Immediately"),
    Frequency.daily: _l("Daily digest"),
    Frequency.weekly: _l("Weekly digest"),
    Frequency.never: _l("Never (this page only)"),
}


def _checkboxes(label: Any, names: tuple[str, ...], help_text: Any) -> SelectMultipleField:
    return SelectMultipleField(
        label,
        choices=reference_choices(names),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description=help_text,
        validate_choice=True,
        invalid_choice_message=NOT_OFFERED,
    )


def _in_order(low: IntegerField, high: IntegerField) -> None:
    if high.data is not None and low.data is not None and low.data > high.data:
        raise ValidationError(_("The upper end must not be below the lower one."))


class SavedSearchForm(Form):
    """A saved search of either list; the scenario-only fields are left out for capabilities."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(1, 60)],
        description=_l("So that you recognise it in your inbox and e-mail."),
    )
    q = StringField(
        _l("Words"),
        validators=[Optional(), Length(max=100)],
        description=_l("Every word must occur; other names of the same concept count too."),
    )
    fields = _checkboxes(_l("Fields"), FIELDS, _l("None ticked: every field."))
    districts = _checkboxes(_l("Districts"), DISTRICTS, _l("None ticked: every district."))
    budget_min_wan = IntegerField(
        _l("Budget at least (10,000 yuan)"), validators=[Optional(), NumberRange(0, 1_000_000)]
    )
    budget_max_wan = IntegerField(
        _l("Budget at most (10,000 yuan)"), validators=[Optional(), NumberRange(0, 1_000_000)]
    )
    deadline_min_days = IntegerField(
        _l("Deadline at least this many days away"),
        validators=[Optional(), NumberRange(0, 3650)],
        description=_l("Time to prepare an application; scenarios without a deadline count."),
    )
    deadline_max_days = IntegerField(
        _l("Deadline within this many days"),
        validators=[Optional(), NumberRange(0, 3650)],
        description=_l("Scenarios without a deadline do not count."),
    )
    matched = BooleanField(_l("Only what fits my organisation (the matcher decides)"))
    frequency = RadioField(
        _l("Tell me"),
        choices=[SelectChoice(f.value, label) for f, label in FREQUENCIES.items()],
        default=Frequency.daily.value,
    )
    public = BooleanField(_l("Public: anyone with the link may read its page and Atom feed"))

    SCENARIO_ONLY = ("budget_min_wan", "budget_max_wan", "deadline_min_days", "deadline_max_days")

    def validate_budget_max_wan(self, field: IntegerField) -> None:
        _in_order(self.budget_min_wan, field)

    def validate_deadline_max_days(self, field: IntegerField) -> None:
        _in_order(self.deadline_min_days, field)

    def values(self) -> dict[str, Any]:
        """The search's values as the domain takes them (fields left out of this form: none)."""
        data = {
            name: field.data
            for name, field in self._fields.items()
            if name not in ("version", "csrf_token")
        }
        for name in ("fields", "districts"):
            if name in data:
                data[name] = data[name] or []
        return data


# A saved search's fields by the names its form gives them (the audit trail names changes).
SEARCH_FIELD_LABELS = field_labels(SavedSearchForm)
