"""What changes evidence: a firm attaches or withdraws a file, an official approves it until an
expiry date or rejects it with a reason, and the daily command reminds and lapses.

Each change writes its audit row and tells the firm (inbox, and e-mail where SMTP is set up).
Files are never overwritten: a new file of the same claim takes the place of the waiting one,
which stays (status replaced) with its bytes, as does an approved file its renewal replaces.
"""

import re
from datetime import date, timedelta
from pathlib import Path
from typing import IO, NamedTuple

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import update
from sqlmodel import Session, col, select

from matchmaker.evidence import claims, files
from matchmaker.pairing import recommend
from matchmaker.records import audit, notify
from matchmaker.records.versions import claim as claim_version
from matchmaker.web.errors import NotAllowed
from matchmaker.web.text import visible
from models import (
    Capability,
    ClaimKind,
    Evidence,
    EvidenceStatus,
    Organisation,
    User,
)
from models._types import utcnow

REASON_MAX = 500
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LONGEST_VALIDITY = timedelta(days=366 * 30)  # an expiry further off is a typing mistake
REMIND_ACTION = "evidence.remind"
LAPSE_ACTION = "evidence.lapse"


class EvidenceRefused(Exception):
    """Input the rules refuse (422); `field` names the form field to show it on."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _facts(evidence: Evidence) -> dict[str, object]:
    """What the audit trail keeps of a file."""
    return {
        "kind": evidence.kind.value,
        "claim": evidence.claim,
        "filename": evidence.filename,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "status": evidence.status.value,
    }


def claim_files(
    session: Session, organisation_id: int, kind: ClaimKind, name: str
) -> list[Evidence]:
    """Every file of one claim, newest first."""
    return list(
        session.exec(
            select(Evidence)
            .where(
                Evidence.organisation_id == organisation_id,
                Evidence.kind == kind,
                Evidence.claim == name,
            )
            .order_by(col(Evidence.uploaded_at).desc(), col(Evidence.id).desc())
        )
    )


def check_claim(session: Session, org: Organisation, kind: ClaimKind, name: str) -> None:
    """Raise EvidenceRefused unless the organisation names this claim today."""
    if name not in claims.claimed_names(session, org)[kind]:
        raise EvidenceRefused(
            _("Attach evidence to a qualification or case that your organisation claims.")
        )


def attach(
    session: Session,
    *,
    user: User,
    kind: ClaimKind,
    name: str,
    source: IO[bytes],
    filename: str,
    directory: Path,
) -> Evidence:
    """Store a checked file as the evidence of one of the user's organisation's claims.

    Raises EvidenceRefused for a claim the organisation does not make and files.FileRefused for
    a file that is refused; neither leaves anything behind. The caller commits, and removes
    the stored file (`files.remove`) if the commit fails.
    """
    org = session.get(Organisation, user.organisation_id)
    assert org is not None
    check_claim(session, org, kind, name)
    stored = files.receive(source, directory)
    history = claim_files(session, org.id, kind, name)
    _replace(session, history, EvidenceStatus.pending)
    evidence = Evidence(
        organisation_id=org.id,
        kind=kind,
        claim=name,
        # Shown to officials: no path, control or direction-changing characters ("fdp.exe").
        filename=files.UNSAFE_NAME.sub("_", visible(filename))[-200:] or "evidence",
        media_type=stored.media_type,
        size=stored.size,
        sha256=stored.sha256,
        stored_name=stored.stored_name,
        replaces_id=next((f.id for f in history if f.status != EvidenceStatus.withdrawn), None),
        uploaded_by_id=user.id,
    )
    session.add(evidence)
    audit.record(
        session, "evidence.upload", evidence, {**_facts(evidence), "replaces": evidence.replaces_id}
    )
    return evidence


def withdraw(session: Session, evidence: Evidence, *, version: int | None) -> str:
    """The firm deletes a file no official has approved; returns the stored name to remove.

    Like a capability once published, an approved file is no longer the firm's to delete: it
    is replaced by a newer one. The row stays (withdrawn) so the history shows it existed.
    """
    if evidence.status not in (EvidenceStatus.pending, EvidenceStatus.rejected):
        raise NotAllowed(_("Only a file that is waiting or was rejected can be deleted."))
    claim_version(session, evidence, version, _changed_first())
    evidence.status = EvidenceStatus.withdrawn
    session.add(evidence)
    audit.record(session, "evidence.withdraw", evidence, _facts(evidence))
    return evidence.stored_name


def approve(
    session: Session,
    evidence: Evidence,
    *,
    version: int | None,
    expires_on: date | None,
    today: date,
    user_id: int,
) -> None:
    """An official approves a waiting file until `expires_on` (from the certificate).

    A qualification's certificate always has an expiry date; a case's contract may have none.
    The claim's earlier approved file, if any, is replaced by this one.
    """
    _still_waiting(evidence)
    if expires_on is None and evidence.kind == ClaimKind.qualification:
        raise EvidenceRefused(
            _("Enter the expiry date printed on the certificate."), field="expires_on"
        )
    if expires_on is not None and expires_on <= today:
        raise EvidenceRefused(
            _("The expiry date must be after today; an expired certificate cannot be approved."),
            field="expires_on",
        )
    if expires_on is not None and expires_on > today + LONGEST_VALIDITY:
        raise EvidenceRefused(_("The expiry date is too far off."), field="expires_on")
    claim_version(session, evidence, version, _changed_first())
    history = claim_files(session, evidence.organisation_id, evidence.kind, evidence.claim)
    _replace(session, history, EvidenceStatus.approved)
    evidence.expires_on = expires_on
    until = expires_on.isoformat() if expires_on else ""
    _decide(session, evidence, EvidenceStatus.approved, user_id, until=until)


def reject(
    session: Session, evidence: Evidence, *, version: int | None, reason: str, user_id: int
) -> None:
    """An official rejects a waiting file, with the reason the firm is told."""
    _still_waiting(evidence)
    reason = reason.strip()
    if not reason:
        raise EvidenceRefused(_("Say why, so that the firm can put it right."), field="reason")
    if CONTROL.search(reason):  # PostgreSQL refuses NUL; no other control character is text
        raise EvidenceRefused(
            _("Enter printable text, without control characters."), field="reason"
        )
    if len(reason) > REASON_MAX:
        raise EvidenceRefused(_("At most %(count)d characters.", count=REASON_MAX), field="reason")
    claim_version(session, evidence, version, _changed_first())
    evidence.reason = reason
    _decide(session, evidence, EvidenceStatus.rejected, user_id, reason=reason)


def _still_waiting(evidence: Evidence) -> None:
    if evidence.status != EvidenceStatus.pending:
        raise NotAllowed(_("This file has already been decided, replaced or deleted."))


def _replace(session: Session, history: list[Evidence], status: EvidenceStatus) -> None:
    """Mark the claim's files in `status` replaced: a newer file takes their place."""
    for earlier in (f for f in history if f.status == status):
        earlier.status = EvidenceStatus.replaced
        earlier.version += 1
        session.add(earlier)


