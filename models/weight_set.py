"""The matcher's blend weights: the shipped ones, and each set learnt from decisions."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models._types import utcnow


class WeightSet(SQLModel, table=True):
    """One fit of the blend's weights with the figures it was judged by.

    ``kept`` sets are the ones the matcher used from their creation until a later one was
    kept; a set that did not beat the weights in use stays here with its figures.
    """

    id: int | None = Field(default=None, primary_key=True)
    weights: dict[str, float] = Field(default_factory=dict, sa_type=sa.JSON)
    decisions: int = 0  # decided pairs the matcher could score
    trained_on: int = 0
    tested_on: int = 0
    # ROC AUC on the held-out decisions: of the weights in use then, and of these.
    current_auc: float | None = None
    new_auc: float | None = None
    kept: bool = Field(default=False, index=True)
    created_at: datetime = Field(default_factory=utcnow)
