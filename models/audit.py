"""Append-only audit trail: who changed what, when (UTC)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models._types import utcnow


class AuditEntry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    action: str = Field(max_length=60, index=True)
    object_type: str = Field(max_length=40, index=True)
    object_id: int | None = Field(default=None, index=True)
    changes: dict = Field(default_factory=dict, sa_type=sa.JSON)
