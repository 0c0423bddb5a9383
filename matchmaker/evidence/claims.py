"""A firm's claims (qualifications and reference cases) and where their evidence stands.

A claim is a qualification named on the organisation or on one of its capabilities, or a
reference case written on a capability. Its state follows from its files:

| state | when | counts in matching and filters | shown to the public |
|---|---|---|---|
| unbacked | no file yet | yes | no |
| pending | a file waits for an official | yes | no |
| verified | an approved file, in force | yes | yes, marked verified |
| expiring | verified, expiring within 30 days | yes | yes, marked verified |
| expired | the approved file's expiry date has passed | no | no |
| rejected | the latest file was rejected and none is approved | no | no |

An expired claim stays expired until a new file is approved: uploading one does not revive it.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, exists, or_
from sqlmodel import Session, col, select

from models import (
    Capability,
    CapabilityStatus,
    ClaimKind,
    Evidence,
    EvidenceStatus,
    Organisation,
)

EXPIRING_DAYS = 30


class State(StrEnum):
    unbacked = "unbacked"
    pending = "pending"
    verified = "verified"
    expiring = "expiring"
    expired = "expired"
    rejected = "rejected"


COUNTING = frozenset({State.unbacked, State.pending, State.verified, State.expiring})
PUBLIC = frozenset({State.verified, State.expiring})
# Files that say something about a claim's state; replaced and withdrawn ones are history.
LIVE = (EvidenceStatus.pending, EvidenceStatus.approved, EvidenceStatus.rejected)


class Claim(NamedTuple):
    """One claim of an organisation, with its state and every file it ever had."""

    kind: ClaimKind
    name: str
    state: State
    current: Evidence | None  # the approved file, in force or lapsed
    open: Evidence | None  # the newest file not approved: waiting, or the last one rejected
    files: list[Evidence]  # newest first, history included
    claimed: bool  # still named on the organisation or one of its capabilities

    @property
    def expires_on(self) -> date | None:
        """The approved file's expiry date, if any."""
        return self.current.expires_on if self.current else None


def state_of(
    files: Sequence[Evidence], today: date
) -> tuple[State, Evidence | None, Evidence | None]:
    """The claim's state from its files (newest first), its approved file and its open one."""
    approved = next((f for f in files if f.status == EvidenceStatus.approved), None)
    waiting = (EvidenceStatus.pending, EvidenceStatus.rejected)
    open_file = next((f for f in files if f.status in waiting), None)
    if approved is not None:
        ends = approved.expires_on
        if ends is not None and ends < today:
            return State.expired, approved, open_file
        if ends is not None and ends <= today + timedelta(days=EXPIRING_DAYS):
            return State.expiring, approved, open_file
        return State.verified, approved, open_file
    if open_file is None:
        return State.unbacked, None, None
    state = State.pending if open_file.status == EvidenceStatus.pending else State.rejected
    return state, None, open_file


def claimed_names(session: Session, org: Organisation) -> dict[ClaimKind, list[str]]:
    """The qualifications and reference cases the organisation names today, in order."""
    names: dict[ClaimKind, dict[str, None]] = {kind: {} for kind in ClaimKind}
    names[ClaimKind.qualification].update(dict.fromkeys(org.qualifications or []))
    capabilities = session.exec(
        select(Capability.qualifications, Capability.cases)
        .where(
            Capability.organisation_id == org.id,
            Capability.status != CapabilityStatus.withdrawn,
        )
        .order_by(col(Capability.id))
    )
    for qualifications, cases in capabilities:
        names[ClaimKind.qualification].update(dict.fromkeys(qualifications or []))
        names[ClaimKind.case].update(dict.fromkeys(cases or []))
    return {kind: list(found) for kind, found in names.items()}


def _files(session: Session, org_ids: Iterable[int] | None, *conditions: Any) -> list[Evidence]:
    stmt = select(Evidence).where(*conditions)
    if org_ids is not None:
        wanted = list(org_ids)
        if not wanted:  # no organisation, no files: a scenario page without interest asks so
            return []
        stmt = stmt.where(col(Evidence.organisation_id).in_(wanted))
    order = (col(Evidence.uploaded_at).desc(), col(Evidence.id).desc())
    return list(session.exec(stmt.order_by(*order)))


