"""One-time password-reset links: only a SHA-256 hash of each link's secret is stored."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models._types import utcnow


class PasswordReset(SQLModel, table=True):
    __tablename__ = "password_reset"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    # sha256 hex digest of the link's secret; a leaked database opens no account.
    token_hash: str = Field(min_length=64, max_length=64, unique=True, index=True)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None  # used, or replaced by a newer link: either way spent
