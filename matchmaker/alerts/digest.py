"""Delivering alerts by period: the inbox always, and one e-mail digest per user and period.

`matchmaker alerts --period daily` (see commands/alerts.py) asks for the users with alerts
waiting on their searches of that frequency, and for each: `collect` their alerts, `deliver`
them to the inbox (marking them delivered, so that the next run finds nothing), then `compose`
and send one e-mail and `mark_mailed`. Delivery is committed before the mail goes out: a mail
that fails is not sent twice by a later run (the inbox has it), and a run stopped halfway
sends the rest next time. Alerts older than their period's look-back are not delivered (they
stay on the search's page): switching a search from "never" to "daily" does not send a year
of them at once.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import NamedTuple

from flask import render_template, url_for
from flask_babel import ngettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update
from sqlmodel import Session, col, select

from matchmaker.alerts.searches import MODELS, SHOWN
from matchmaker.entries import deadlines
from matchmaker.records import audit, notify
from matchmaker.web.links import absolute
from models import Alert, Frequency, SavedSearch, Scenario, SearchKind, User
from models._types import utcnow

LOOKBACK = {
    Frequency.immediately: timedelta(days=1),
    Frequency.daily: timedelta(days=2),
    Frequency.weekly: timedelta(days=14),
}
MAIL_ITEMS = 10  # entries of one saved search in one e-mail; a link leads to the rest
INBOX_TITLES = 3  # titles named in the inbox message of one search
_SALT = "alerts-unsubscribe"


class Item(NamedTuple):
    """One entry a search found, with its alert (score and explanation for fits)."""

    entry: object
    alert: Alert


class Group(NamedTuple):
    """One saved search's new entries in a digest, ranked: best fit or newest first."""

    search: SavedSearch
    items: list[Item]


class Digest(NamedTuple):
    """What one user is told in one run."""

    user: User
    groups: list[Group]
    alert_ids: list[int]  # every alert delivered by it, shown or no longer shown


def _waiting(period: Frequency, now: datetime) -> list:
    """The conditions of alerts waiting for delivery in a run of `period` at `now`."""
    return [
        col(Alert.notified_at).is_(None),
        col(Alert.created_at) >= now - LOOKBACK[period],
        SavedSearch.frequency == period,
    ]


def recipients(session: Session, period: Frequency, *, now: datetime) -> list[int]:
    """The active users with alerts waiting on their searches of `period`."""
    return list(
        session.exec(
            select(Alert.user_id)
            .join(SavedSearch, col(SavedSearch.id) == col(Alert.saved_search_id))
            .join(User, col(User.id) == col(Alert.user_id))
            .where(*_waiting(period, now), col(User.is_active))
            .distinct()
            .order_by(Alert.user_id)
        )
    )


def _entries(session: Session, kind: SearchKind, ids: Iterable[int], today: date) -> dict:
    """The entries of `ids` still published (and, scenarios, open): only those are told."""
    model = MODELS[kind]
    shown = [col(model.id).in_(list(ids)), col(model.status).in_(SHOWN[kind])]
    if model is Scenario:
        shown.append(deadlines.open_on(today))
    return {entry.id: entry for entry in session.exec(select(model).where(*shown))}


def collect(
    session: Session, user_id: int, period: Frequency, *, now: datetime, today: date
) -> Digest | None:
    """The user's waiting alerts of `period`, grouped by search and ranked; None if none.

    On PostgreSQL the alerts are locked until the caller commits, and alerts another run has
    locked are skipped: two runs at once never deliver one alert twice. (SQLite writes one
    transaction at a time anyway.)
    """
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    rows = session.exec(
        select(Alert, SavedSearch)
        .join(SavedSearch, col(SavedSearch.id) == col(Alert.saved_search_id))
        .where(Alert.user_id == user_id, *_waiting(period, now))
        .order_by(SavedSearch.name, SavedSearch.id)
        .with_for_update(skip_locked=True, of=Alert)  # type: ignore[arg-type]
    ).all()
    if not rows:
        return None
    by_search: dict[int, tuple[SavedSearch, list[Alert]]] = {}
    for alert, search in rows:
        by_search.setdefault(search.id, (search, []))[1].append(alert)
    groups = []
    for search, alerts in by_search.values():
        entries = _entries(session, SearchKind(search.kind), (a.entry_id for a in alerts), today)
        items = [Item(entries[a.entry_id], a) for a in alerts if a.entry_id in entries]
        if search.matched:
            items.sort(key=lambda item: (-(item.alert.score or 0), -item.entry.id))
        else:
            items.sort(
                key=lambda item: (item.entry.published_at or now, item.entry.id), reverse=True
            )
        if items:
            groups.append(Group(search, items))
    return Digest(user, groups, [alert.id for alert, _search in rows])


