"""Personal API tokens: only a SHA-256 hash of each token is stored, never the token itself."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models._types import utcnow


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(min_length=1, max_length=60)
    # sha256 hex digest of the token; a leaked database does not leak usable tokens.
    token_hash: str = Field(min_length=64, max_length=64, unique=True, index=True)
    # The first characters of the token, so its owner can tell tokens apart on the page.
    prefix: str = Field(max_length=12)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
