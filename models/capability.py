"""Capabilities (企业能力): what a supply-side firm can deliver."""

from enum import StrEnum

import sqlalchemy as sa

from models import _search
from models._entry import EntryBase, EntryRecord
from models._types import enum_field, json_list_field


class CapabilityStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    published = "published"
    withdrawn = "withdrawn"


class CapabilityBase(EntryBase):
    products: list[str] = json_list_field()
    cases: list[str] = json_list_field()
    qualifications: list[str] = json_list_field()


class Capability(CapabilityBase, EntryRecord, table=True):
    # A list's page is found in the index of its order alone (the id and status are
    # in it too), however deep the page: see entries.listing.
    __table_args__ = (
        sa.Index("ix_capability_by_newest", "published_at", "id", "status"),
        # A slice's entries are recounted from this index alone (dashboard.rollup).
        sa.Index("ix_capability_slice", "field", "district", "status", "batch_id"),
        sa.Index("ix_capability_by_title", "title", "id", "status"),
        # Entries changed since the matcher was fitted are found here (pairing.recommend).
        sa.Index("ix_capability_by_change", "updated_at"),
    )

    status: CapabilityStatus = enum_field(CapabilityStatus, CapabilityStatus.draft, index=True)


_search.attach(Capability.__table__)
