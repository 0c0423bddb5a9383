"""Interest (揭榜): a firm raising its hand for a published scenario."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models._types import enum_field, utcnow


class InterestStatus(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"


class Interest(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("scenario_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    capability_id: int | None = Field(default=None, foreign_key="capability.id")
    user_id: int = Field(foreign_key="user.id")
    message: str = Field(default="", max_length=1000)
    status: InterestStatus = enum_field(InterestStatus, InterestStatus.pending)
    reason: str = Field(default="", max_length=500)  # told to the firm when declined
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