def _decide(
    session: Session, evidence: Evidence, status: EvidenceStatus, user_id: int, **details: str
) -> None:
    """Record an official's decision: the file's status, the audit row, the firm told."""
    evidence.status = status
    evidence.decided_by_id = user_id
    evidence.decided_at = utcnow()
    verb = {EvidenceStatus.approved: "approve", EvidenceStatus.rejected: "reject"}[status]
    audit.record(
        session, f"evidence.{verb}", evidence, {**_facts(evidence), **details}, user_id=user_id
    )
    _tell(session, evidence, f"evidence.{status.value}", **details)


def _changed_first() -> str:
    return _("Someone else changed this file first. Reload to see where it stands.")


def _tell(session: Session, evidence: Evidence, kind: str, **params: str) -> None:
    notify.notify_org(
        session,
        evidence.organisation_id,
        kind,
        {"claim": evidence.claim, "kind": evidence.kind.value, **params},
        link=url_for("evidence.mine"),
    )


# ----- the daily command ------------------------------------------------------------------


class Sent(NamedTuple):
    """What one run of `matchmaker evidence-reminders` did."""

    reminded: list[Evidence]  # expiring within 30 days: the firm was reminded now
    lapsed: list[Evidence]  # expired: the firm was told, and the claim no longer counts
    rescored: int  # capabilities whose recommendations were recomputed without it


def _mark_once(session: Session, evidence: Evidence, column: str) -> bool:
    """Set `column` to now unless another run already did; True if this run did."""
    now = utcnow()
    result = session.exec(
        update(Evidence)
        .where(col(Evidence.id) == evidence.id, getattr(Evidence, column).is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    setattr(evidence, column, now)
    return True


def send_reminders(session: Session, *, today: date) -> Sent:
    """Remind firms 30 days before a file expires and tell them when it has; each once.

    Approved files only: a replaced one has a successor. Safe to run any number of times a
    day, and by two processes at once (each message is claimed by a conditional update).
    """
    approved = select(Evidence).where(
        Evidence.status == EvidenceStatus.approved, col(Evidence.expires_on).is_not(None)
    )
    due = session.exec(
        approved.where(
            col(Evidence.expires_on) >= today,
            col(Evidence.expires_on) <= today + timedelta(days=claims.EXPIRING_DAYS),
            col(Evidence.reminded_at).is_(None),
        ).order_by(col(Evidence.expires_on), col(Evidence.id))
    ).all()
    reminded = []
    for evidence in due:
        if _mark_once(session, evidence, "reminded_at"):
            assert evidence.expires_on is not None
            days = (evidence.expires_on - today).days
            until = evidence.expires_on.isoformat()
            audit.record(
                session, REMIND_ACTION, evidence, {"claim": evidence.claim, "until": until}
            )
            _tell(session, evidence, "evidence.expiring", until=until, days=str(days))
            reminded.append(evidence)
    ended = session.exec(
        approved.where(
            col(Evidence.expires_on) < today, col(Evidence.lapse_noticed_at).is_(None)
        ).order_by(col(Evidence.expires_on), col(Evidence.id))
    ).all()
    lapsed = []
    for evidence in ended:
        if _mark_once(session, evidence, "lapse_noticed_at"):
            assert evidence.expires_on is not None
            on = evidence.expires_on.isoformat()
            audit.record(session, LAPSE_ACTION, evidence, {"claim": evidence.claim, "expired": on})
            _tell(session, evidence, "evidence.expired", on=on)
            lapsed.append(evidence)
    orgs = {e.organisation_id for e in lapsed if e.kind == ClaimKind.qualification}
    return Sent(reminded, lapsed, _rescore(session, orgs))


def _rescore(session: Session, org_ids: set[int]) -> int:
    """Recompute the recommendations of these firms' capabilities (a qualification lapsed).

    The fitted index catches up at the next `matchmaker match`; these capabilities' own
    recommendations no longer count the lapsed qualification from now on.
    """
    if not org_ids:
        return 0
    capabilities = session.exec(
        select(Capability).where(
            col(Capability.organisation_id).in_(org_ids),
            col(Capability.status).in_(recommend.MATCHABLE),
        )
    ).all()
    for capability in capabilities:
        recommend.recommend_entry(session, capability)
    return len(capabilities)
