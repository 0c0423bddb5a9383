"""Alerts: a published entry that a saved search found, recorded once per search and entry."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models._types import json_list_field, utcnow


class Alert(SQLModel, table=True):
    # One row per search and entry: recording it again finds the row and changes nothing,
    # which is what makes delivery idempotent.
    __table_args__ = (sa.UniqueConstraint("saved_search_id", "entry_id"),)

    id: int | None = Field(default=None, primary_key=True)
    saved_search_id: int = Field(foreign_key="saved_search.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    entry_id: int  # a scenario or a capability, as the search's kind says
    # For searches that follow what fits: the matcher's score, the user's organisation's entry
    # it fits best, and why (the same explanation as a recommendation's).
    score: float | None = None
    counterpart_id: int | None = None
    counterpart_title: str = Field(default="", max_length=80)
    terms: list = json_list_field()
    matched_tags: list[str] = json_list_field()
    reasons: list = json_list_field()
    created_at: datetime = Field(default_factory=utcnow, index=True)
    notified_at: datetime | None = None  # put in the inbox
    mailed_at: datetime | None = None  # sent in a digest
