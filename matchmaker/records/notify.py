"""Notifications: an in-app inbox row per user, and e-mail when SMTP is configured."""

import smtplib
from email.message import EmailMessage
from typing import Any

from flask import current_app, has_app_context
from flask_babel import force_locale, get_locale
from sqlalchemy import event
from sqlmodel import Session, col, select

from matchmaker.web.links import absolute
from models import Notification, User


def notify_users(
    session: Session, users: list[User], kind: str, params: dict[str, Any], link: str = ""
) -> list[Notification]:
    """Put a message of `kind` in each active user's inbox (committed with the caller)."""
    notes = [
        Notification(user_id=u.id, kind=kind, params=params, link=link)
        for u in users
        if u.is_active
    ]
    session.add_all(notes)
    if notes and has_app_context() and current_app.config.get("SMTP_HOST"):
        # One mail per language, each written in its readers' language.
        readers: dict[str, list[str]] = {}
        for user in users:
            if user.is_active:
                readers.setdefault(user.language, []).append(user.email)
        for language, emails in readers.items():
            _queue_mail(session, (emails, kind, params, link, language))
    return notes


def notify_org(
    session: Session, organisation_id: int, kind: str, params: dict[str, Any], link: str = ""
) -> list[Notification]:
    """Notify every active user of an organisation."""
    users = session.exec(
        select(User).where(User.organisation_id == organisation_id, col(User.is_active))
    ).all()
    return notify_users(session, list(users), kind, params, link)


def mail_only(
    session: Session,
    recipients: list[str],
    kind: str,
    params: dict[str, Any],
    link: str,
    *,
    language: str | None = None,
) -> bool:
    """Mail a message with no inbox row (a secret link must not be stored), in `language`
    (by default the sending page's); False without SMTP."""
    if not (has_app_context() and current_app.config.get("SMTP_HOST")):
        return False
    _queue_mail(session, (recipients, kind, params, link, language or str(get_locale())))
    return True


Mail = tuple[list[str], str, dict[str, Any], str, str]  # recipients, kind, params, link, language


def _queue_mail(session: Session, mail: Mail) -> None:
    """Send `mail` once the caller's transaction commits; a rollback drops it unsent."""
    if not session.info.get("mail_hooks"):
        event.listen(session, "after_commit", _send_queued)
        event.listen(session, "after_rollback", lambda s: s.info.pop("mail_queue", None))
        session.info["mail_hooks"] = True
    session.info.setdefault("mail_queue", []).append(mail)


def _send_queued(session: Session) -> None:
    for mail in session.info.pop("mail_queue", []):
        _send_mail(*mail)


def _send_mail(
    recipients: list[str], kind: str, params: dict[str, Any], link: str, language: str
) -> None:
    """Send one plain-text mail in `language`; failures are logged, never raised into the
    request."""
    from matchmaker.records.wording import render_notification

    config = current_app.config
    message = EmailMessage()
    message["From"] = config["SMTP_SENDER"]
    message["Bcc"] = ", ".join(recipients)
    with force_locale(language):
        sentence = render_notification(kind, params)
    message["Subject"] = sentence
    message.set_content(f"{sentence}\n\n{absolute(link)}")
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("Could not send notification mail")
