"""Column helpers shared by the table modules."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
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


class SearchTerms(sa.types.TypeDecorator):
    """A list of search terms: a text[] on PostgreSQL (for a GIN index), elsewhere one string
    of space-separated terms (what SQLite's FTS5 reads). Terms never hold a space."""

    impl = sa.Text
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(sa.Text))
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value: list[str] | None, dialect: sa.Dialect) -> Any:
        if value is None or dialect.name == "postgresql":
            return value
        return " ".join(value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> list[str] | None:
        if value is None or dialect.name == "postgresql":
            return value
        return value.split()
