"""The inbox: each user's notifications, unread first, marked read one by one or all at once."""

import math

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from matchmaker.records import audit
from matchmaker.records.wording import render_notification
from matchmaker.web import htmx
from matchmaker.web.access import side, signed_in
from matchmaker.web.db import get_session
from matchmaker.web.security import parse_int
from models import Notification, User
from models._types import utcnow

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

# htmx event the nav badge listens for, so it refreshes after anything is marked read.
CHANGED_EVENT = "inbox-changed"


def unread_count(session: Session, user_id: int) -> int:
    """How many of the user's notifications are unread."""
    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, col(Notification.read_at).is_(None))
    ).one()


def _own_or_404(notification_id: int) -> Notification:
    """The signed-in user's notification; anyone else's answers 404."""
    note = get_session().get(Notification, notification_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    return note


def _read(notification_id: int) -> Notification:
    """Mark the user's notification read (once: reading it again changes nothing)."""
    session = get_session()
    note = _own_or_404(notification_id)
    if note.read_at is None:
        note.read_at = utcnow()
        audit.record(session, "notification.read", note)
        session.commit()
    return note


def _page_context() -> dict[str, object]:
    """The list of the user's notifications, unread first, newest first within each."""
    session = get_session()
    size = current_app.config["PAGE_SIZE"]
    mine = select(Notification).where(Notification.user_id == current_user.id)
    total = session.exec(select(func.count()).select_from(mine.subquery())).one()
    pages = max(1, math.ceil(total / size))
    page = request.args.get("page", "1")
    page = min(parse_int(page) or 1, pages)
    notes = session.exec(
        mine.order_by(
            col(Notification.read_at).is_not(None),  # False (unread) sorts first
            col(Notification.created_at).desc(),
            col(Notification.id).desc(),
        )
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return {
        "notes": notes,
        "page": page,
        "pages": pages,
        "unread": unread_count(session, current_user.id),
        "render_notification": render_notification,
    }


def _fragment(template: str, **context: object) -> Response:
    """A fragment answering an htmx POST (the page itself is never the answer to a POST)."""
    response = Response(render_template(template, **context))
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response


def _changed(response: Response) -> Response:
    """Tell the page the unread count changed, so the nav badge refreshes itself."""
    response.headers["HX-Trigger"] = CHANGED_EVENT
    return response


@bp.route("/")
@signed_in
def index() -> Response:
    """The user's notifications."""
    return htmx.render("inbox/index.html", "inbox/_list.html", target="inbox", **_page_context())


@bp.route("/<int:notification_id>/read", methods=["POST"])
@signed_in
def mark_read(notification_id: int) -> Response:
    """Mark one notification read; htmx gets the updated item back."""
    note = _read(notification_id)
    if htmx.wants_fragment():
        return _changed(
            _fragment("inbox/_item.html", note=note, render_notification=render_notification)
        )
    return redirect(url_for("inbox.index"))


@bp.route("/<int:notification_id>/open", methods=["POST"])
@signed_in
def open_link(notification_id: int) -> Response:
    """Mark a notification read and go to the object it is about."""
    note = _read(notification_id)
    # Links are stored as site paths; anything else (e.g. "//host") is not followed.
    target = note.link if note.link.startswith("/") and not note.link.startswith("//") else ""
    return redirect(target or url_for("inbox.index"))


@bp.route("/read-all", methods=["POST"])
@signed_in
def mark_all_read() -> Response:
    """Mark every unread notification of the user read."""
    session = get_session()
    result = session.exec(  # type: ignore[call-overload]
        update(Notification)
        .where(Notification.user_id == current_user.id, col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )
    if result.rowcount:
        audit.record(
            session,
            "notification.read_all",
            session.get(User, current_user.id),
            {"count": result.rowcount},
        )
    session.commit()
    if htmx.wants_fragment():
        return _changed(_fragment("inbox/_list.html", **_page_context()))
    return redirect(url_for("inbox.index"))


@bp.route("/badge")
@signed_in
def badge() -> Response:
    """The nav link with its unread count, refreshed by htmx after changes."""
    return _fragment("inbox/_badge.html")


@bp.app_context_processor
def _inbox_badge() -> dict[str, object]:
    """Give templates `inbox_unread()` and `current_side()`; they query only when called."""

    def inbox_unread() -> int:
        if not current_user.is_authenticated:
            return 0
        return unread_count(get_session(), current_user.id)

    return {"inbox_unread": inbox_unread, "current_side": side}
