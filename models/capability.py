"""Capabilities (企业能力): what a supply-side firm can deliver."""

from enum import StrEnum

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
    status: CapabilityStatus = enum_field(CapabilityStatus, CapabilityStatus.draft, index=True)


_search.attach(Capability.__table__)
