"""In-app inbox messages."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models._types import utcnow


class Notification(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str = Field(max_length=40)  # message key, translated when shown
    params: dict = Field(default_factory=dict, sa_type=sa.JSON)
    link: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    read_at: datetime | None = None
