"""The form of a decision on a request to join."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired

from matchmaker.members.requests import REASON_MAX
from matchmaker.web.text import Form, Length


class DeclineForm(Form):
    version = HiddenField()
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Say why, so that the applicant knows what to do.")),
            Length(max=REASON_MAX),
        ],
    )
