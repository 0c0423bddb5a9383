"""Saved searches: a user's search of the scenario or capability list, kept to be alerted."""

from datetime import datetime
from enum import StrEnum

from pydantic import model_validator
from sqlmodel import Field, SQLModel

from models._types import enum_field, json_list_field, utcnow


class SearchKind(StrEnum):
    """Which list a saved search searches (named as the list's pages are)."""

    scenarios = "scenarios"
    capabilities = "capabilities"


class Frequency(StrEnum):
    """How often a saved search's new entries are delivered (inbox and e-mail)."""

    immediately = "immediately"
    daily = "daily"
    weekly = "weekly"
    never = "never"  # kept for its page (and feed) only


class Criteria(SQLModel):
    """What a saved search looks for; empty criteria find every published entry."""

    q: str = Field(default="", max_length=100)
    fields: list[str] = json_list_field()
    districts: list[str] = json_list_field()
    # Scenarios only, like the list's budget filter: a range the scenario's budget reaches into.
    budget_min_wan: int | None = Field(default=None, ge=0, le=1_000_000)
    budget_max_wan: int | None = Field(default=None, ge=0, le=1_000_000)
    # Scenarios only: the deadline between these many days from the day the search runs.
    deadline_min_days: int | None = Field(default=None, ge=0, le=3650)
    deadline_max_days: int | None = Field(default=None, ge=0, le=3650)
    # Only entries the matcher finds fitting the organisation's own published entries
    # (a firm's capabilities for scenarios, a buyer's open scenarios for capabilities).
    matched: bool = False

    @model_validator(mode="after")
    def _ranges_in_order(self) -> "Criteria":
        for low, high in (
            (self.budget_min_wan, self.budget_max_wan),
            (self.deadline_min_days, self.deadline_max_days),
        ):
            if low is not None and high is not None and low > high:
                raise ValueError("a range's lower end exceeds its upper end")
        return self


class SavedSearchBase(Criteria):
    name: str = Field(min_length=1, max_length=60)
    frequency: Frequency = enum_field(Frequency, Frequency.daily)
    # A public search's page and Atom feed can be read by anyone who has the link.
    public: bool = False


class SavedSearch(SavedSearchBase, table=True):
    __tablename__ = "saved_search"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: SearchKind = enum_field(SearchKind, SearchKind.scenarios)  # fixed once saved
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
