"""Application scenarios (应用场景): needs posted by the demand side."""

from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from pydantic import model_validator
from sqlmodel import Field

from models import _search
from models._entry import EntryBase, EntryRecord
from models._types import enum_field


class ScenarioStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    published = "published"
    closed = "closed"


class ScenarioBase(EntryBase):
    # The problem statement, split so a thin description is easy to spot and flag.
    problem: str = Field(default="", max_length=1000)
    target_users: str = Field(default="", max_length=500)
    current_state: str = Field(default="", max_length=1000)
    expected_outcome: str = Field(default="", max_length=1000)
    budget_min_wan: float | None = Field(default=None, ge=0, le=1_000_000)
    budget_max_wan: float | None = Field(default=None, ge=0, le=1_000_000)
    deadline: date | None = None
    contact_name: str = Field(default="", max_length=40)
    contact_phone: str = Field(default="", max_length=40)

    @model_validator(mode="after")
    def _budget_in_order(self) -> "ScenarioBase":
        low, high = self.budget_min_wan, self.budget_max_wan
        if low is not None and high is not None and low > high:
            raise ValueError("budget minimum exceeds maximum")
        return self


class Scenario(ScenarioBase, EntryRecord, table=True):
    # A list's page is found in the index of its order alone (the id and status are
    # in it too), however deep the page: see entries.listing.
    __table_args__ = (
        sa.Index("ix_scenario_by_newest", "published_at", "id", "status"),
        # A slice's entries are recounted from this index alone (dashboard.rollup).
        sa.Index("ix_scenario_slice", "field", "district", "status", "batch_id", "id"),
        sa.Index("ix_scenario_by_title", "title", "id", "status"),
        # Entries changed since the matcher was fitted are found here (pairing.recommend).
        sa.Index("ix_scenario_by_change", "updated_at"),
        sa.Index("ix_scenario_by_deadline", "deadline", "id", "status"),
        sa.Index("ix_scenario_by_budget", "budget_max_wan", "id", "status"),
    )

    status: ScenarioStatus = enum_field(ScenarioStatus, ScenarioStatus.draft, index=True)


_search.attach(Scenario.__table__)
