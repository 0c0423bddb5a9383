"""Column helpers shared by the table modules."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC (SQLModel stores aware datetimes)."""
    return datetime.now(UTC)


def enum_field(enum_cls: type[StrEnum], default: StrEnum, **kwargs: Any) -> Any:
    """A string-backed enum column; not a native PostgreSQL ENUM, so migrations stay simple."""
    return Field(
        default=default,
        sa_type=sa.Enum(
            enum_cls,
            native_enum=False,
            length=24,
            values_callable=lambda members: [m.value for m in members],
            validate_strings=True,
        ),
        **kwargs,
    )


def json_list_field(**kwargs: Any) -> Any:
    """A JSON list column (tags, qualifications, tokens…)."""
    return Field(default_factory=list, sa_type=sa.JSON, **kwargs)
