"""The data version: one number that every committed write to the database moves on.

Pages answer repeat visits from it (ETag → 304) and caches of computed figures are keyed on it
(matchmaker/web/freshness.py bumps it and reads it). One row, id 1.
"""

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class DataVersion(SQLModel, table=True):
    __tablename__ = "data_version"

    id: int = Field(default=1, primary_key=True)
    # Starts at the first write's time in microseconds and counts up by one per committed
    # write, so a database built anew never repeats a version an older one handed out.
    version: int = Field(default=0, sa_type=sa.BigInteger)
