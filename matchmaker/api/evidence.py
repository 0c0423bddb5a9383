"""Evidence through the API: a firm reads where its claims stand, officials read the queue.

Uploading and deciding stay on the web pages, where the file is checked and opened.
"""

from sqlmodel import col, select

from matchmaker.api import registry
from matchmaker.api.problems import ApiProblem
from matchmaker.api.reads import organisations
from matchmaker.api.schemas import (
    ClaimList,
    ClaimStatus,
    EvidenceFile,
    EvidenceListParams,
    EvidencePage,
    OrganisationRef,
)
from matchmaker.api.spec import N_, TOKEN, roles, side, viewer
from matchmaker.entries.listing import paged
from matchmaker.evidence import claims
from matchmaker.web.access import STAFF
from matchmaker.web.dates import local_today
from matchmaker.web.db import get_session
from models import Evidence, Organisation, OrgKind


def evidence_out(evidence: Evidence, org: Organisation) -> EvidenceFile:
    """A file as the API shows it."""
    return EvidenceFile.model_validate(
        evidence.model_dump() | {"organisation": OrganisationRef.model_validate(org)}
    )


@registry.operation(
    "GET",
    "/claims",
    summary=N_("My organisation's claims and their evidence"),
    tag="Evidence",
    access=side(OrgKind.supply),
    response=ClaimList,
)
def list_claims() -> ClaimList:
    """Every qualification and reference case your firm names, with the state of its evidence
    (verified until a date, expiring, expired, rejected with a reason, pending or unbacked)
    and every file it had, newest first."""
    session = get_session()
    org = session.get(Organisation, viewer().organisation_id)
    found = claims.claims_of(session, org, today=local_today())
    return ClaimList(
        items=[
            ClaimStatus(
                kind=claim.kind.value,
                name=claim.name,
                state=claim.state.value,
                expires_on=claim.expires_on,
                claimed=claim.claimed,
                files=[evidence_out(file, org) for file in claim.files],
            )
            for claim in found
        ]
    )


@registry.operation(
    "GET",
    "/evidence",
    summary=N_("The evidence queue"),
    tag="Evidence",
    access=roles(*STAFF),
    query=EvidenceListParams,
    response=EvidencePage,
)
def list_evidence(*, params: EvidenceListParams) -> EvidencePage:
    """Evidence files of every firm in one status (pending: the queue), oldest first.
    Officials only."""
    session = get_session()
    stmt = (
        select(Evidence)
        .where(Evidence.status == params.status)
        .order_by(col(Evidence.uploaded_at), col(Evidence.id))
    )
    page = paged(session, stmt, page=params.page, page_size=params.per_page)
    orgs = organisations(session, (e.organisation_id for e in page.items))
    items = [evidence_out(e, orgs[e.organisation_id]) for e in page.items]
    return EvidencePage.of(items, page, params.per_page)


@registry.operation(
    "GET",
    "/evidence/{evidence_id}",
    summary=N_("One evidence file's status"),
    tag="Evidence",
    access=TOKEN,
    response=EvidenceFile,
    problems=(404,),
)
def get_evidence(*, evidence_id: int) -> EvidenceFile:
    """A file of your organisation's, or any file for officials; others' are not found."""
    session = get_session()
    evidence = session.get(Evidence, evidence_id)
    user = viewer()
    if evidence is None or not (
        evidence.organisation_id == user.organisation_id or user.role in STAFF
    ):
        raise ApiProblem(404)
    return evidence_out(evidence, session.get(Organisation, evidence.organisation_id))
