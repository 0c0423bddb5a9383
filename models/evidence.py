"""Evidence: a file a firm attaches to one of its claims (a qualification or a reference case),
checked by an official, approved until an expiry date or rejected with a reason."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models._types import enum_field, utcnow


class ClaimKind(StrEnum):
    qualification = "qualification"
    case = "case"


class EvidenceStatus(StrEnum):
    pending = "pending"  # waiting in the officials' queue
    approved = "approved"  # backs its claim until expires_on (none: no expiry)
    rejected = "rejected"  # refused, with the reason
    replaced = "replaced"  # a newer file of the same claim took its place; kept as history
    withdrawn = "withdrawn"  # deleted by its organisation before it was approved; bytes removed


class Evidence(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_evidence_claim", "organisation_id", "kind", "claim"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    kind: ClaimKind = enum_field(ClaimKind, ClaimKind.qualification)
    # The qualification's name, or the reference case as the firm wrote it on a capability.
    claim: str = Field(max_length=300)
    status: EvidenceStatus = enum_field(EvidenceStatus, EvidenceStatus.pending, index=True)
    filename: str = Field(max_length=200)  # as uploaded; the download name is built, not this
    media_type: str = Field(max_length=40)  # found from the content, never from the name
    size: int
    sha256: str = Field(max_length=64)
    stored_name: str = Field(max_length=80, unique=True)  # under EVIDENCE_DIR
    expires_on: date | None = None  # from the certificate, set by the approving official
    reason: str = Field(default="", max_length=500)  # an official's reason for rejecting
    replaces_id: int | None = Field(default=None, foreign_key="evidence.id")
    uploaded_by_id: int = Field(foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=utcnow)
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    # `matchmaker evidence-reminders` marks each message once, so running it again sends none.
    reminded_at: datetime | None = None  # thirty days before expires_on
    lapse_noticed_at: datetime | None = None  # on expiry
    version: int = Field(default=1)
