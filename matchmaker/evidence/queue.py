"""The officials' queue: files waiting for a decision, oldest first."""

from typing import NamedTuple

from sqlmodel import Session, col, select

from matchmaker.entries.listing import Page, paged
from models import Evidence, EvidenceStatus, Organisation


class Waiting(NamedTuple):
    """A file in the officials' queue, with its firm and the claim's approved file, if any."""

    evidence: Evidence
    organisation: Organisation
    current: Evidence | None  # the approved file this one would replace


def waiting(session: Session, *, page: int, page_size: int) -> Page:
    """Files waiting for an official, oldest first, a page at a time (items are Waiting)."""
    stmt = (
        select(Evidence, Organisation)
        .join(Organisation, col(Organisation.id) == col(Evidence.organisation_id))
        .where(Evidence.status == EvidenceStatus.pending)
        .order_by(col(Evidence.uploaded_at), col(Evidence.id))
    )
    found = paged(session, stmt, page=page, page_size=page_size)
    items = []
    for evidence, org in found.items:
        current = session.exec(
            select(Evidence).where(
                Evidence.organisation_id == evidence.organisation_id,
                Evidence.kind == evidence.kind,
                Evidence.claim == evidence.claim,
                Evidence.status == EvidenceStatus.approved,
            )
        ).first()
        items.append(Waiting(evidence, org, current))
    return found._replace(items=items)
