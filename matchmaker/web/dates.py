"""Calendar dates in the platform's time zone (Asia/Shanghai), stored times in UTC."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app


def local_zone() -> ZoneInfo:
    """The platform's time zone, from the same setting that formats times for display."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_today() -> date:
    """Today's date where the platform's users are (not the server's UTC date)."""
    return datetime.now(local_zone()).date()


def local_date(moment: datetime) -> date:
    """The local calendar date of a stored UTC time."""
    return moment.astimezone(local_zone()).date()


def local_midnight_utc(day: date) -> datetime:
    """Midnight at the start of `day`, local time, as an aware UTC datetime."""
    return datetime.combine(day, time.min, tzinfo=local_zone()).astimezone(UTC)