def deliver(session: Session, digest: Digest, *, now: datetime) -> None:
    """Put one inbox message per search in the user's inbox and mark the alerts delivered."""
    for search, items in digest.groups:
        titles = "、".join(item.entry.title for item in items[:INBOX_TITLES])
        if len(items) > INBOX_TITLES:
            titles += " …"
        notify.notify_users(
            session,
            [digest.user],
            "alert.found",
            {"search": search.name, "count": len(items), "titles": titles},
            url_for("alerts.results", search_id=search.id),
            mail=False,  # the digest is the e-mail
        )
    session.exec(
        update(Alert)
        .where(col(Alert.id).in_(digest.alert_ids))
        .values(notified_at=now)
        .execution_options(synchronize_session=False)
    )


def mark_mailed(session: Session, alert_ids: list[int], *, now: datetime) -> None:
    """Record that the alerts went out by e-mail."""
    session.exec(
        update(Alert)
        .where(col(Alert.id).in_(alert_ids))
        .values(mailed_at=now)
        .execution_options(synchronize_session=False)
    )


# ----- the e-mail ------------------------------------------------------------------------------


def unsubscribe_token(secret: str, user_id: int, search_ids: list[int]) -> str:
    """The signed token of an e-mail's unsubscribe link: whose mail, for which searches."""
    return URLSafeSerializer(secret, salt=_SALT).dumps({"u": user_id, "s": search_ids})


def read_unsubscribe_token(secret: str, token: str) -> tuple[int, list[int]] | None:
    """(user id, search ids) of a token this site signed; None for anything else."""
    try:
        data = URLSafeSerializer(secret, salt=_SALT).loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    user_id, search_ids = data.get("u"), data.get("s")
    if not isinstance(user_id, int) or not isinstance(search_ids, list):
        return None
    if not all(isinstance(i, int) for i in search_ids):
        return None
    return user_id, search_ids


def compose(digest: Digest, *, secret: str) -> EmailMessage:
    """The digest e-mail: grouped by search, ranked, MAIL_ITEMS at most a search, with a
    one-click unsubscribe link (and the List-Unsubscribe headers mail programs show)."""
    token = unsubscribe_token(secret, digest.user.id, [g.search.id for g in digest.groups])
    unsubscribe = absolute(url_for("alerts.unsubscribe", token=token))
    count = sum(len(group.items) for group in digest.groups)
    message = EmailMessage()
    message["To"] = digest.user.email
    message["Subject"] = ngettext(
        "%(num)d new entry for your saved searches",
        "%(num)d new entries for your saved searches",
        count,
    )
    # RFC 8058: the mail program unsubscribes with one POST to this address, no sign-in.
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(
        render_template(
            "alerts/digest.txt",
            digest=digest,
            most=MAIL_ITEMS,
            unsubscribe=unsubscribe,
            absolute=absolute,
        )
    )
    return message


# ----- unsubscribing ---------------------------------------------------------------------------


def unsubscribe(session: Session, user_id: int, search_ids: list[int]) -> list[SavedSearch]:
    """Stop the user's searches among `search_ids` sending anything (frequency "never").

    They stay saved, with their page and feed. Searches deleted since, or someone else's,
    are left alone; unsubscribing twice changes nothing the second time.
    """
    searches = session.exec(
        select(SavedSearch).where(
            col(SavedSearch.id).in_(search_ids),
            SavedSearch.user_id == user_id,
            SavedSearch.frequency != Frequency.never,
        )
    ).all()
    now = utcnow()
    for search in searches:
        # Whoever holds the link acted: the signed-in user if any, else nobody known (as
        # with a password reset link); the search itself names its owner.
        audit.record(
            session,
            "saved_search.unsubscribe",
            search,
            {"frequency": Frequency.never.value, "was": search.frequency.value},
        )
        search.frequency = Frequency.never
        search.version += 1
        search.updated_at = now
    return list(searches)
