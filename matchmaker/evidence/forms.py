"""The evidence forms: a firm's upload, an official's approval or rejection."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import HiddenInput

from matchmaker.evidence.operations import REASON_MAX
from matchmaker.web.text import Form, Length
from models import ClaimKind


class UploadForm(Form):
    kind = SelectField(choices=[SelectChoice(kind.value, kind.value) for kind in ClaimKind])
    claim = StringField(widget=HiddenInput(), validators=[DataRequired(), Length(max=300)])
    file = FileField(
        _l("Certificate or contract (PDF, JPEG or PNG, at most 10 MB)"),
        validators=[FileRequired(_l("Choose a file to upload."))],
    )


class ApproveForm(Form):
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    expires_on = DateField(
        _l("Valid until (from the certificate)"),
        validators=[Optional()],
        description=_l("Required for qualifications; leave empty for a contract without end."),
    )


class RejectForm(Form):
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    reason = TextAreaField(
        _l("Reason for rejecting"),
        validators=[
            DataRequired(message=_l("Say why, so that the firm can put it right.")),
            Length(max=REASON_MAX),
        ],
    )
