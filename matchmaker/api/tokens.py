"""Personal API tokens: issue (shown once), list, revoke, and find whose a token is."""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from matchmaker.records import audit
from models import ApiToken, User
from models._types import utcnow

TOKEN_PREFIX = "mm_"  # noqa: S105  (a marker that makes leaked tokens easy to scan for)  # nosec B105
# last_used_at is written at most this often per token, so reads stay reads.
TOUCH_EVERY = timedelta(minutes=1)


class Issued(NamedTuple):
    token: ApiToken
    secret: str  # the token itself; never stored, shown to its owner once


def hash_secret(secret: str) -> str:
    """The stored form of a token: its SHA-256 hex digest."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def issue(session: Session, *, user: User, name: str) -> Issued:
    """Create a token for `user`; the secret in the result is the only copy."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name.strip(), token_hash=hash_secret(secret), prefix=secret[:10]
    )
    session.add(token)
    audit.record(session, "api_token.create", token, {"name": token.name}, user_id=user.id)
    session.commit()
    return Issued(token, secret)


def of_user(session: Session, *, user_id: int) -> list[ApiToken]:
    """The user's tokens, active first, newest first."""
    return list(
        session.exec(
            select(ApiToken)
            .where(ApiToken.user_id == user_id)
            .order_by(col(ApiToken.revoked_at).is_not(None), col(ApiToken.id).desc())
        )
    )


def revoke(session: Session, *, user_id: int, token_id: int) -> ApiToken | None:
    """Revoke one of the user's tokens at once; None if it is not theirs."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        return None
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, "api_token.revoke", token, {"name": token.name}, user_id=user_id)
        session.commit()
    return token


def revoke_all(session: Session, *, user_id: int) -> int:
    """Revoke every active token of the user, in the caller's transaction; how many."""
    active = session.exec(
        select(ApiToken).where(ApiToken.user_id == user_id, col(ApiToken.revoked_at).is_(None))
    ).all()
    for token in active:
        token.revoked_at = utcnow()
        audit.record(session, "api_token.revoke", token, {"name": token.name}, user_id=user_id)
    return len(active)


def _aware(moment: datetime) -> datetime:
    # SQLite hands datetimes back naive; they were stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def user_for(session: Session, secret: str) -> User | None:
    """The active user owning this unrevoked token, or None; notes when it was last used."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    row = session.exec(
        select(ApiToken, User)
        .join(User, col(User.id) == ApiToken.user_id)
        .where(
            ApiToken.token_hash == hash_secret(secret),
            col(ApiToken.revoked_at).is_(None),
            col(User.is_active).is_(True),
        )
    ).first()
    if row is None:
        return None
    token, user = row
    now = utcnow()
    if token.last_used_at is None or now - _aware(token.last_used_at) > TOUCH_EVERY:
        token.last_used_at = now
        try:
            session.commit()
        except OperationalError:
            # SQLite may refuse to turn this read into a write when another writer got in
            # first; the timestamp is only a hint for the owner, so the request goes on.
            session.rollback()
    return user
