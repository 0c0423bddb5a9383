"""Text as people type it, before it is stored: invisible and direction-changing characters
removed, so that no title or name can hide text, reverse it in lists and exports, or look the
same as another while differing (U+202E, zero-width spaces, byte-order marks, tag characters).

Web forms (`Form`) and import cells (`spreadsheets.files.to_text`) pass through `visible`
once; the API refuses them instead (`BMP_INVISIBLE` in its text patterns), so that its
OpenAPI document says exactly what it accepts.
"""

import re
import unicodedata
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    Field,
    FloatField,
    IntegerField,
    PasswordField,
    StringField,
    validators,
)

# Unicode's "format" characters (category Cf: all of those of the Unicode version Python
# ships, which a test checks), plus the fillers that render as nothing although they are
# letters (Hangul fillers, the combining grapheme joiner). Passwords are not touched.
# The ones of the Basic Multilingual Plane, as a regex class body in \\uXXXX escapes that
# pydantic's engine and JSON Schema validators read alike: the API refuses these.
BMP_INVISIBLE = (
    r"\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u180e"
    r"\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb"
)
INVISIBLE = re.compile(
    "["
    + BMP_INVISIBLE
    + "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    "]"
)


def visible(value: Any) -> Any:
    """`value` without invisible or direction-changing characters; in a list, each item
    (dropping those left blank); anything else unchanged."""
    if isinstance(value, str):
        return INVISIBLE.sub("", value)
    if isinstance(value, list):
        items = [visible(item) for item in value]
        return [item for item in items if not isinstance(item, str) or item.strip()]
    return value


# For a box ticked that the form never offered (a stale page, or a hand-made request).
NOT_OFFERED = _l("“%(value)s” is not one of the choices offered here.")


def half_width(value: Any) -> Any:
    """Full-width digits and signs (１３８００１３８０００, typed with a Chinese input method) as
    the ordinary ones: a phone number is the same number either way."""
    return unicodedata.normalize("NFKC", value) if isinstance(value, str) else value


def _trimmed(value: Any) -> Any:
    # Spaces around a text (full-width ones too) are not part of it: a title of "  ab  " is
    # two characters long, and the length check says so.
    return value.strip() if isinstance(value, str) else value


class Form(FlaskForm):
    """The base of every web form: text fields (not passwords) pass through `visible` and are
    trimmed; a value that cannot be read as a number or a date gets one plain message."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            """Bind a field, putting `visible` and trimming before the field's own filters."""
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                filters = unbound_field.kwargs.get("filters", ())
                options["filters"] = (visible, _trimmed, *filters)
            return super().bind_field(form, unbound_field, options)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            # "Not a valid float value." and then "must be between 0 and 1000000" for one
            # typed "abc": the reader gets what to type instead, once.
            # (An empty optional field clears its errors: nothing was typed, nothing to say.)
            message = _unreadable(field) if field.process_errors and field.errors else None
            if message:
                field.errors = [message]
        return valid


def _unreadable(field: Field) -> str | None:
    """What to type in a number or date field whose text could not be read as one."""
    if isinstance(field, IntegerField):
        return _("Enter a whole number, in digits.")
    if isinstance(field, FloatField | DecimalField):
        return _("Enter a number, in digits.")
    if isinstance(field, DateField):
        return _("Enter a date as YYYY-MM-DD, e.g. 2024-06-30.")
    return None


class Length(validators.Length):
    """WTForms' Length saying which bound the text missed: its own message names both
    ("must be between 20 and 4000 characters long") whichever was missed."""

    def __call__(self, form: Any, field: Field) -> None:
        count = len(field.data or "")
        if self.min != -1 and count < self.min:
            raise validators.ValidationError(_("Enter at least %(n)s characters.", n=self.min))
        if self.max != -1 and count > self.max:
            raise validators.ValidationError(_("Enter at most %(n)s characters.", n=self.max))


def field_labels(*forms: type[FlaskForm]) -> dict[str, object]:
    """Each field's label by field name, as the forms name it (the audit trail names changed
    fields with them); the first form naming a field wins."""
    found: dict[str, object] = {}
    for form in forms:
        for name, unbound in vars(form).items():
            label = getattr(unbound, "kwargs", {}).get("label") or next(
                iter(getattr(unbound, "args", ())), None
            )
            if label is not None and not name.startswith("_"):
                found.setdefault(name, label)
    return found
