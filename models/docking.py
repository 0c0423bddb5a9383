"""Docking follow-up (供需对接跟踪): dated, attributed steps on a published pairing."""

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from models._types import enum_field, utcnow


class DockingStage(StrEnum):
    contacted = "contacted"
    negotiating = "negotiating"
    signed = "signed"
    closed = "closed"


class DockingEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    recommendation_id: int = Field(foreign_key="recommendation.id", index=True)
    stage: DockingStage = enum_field(DockingStage, DockingStage.contacted)
    occurred_on: date
    note: str = Field(default="", max_length=1000)
    contract_amount_wan: float | None = Field(default=None, ge=0)
    reason: str = Field(default="", max_length=500)  # why a docking was closed
    user_id: int = Field(foreign_key="user.id")
    organisation_id: int = Field(foreign_key="organisation.id")
    # A step recorded in error stays (with its audit row) and points at the step correcting it;
    # only steps without a correction count.
    corrected_by_id: int | None = Field(default=None, foreign_key="dockingevent.id", unique=True)
    created_at: datetime = Field(default_factory=utcnow)
