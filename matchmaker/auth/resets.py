"""One-time password-reset links: an admin issues one, its user sets a new password with it.

Only the SHA-256 hash of a link's secret is stored; a link works once, until it expires, and
issuing a new one spends the user's earlier ones.
"""

import secrets
from datetime import timedelta
from typing import NamedTuple

from sqlmodel import Session, col, select, update
from werkzeug.security import generate_password_hash

from matchmaker.api.tokens import hash_secret
from matchmaker.records import audit
from models import PasswordReset, User
from models._types import utcnow

VALID_FOR = timedelta(hours=72)  # long enough for an admin to hand the link over by hand


class Issued(NamedTuple):
    reset: PasswordReset
    secret: str  # the link's secret; never stored, shown or mailed once


def issue(session: Session, *, user: User, by_user_id: int) -> Issued:
    """A new reset link for `user` (earlier unused ones stop working); audited on the user."""
    _spend_open_links(session, user.id)
    secret = secrets.token_urlsafe(32)
    reset = PasswordReset(
        user_id=user.id,
        token_hash=hash_secret(secret),
        created_by=by_user_id,
        expires_at=utcnow() + VALID_FOR,
    )
    session.add(reset)
    audit.record(session, "user.reset_link", user, {"expires_at": reset.expires_at.isoformat()})
    return Issued(reset, secret)


def find(session: Session, secret: str) -> tuple[PasswordReset, User] | None:
    """The unspent, unexpired link with this secret and its active user, or None."""
    if len(secret) > 100:
        return None
    row = session.exec(
        select(PasswordReset, User)
        .join(User, col(User.id) == PasswordReset.user_id)
        .where(
            PasswordReset.token_hash == hash_secret(secret),
            col(PasswordReset.used_at).is_(None),
            col(PasswordReset.expires_at) > utcnow(),
            col(User.is_active).is_(True),
        )
    ).first()
    return (row[0], row[1]) if row else None


def use(session: Session, reset: PasswordReset, user: User, *, password: str) -> None:
    """Set `user`'s new password through `reset`; the link is spent, other sessions end."""
    user.password_hash = generate_password_hash(password)
    user.session_version += 1
    _spend_open_links(session, user.id)
    audit.record(session, "user.password_reset", user, {"reset": reset.id})


def _spend_open_links(session: Session, user_id: int | None) -> None:
    session.exec(
        update(PasswordReset)
        .where(col(PasswordReset.user_id) == user_id, col(PasswordReset.used_at).is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