def claims_of(session: Session, org: Organisation, *, today: date) -> list[Claim]:
    """Every claim of the organisation (those no longer named, if they have files, last)."""
    grouped: dict[tuple[ClaimKind, str], list[Evidence]] = defaultdict(list)
    for file in _files(session, [org.id]):
        grouped[(file.kind, file.claim)].append(file)
    named = claimed_names(session, org)
    keys = [(kind, name) for kind in ClaimKind for name in named[kind]]
    keys += [key for key in grouped if key not in set(keys)]
    claims = []
    for kind, name in keys:
        files = grouped.get((kind, name), [])
        state, current, open_file = state_of(files, today)
        claimed = name in named[kind]
        claims.append(Claim(kind, name, state, current, open_file, files, claimed))
    return claims


def by_state(
    session: Session, *, kind: ClaimKind, today: date, org_ids: Iterable[int] | None = None
) -> dict[int, dict[str, State]]:
    """The state of each claim of `kind` that has files, by organisation (all, or `org_ids`)."""
    grouped: dict[tuple[int, str], list[Evidence]] = defaultdict(list)
    for file in _files(session, org_ids, Evidence.kind == kind, col(Evidence.status).in_(LIVE)):
        grouped[(file.organisation_id, file.claim)].append(file)
    states: dict[int, dict[str, State]] = defaultdict(dict)
    for (org_id, name), files in grouped.items():
        states[org_id][name] = state_of(files, today)[0]
    return states


def lapsed_qualifications(
    session: Session, *, today: date, org_ids: Iterable[int] | None = None
) -> dict[int, frozenset[str]]:
    """Qualifications that no longer count (expired or rejected), by organisation."""
    states = by_state(session, kind=ClaimKind.qualification, today=today, org_ids=org_ids)
    lapsed = {
        org_id: frozenset(name for name, state in named.items() if state not in COUNTING)
        for org_id, named in states.items()
    }
    return {org_id: names for org_id, names in lapsed.items() if names}


def counting(names: Iterable[str], lapsed: frozenset[str]) -> list[str]:
    """`names` without the lapsed ones, in their order."""
    return [name for name in names if name not in lapsed]


class Verified(NamedTuple):
    """An organisation's claims backed by approved evidence in force, with their expiry."""

    qualifications: dict[str, date | None]
    cases: dict[str, date | None]

    def of(self, kind: ClaimKind) -> dict[str, date | None]:
        """The verified claims of one kind."""
        return self.qualifications if kind == ClaimKind.qualification else self.cases


NOTHING_VERIFIED = Verified({}, {})


def in_force(today: date) -> ColumnElement[bool]:
    """The condition for an approved file still in force on `today`."""
    return (col(Evidence.status) == EvidenceStatus.approved) & or_(
        col(Evidence.expires_on).is_(None), col(Evidence.expires_on) >= today
    )


def verified(session: Session, org_ids: Iterable[int], *, today: date) -> dict[int, Verified]:
    """The verified claims of each organisation in `org_ids` (those with none are left out)."""
    wanted = set(org_ids)
    if not wanted:
        return {}
    rows = session.exec(
        select(Evidence.organisation_id, Evidence.kind, Evidence.claim, Evidence.expires_on).where(
            col(Evidence.organisation_id).in_(wanted), in_force(today)
        )
    )
    found: dict[int, Verified] = {}
    for org_id, kind, claim, expires_on in rows:
        held = found.setdefault(org_id, Verified({}, {}))
        held.of(kind)[claim] = expires_on
    return found


def holds_verified(organisation_id: Any, qualification: str, *, today: date) -> Any:
    """The SQL condition that the organisation holds `qualification`, verified and in force."""
    return exists().where(
        col(Evidence.organisation_id) == organisation_id,
        Evidence.kind == ClaimKind.qualification,
        Evidence.claim == qualification,
        in_force(today),
    )


class Shown(NamedTuple):
    """A claim as a capability's page shows it."""

    name: str
    state: State
    expires_on: date | None


def shown(
    session: Session, capability: Capability, *, today: date, insider: bool
) -> dict[ClaimKind, list[Shown]]:
    """The capability's qualifications and cases with their state: every one for its firm and
    officials, only the verified ones in force for everyone else."""
    org_id = capability.organisation_id
    states = {
        kind: by_state(session, kind=kind, today=today, org_ids=[org_id]).get(org_id, {})
        for kind in ClaimKind
    }
    held = verified(session, [org_id], today=today).get(org_id, NOTHING_VERIFIED)
    listed = {ClaimKind.qualification: capability.qualifications, ClaimKind.case: capability.cases}
    found = {}
    for kind, names in listed.items():
        items = [
            Shown(name, states[kind].get(name, State.unbacked), held.of(kind).get(name))
            for name in names or []
        ]
        found[kind] = items if insider else [item for item in items if item.state in PUBLIC]
    return found
