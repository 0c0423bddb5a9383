"""Accounts: every user belongs to one organisation."""

from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr
from sqlmodel import Field, SQLModel

from models._types import enum_field, utcnow


class Role(StrEnum):
    member = "member"
    org_admin = "org_admin"
    official = "official"
    admin = "admin"


class UserBase(SQLModel):
    email: EmailStr = Field(max_length=254, unique=True, index=True)
    name: str = Field(min_length=1, max_length=60)
    role: Role = enum_field(Role, Role.member)


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    # Bumped on logout-everywhere and password change; part of the session id so old
    # sessions stop matching at once.
    session_version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    # The language the user last chose; their e-mails are written in it.
    language: str = Field(default="zh", max_length=8)

    # flask-login's user protocol. The id carries session_version so that bumping it
    # (logout everywhere, password change) invalidates every other session at once.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"
