"""A scenario's deadline and contact, as posting checks them and as the lists show them.

Past its deadline a scenario is closed (截止): shown so, it takes no more interest (揭榜) and
the matcher no longer recommends it. Posting (form, API, import) refuses a deadline already past
and a phone number no one could dial; the model cannot check either alone (the deadline needs
today's date, and the seed lists load past deadlines on purpose).
"""

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, or_
from sqlmodel import col

from models import Scenario

PAST_DEADLINE = _l("The deadline has passed already; choose today or a later date.")
BAD_PHONE = _l(
    "Enter a phone number that can be dialled: a mobile number (13800000000) or a landline "
    "with its area code (023-67000000), optionally with an extension (023-67000000转123)."
)
# A mobile number (+86 allowed), a landline with its area code and an optional extension, or
# a 400/800 number. Written so that JSON Schema (the API's document) can state it as well.
PHONE_PATTERN = (
    r"^(?:(?:\+86[ -]?)?1[3-9][0-9]{9}"
    r"|0[0-9]{2,3}-?[0-9]{7,8}(?:(?:转|-)[0-9]{1,6})?"
    r"|[48]00-?[0-9]{3}-?[0-9]{4})$"
)
_PHONE = re.compile(PHONE_PATTERN)


def passed(deadline: date | None, today: date) -> bool:
    """True when a deadline is set and over (the deadline day itself still counts)."""
    return deadline is not None and deadline < today


def open_on(today: date) -> ColumnElement[bool]:
    """The condition for scenarios whose deadline has not passed (or that set none)."""
    return or_(col(Scenario.deadline).is_(None), col(Scenario.deadline) >= today)


def phone_ok(phone: str) -> bool:
    """True for an empty contact phone or one written as PHONE_PATTERN says."""
    phone = (phone or "").strip()
    return not phone or _PHONE.fullmatch(phone) is not None


def posting_problems(deadline: date | None, phone: str, *, today: date) -> dict[str, str]:
    """The fields of a scenario being posted that must change, with the reason for each."""
    problems = {}
    if passed(deadline, today):
        problems["deadline"] = str(PAST_DEADLINE)
    if not phone_ok(phone):
        problems["contact_phone"] = str(BAD_PHONE)
    return problems
