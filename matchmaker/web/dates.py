"""One clock: times are stored in UTC and shown, exported and served in China Standard Time.

Every page, export and API answer shows a stored time through `local_time` (the templates'
`when`, `day` and `local_time` filters), so no page can show UTC while another shows UTC+8.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import Flask, current_app

DAY = "%Y-%m-%d"
MINUTE = "%Y-%m-%d %H:%M"


def local_zone() -> ZoneInfo:
    """The platform's time zone (Asia/Shanghai), from BABEL_DEFAULT_TIMEZONE."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_today() -> date:
    """Today's date where the platform's users are (not the server's UTC date)."""
    return datetime.now(local_zone()).date()


def local_time(moment: datetime) -> datetime:
    """A stored time in the platform's time zone (a naive one is UTC, as SQLite returns it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(local_zone())


def local_date(moment: datetime) -> date:
    """The local calendar date of a stored UTC time."""
    return local_time(moment).date()


def local_midnight_utc(day: date) -> datetime:
    """Midnight at the start of `day`, local time, as an aware UTC datetime."""
    return datetime.combine(day, time.min, tzinfo=local_zone()).astimezone(UTC)


def when(moment: datetime | None, pattern: str = MINUTE) -> str:
    """A stored time as people read it, e.g. '2024-03-02 04:30' (local time); '' for none."""
    return local_time(moment).strftime(pattern) if moment is not None else ""


def day(moment: datetime | date | None) -> str:
    """The local date of a stored time (or a calendar date as it is), e.g. '2024-03-02'."""
    if moment is None:
        return ""
    return when(moment, DAY) if isinstance(moment, datetime) else moment.strftime(DAY)


def init_app(app: Flask) -> None:
    """Register the filters templates show times with."""
    app.add_template_filter(when)
    app.add_template_filter(day)
    app.add_template_filter(local_time)
