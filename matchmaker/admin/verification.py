"""Officials verify (or refuse) the organisations that registered: the list, and each decision."""

import math
from typing import NamedTuple

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_
from sqlmodel import Session, col, select

from matchmaker.records import audit, notify
from matchmaker.web.errors import NotAllowed
from models import Organisation, OrgKind, User
from models._types import utcnow

REASON_MAX = 500  # characters; the column's length


class Applicant(NamedTuple):
    """An organisation on the verification list, with the person who registered it."""

    org: Organisation
    contact: User | None  # its first account: the one created at registration


class VerificationPage(NamedTuple):
    rows: list[Applicant]
    page: int
    pages: int
    total: int


def applicants(session: Session, *, text: str, page: int, page_size: int) -> VerificationPage:
    """Organisations matching `text` (name, credit code, contact's name or e-mail), one page.

    Waiting ones first, then refused ones, then verified; newest first within each.
    """
    query = select(Organisation)
    text = text.strip()
    if text:
        pattern = f"%{text}%"
        contact_matches = exists().where(
            col(User.organisation_id) == col(Organisation.id),
            or_(col(User.name).ilike(pattern), col(User.email).ilike(pattern)),
        )
        query = query.where(
            or_(
                col(Organisation.name).ilike(pattern),
                col(Organisation.credit_code).ilike(pattern),
                contact_matches,
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    pages = max(1, math.ceil(total / page_size))
    page = min(max(page, 1), pages)
    orgs = session.exec(
        query.order_by(
            col(Organisation.verified),
            col(Organisation.rejected_at).is_not(None),
            col(Organisation.id).desc(),
        )
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    contacts = _first_users(session, [org.id for org in orgs])
    return VerificationPage([Applicant(o, contacts.get(o.id)) for o in orgs], page, pages, total)


def _first_users(session: Session, org_ids: list[int | None]) -> dict[int, User]:
    """The first account of each organisation (its registrant), by organisation id."""
    first: dict[int, User] = {}
    if org_ids:
        users = session.exec(
            select(User).where(col(User.organisation_id).in_(org_ids)).order_by(col(User.id))
        )
        for user in users:
            first.setdefault(user.organisation_id, user)
    return first


def verify(session: Session, org: Organisation) -> bool:
    """Mark `org` verified (clearing an earlier refusal); False if it already was."""
    if org.verified:
        return False
    org.verified = True
    org.verified_at = utcnow()
    org.rejected_at, org.rejection_reason = None, ""
    audit.record(session, "organisation.verify", org, {"verified": True})
    notify.notify_org(session, org.id, "organisation.verified", {"name": org.name}, _next(org))
    return True


def reject(session: Session, org: Organisation, *, reason: str) -> None:
    """Refuse to verify `org`, with the reason its users see; NotAllowed if it is verified."""
    if org.verified:
        raise NotAllowed(_("%(name)s is already verified.", name=org.name))
    org.rejected_at = utcnow()
    org.rejection_reason = reason
    audit.record(session, "organisation.reject", org, {"reason": reason})
    notify.notify_org(
        session, org.id, "organisation.rejected", {"name": org.name, "reason": reason}, _next(org)
    )


# Once verified, the details are the ones an official checked: only an official changes them.
VERIFIED_DETAILS = _l("A verified organisation's details are changed by an official.")


class CodeTaken(ValueError):
    """Another registered organisation already has this credit code."""


def correct(
    session: Session, org: Organisation, *, name: str, credit_code: str, district: str
) -> None:
    """The organisation corrects its registered details while it is not verified; a refusal is
    withdrawn with it, so it waits for an official's check again (first on their list)."""
    if org.verified:
        raise NotAllowed(str(VERIFIED_DETAILS))
    taken = session.exec(
        select(Organisation.id).where(
            Organisation.credit_code == credit_code, Organisation.id != org.id
        )
    ).first()
    if taken is not None:
        raise CodeTaken(_("Another organisation is registered with this code."))
    before = {"name": org.name, "credit_code": org.credit_code, "district": org.district}
    org.name, org.credit_code, org.district = name, credit_code, district
    was = {key: value for key, value in before.items() if getattr(org, key) != value}
    org.rejected_at, org.rejection_reason = None, ""
    audit.record(session, "organisation.correct", org, {"was": was})


def _next(org: Organisation) -> str:
    """Where the organisation's members go from the message: their drafts."""
    area = {OrgKind.demand: "scenarios", OrgKind.supply: "capabilities"}.get(org.kind)
    return url_for(f"{area}.mine") if area else ""
