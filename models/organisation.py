"""Organisations: demand side, supply side and authorities."""

from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from sqlmodel import Field, SQLModel

from matchmaker.auth.creditcode import is_valid as credit_code_is_valid
from models._types import enum_field, json_list_field, utcnow


class OrgKind(StrEnum):
    demand = "demand"
    supply = "supply"
    authority = "authority"


class OrganisationBase(SQLModel):
    name: str = Field(min_length=2, max_length=120, index=True)
    kind: OrgKind = enum_field(OrgKind, OrgKind.demand)
    credit_code: str = Field(min_length=18, max_length=18, unique=True)
    district: str = Field(default="", max_length=40)
    qualifications: list[str] = json_list_field()
    description: str = Field(default="", max_length=2000)

    @field_validator("credit_code")
    @classmethod
    def _check_credit_code(cls, value: str) -> str:
        value = value.strip().upper()
        if not credit_code_is_valid(value):
            raise ValueError("invalid unified social credit code")
        return value


class Organisation(OrganisationBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, max_length=40, unique=True)  # stable seed reference
    verified: bool = Field(default=False)
    verified_at: datetime | None = None
    # An official's refusal, with the reason the organisation is shown; verifying clears it.
    rejected_at: datetime | None = None
    rejection_reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
