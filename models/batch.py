"""Numbered publication batches (e.g. 2023年第一批)."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from models._types import enum_field, utcnow

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99 in Chinese numerals, as batch names write them (一, 十, 十二, 二十一)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return f"{_DIGITS[tens] if tens > 1 else ''}十{_DIGITS[ones] if ones else ''}"


def default_name(year: int, number: int) -> str:
    """The usual name of a batch, e.g. 2023年第一批."""
    return f"{year}年第{chinese_number(number)}批"


class BatchStatus(StrEnum):
    draft = "draft"
    published = "published"


class BatchBase(SQLModel):
    name: str = Field(min_length=2, max_length=40, unique=True)
    year: int = Field(ge=2000, le=2100)
    number: int = Field(ge=1, le=99)
    note: str = Field(default="", max_length=1000)


class Batch(BatchBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    status: BatchStatus = enum_field(BatchStatus, BatchStatus.draft)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None
    version: int = Field(default=1)
