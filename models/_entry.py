"""Fields shared by the two kinds of list entry: scenarios (demand) and capabilities (supply)."""

import unicodedata
from datetime import datetime

import sqlalchemy as sa
from pydantic import field_validator
from sqlmodel import Field, SQLModel

from models._types import SearchTerms, json_list_field, utcnow


class EntryBase(SQLModel):
    title: str = Field(min_length=4, max_length=80, index=True)
    summary: str = Field(default="", max_length=200)
    description: str = Field(min_length=20, max_length=4000)
    field: str = Field(max_length=40, index=True)
    district: str = Field(default="", max_length=40, index=True)
    tags: list[str] = json_list_field()

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, value: list[str]) -> list[str]:
        # One tag however often it is typed, in any case or width (OCR, ocr, ＯＣＲ): the first.
        kept: dict[str, str] = {}
        for tag in (t.strip() for t in value if t and t.strip()):
            kept.setdefault(unicodedata.normalize("NFKC", tag).casefold(), tag)
        cleaned = list(kept.values())
        if len(cleaned) > 12 or any(len(t) > 30 for t in cleaned):
            raise ValueError("at most 12 tags of up to 30 characters")
        return cleaned


class EntryRecord(SQLModel):
    """Bookkeeping columns every stored entry has."""

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=20, unique=True)  # e.g. S0001 in seed lists
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    batch_id: int | None = Field(default=None, foreign_key="batch.id", index=True)
    # Matcher tokens, computed once when the entry is saved so re-matching never re-segments.
    tokens: dict[str, list[str]] = Field(default_factory=dict, sa_type=sa.JSON)
    search_text: str = Field(default="", sa_type=sa.Text)  # normalised, for LIKE search
    # The terms of search_text the search index holds (entries.indexing.search_terms).
    search_terms: list[str] = Field(default_factory=list, sa_type=SearchTerms)
    review_note: str = Field(default="", max_length=500)
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None


__all__ = ["EntryBase", "EntryRecord"]
