"""A person's request to join an organisation that is already registered."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from models._types import enum_field, utcnow


class JoinStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    declined = "declined"


class JoinRequest(SQLModel, table=True):
    __tablename__ = "join_request"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    email: str = Field(max_length=254, index=True)
    name: str = Field(min_length=1, max_length=60)
    # The password chosen when asking; the account made on approval takes it over.
    password_hash: str = Field(max_length=255)
    message: str = Field(default="", max_length=500)  # to whoever decides
    status: JoinStatus = enum_field(JoinStatus, JoinStatus.pending)
    reason: str = Field(default="", max_length=500)  # told to the applicant when declined
    user_id: int | None = Field(default=None, foreign_key="user.id")  # the account, once approved
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    version: int = Field(default=1)
