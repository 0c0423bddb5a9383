"""The sign-up, sign-in and password forms, with the checks that need no database."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, ValidationError

from matchmaker.auth.creditcode import ALPHABET as CREDIT_CODE_ALPHABET
from matchmaker.auth.creditcode import is_valid as credit_code_is_valid
from matchmaker.entries.reference import DISTRICTS
from matchmaker.web.names import reference_choices
from matchmaker.web.text import Form, Length


def _valid_credit_code(_form: FlaskForm, field: StringField) -> None:
    field.data = (field.data or "").upper()  # already trimmed, as every text field is
    if len(field.data) != 18:
        raise ValidationError(
            _(
                "A unified social credit code has 18 characters; this one has %(n)d.",
                n=len(field.data),
            )
        )
    foreign = sorted({ch for ch in field.data if ch not in CREDIT_CODE_ALPHABET})
    if foreign:
        raise ValidationError(
            _(
                "A unified social credit code uses digits and capital letters other than I, O, "
                "S, V and Z; this one has %(chars)s. Copy it from the business licence "
                "(0 is often misread as O).",
                chars="、".join(foreign),
            )
        )
    if not credit_code_is_valid(field.data):
        raise ValidationError(
            _(
                "This is not a valid unified social credit code: a character is mistyped "
                "(its last character does not check out). Copy it from the business licence."
            )
        )


# WTForms' own message is not in its Chinese catalogue as written ("无效的 Email 地址").
VALID_EMAIL = Email(message=_l("Enter a valid e-mail address, such as name@example.com."))


class AccountForm(Form):
    """The person's own account: on registering an organisation, and on asking to join one."""

    name = StringField(_l("Your name"), validators=[DataRequired(), Length(1, 60)])
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(),
            VALID_EMAIL,
            Length(max=254),
        ],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(8, 128)])
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[EqualTo("password", message=_l("The passwords do not match."))],
    )


class OrganisationForm(Form):
    """An organisation's registered details: on registering, and corrected after a refusal."""

    org_name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(2, 120)])
    credit_code = StringField(
        _l("Unified social credit code"), validators=[DataRequired(), _valid_credit_code]
    )
    district = SelectField(_l("District"), choices=reference_choices(DISTRICTS))


class RegisterForm(AccountForm, OrganisationForm):
    org_kind = SelectField(
        _l("We are"),
        choices=[
            SelectChoice("demand", _l("Demand side: we post application scenarios")),
            SelectChoice("supply", _l("Supply side: we offer software capabilities")),
        ],
    )


class JoinForm(AccountForm):
    credit_code = StringField(
        _l("Unified social credit code of the organisation"),
        validators=[DataRequired(), _valid_credit_code],
    )
    message = TextAreaField(
        _l("A word to whoever decides (optional)"), validators=[Length(max=500)]
    )


class LoginForm(Form):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(),
            VALID_EMAIL,
        ],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in on this device"))


class NewPasswordForm(Form):
    """A new password, typed twice (set through a one-time reset link)."""

    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(8, 128)])
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[EqualTo("password", message=_l("The passwords do not match."))],
    )


class PasswordForm(NewPasswordForm):
    """A new password, with the current one as proof (the signed-in user's own change)."""

    current = PasswordField(_l("Current password"), validators=[DataRequired()])

    # Unticked, i.e. revoking, unless the user asks: a password change after a leak must also
    # shut out programs holding the account's tokens.
    keep_tokens = BooleanField(_l("Keep my API tokens working"))
