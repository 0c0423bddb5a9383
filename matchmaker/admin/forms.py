"""The forms of the officials' and admins' pages."""

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired

from matchmaker.admin.verification import REASON_MAX
from matchmaker.web.text import Form, Length


class RejectForm(Form):
    reason = TextAreaField(
        _l("Reason for refusal"),
        validators=[
            DataRequired(message=_l("Say why, so that the organisation can put it right.")),
            Length(max=REASON_MAX),
        ],
    )
