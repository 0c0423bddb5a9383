"""Scenario ↔ capability pairings: recommended by the matcher or born from interest (揭榜)."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models._types import enum_field, json_list_field, utcnow


class RecommendationStatus(StrEnum):
    recommended = "recommended"
    approved = "approved"
    rejected = "rejected"
    published = "published"


class RecommendationSource(StrEnum):
    matcher = "matcher"
    interest = "interest"


class Recommendation(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("scenario_id", "capability_id"),)

    id: int | None = Field(default=None, primary_key=True)
    scenario_id: int = Field(foreign_key="scenario.id")  # indexed with status, below
    capability_id: int = Field(foreign_key="capability.id", index=True)
    score: float = Field(default=0.0, index=True)
    parts: dict[str, float] = Field(default_factory=dict, sa_type=sa.JSON)
    terms: list[list] = json_list_field()  # [term, weight] pairs
    matched_tags: list[str] = json_list_field()
    reasons: list[list] = json_list_field()  # [code, value] pairs, translated by the UI
    source: RecommendationSource = enum_field(RecommendationSource, RecommendationSource.matcher)
    # The pair's score on the scenario's list of k capabilities and on the capability's list
    # of k scenarios (each side scores a pair a little differently), or None when the matcher
    # did not put it on that list. The per-entry cap (pairing.recommend) counts and compares
    # these.
    scenario_list_score: float | None = None
    capability_list_score: float | None = None
    status: RecommendationStatus = enum_field(
        RecommendationStatus, RecommendationStatus.recommended
    )
    reviewer_id: int | None = Field(default=None, foreign_key="user.id")
    note: str = Field(default="", max_length=500)
    decided_at: datetime | None = None
    batch_id: int | None = Field(default=None, foreign_key="batch.id", index=True)
    # The learnt weights the matcher scored this pairing with (None: the shipped weights).
    weight_set_id: int | None = Field(default=None, foreign_key="weightset.id")
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


# The review queue: one status, best score first, then id. The first index hands out a page
# in order without sorting the status's rows (and serves every lookup by status alone); the
# second counts the pairings awaiting a decision whose scenario is still open without reading
# the table (and serves every lookup by scenario).
_columns = Recommendation.__table__.c  # type: ignore[attr-defined]
sa.Index("ix_recommendation_queue", _columns.status, _columns.score.desc(), _columns.id)
sa.Index("ix_recommendation_scenario_status", _columns.scenario_id, _columns.status)
