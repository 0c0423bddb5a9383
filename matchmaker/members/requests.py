"""Requests to join a registered organisation: asked at sign-up, decided by the organisation's
admin or an official. Approval makes the account (a member) with the password chosen when
asking; a refusal's reason is mailed to the applicant and shown when they try to sign in."""

from flask import url_for
from flask_babel import gettext as _
from sqlmodel import Session, col, select
from werkzeug.security import check_password_hash, generate_password_hash

from matchmaker.records import audit, notify
from matchmaker.records.versions import claim
from matchmaker.web.errors import Conflict, NotAllowed
from models import JoinRequest, JoinStatus, Organisation, Role, User
from models._types import utcnow

REASON_MAX = 500  # characters; the column's length


class JoinRefused(ValueError):
    """The request cannot be made as typed (the form's input, answered with 422); ``field``
    is the one to correct."""

    def __init__(self, message: str, field: str = "email") -> None:
        super().__init__(message)
        self.field = field


def organisation_by_code(session: Session, credit_code: str) -> Organisation | None:
    """The registered organisation with this unified social credit code."""
    return session.exec(
        select(Organisation).where(Organisation.credit_code == credit_code.strip().upper())
    ).first()


def ask(
    session: Session, *, credit_code: str, name: str, email: str, password: str, message: str
) -> JoinRequest:
    """Ask to join the organisation registered under `credit_code`; its admins are told."""
    org = organisation_by_code(session, credit_code)
    if org is None:
        raise JoinRefused(
            _("No organisation is registered with this code. Register it instead."),
            field="credit_code",
        )
    email = email.strip().lower()
    if session.exec(select(User).where(User.email == email)).first():
        raise JoinRefused(_("An account with this e-mail already exists."))
    if _pending(session, email):
        raise JoinRefused(_("A request with this e-mail is already waiting for a decision."))
    request = JoinRequest(
        organisation_id=org.id,
        email=email,
        name=name.strip(),
        password_hash=generate_password_hash(password),
        message=message.strip(),
    )
    session.add(request)
    audit.record(session, "membership.request", request, {"organisation": org.name})
    admins = session.exec(
        select(User).where(User.organisation_id == org.id, User.role == Role.org_admin)
    ).all()
    notify.notify_users(
        session,
        list(admins),
        "membership.requested",
        {"name": request.name, "org": org.name},
        url_for("members.index"),
    )
    return request


def _pending(session: Session, email: str) -> JoinRequest | None:
    return session.exec(
        select(JoinRequest).where(
            JoinRequest.email == email, JoinRequest.status == JoinStatus.pending
        )
    ).first()


def waiting_for(session: Session, *, email: str, password: str) -> JoinRequest | None:
    """The applicant's latest request, when the password is theirs (told at sign-in)."""
    request = session.exec(
        select(JoinRequest)
        .where(
            JoinRequest.email == email.strip().lower(), JoinRequest.status != JoinStatus.approved
        )
        .order_by(col(JoinRequest.id).desc())
    ).first()
    if request and check_password_hash(request.password_hash, password):
        return request
    return None


def listed(session: Session, *, organisation_id: int | None) -> list[tuple[JoinRequest, str]]:
    """Requests with their organisation's name: one organisation's, or (None) all; pending first."""
    query = select(JoinRequest, Organisation.name).join(
        Organisation, col(Organisation.id) == JoinRequest.organisation_id
    )
    if organisation_id is not None:
        query = query.where(JoinRequest.organisation_id == organisation_id)
    order = (col(JoinRequest.status) != JoinStatus.pending, col(JoinRequest.id).desc())
    return [(request, org) for request, org in session.exec(query.order_by(*order)).all()]


def approve(session: Session, request: JoinRequest, *, version: int | None, by: User) -> User:
    """Make the applicant's account (a member of the organisation); they are told in it."""
    _decide(session, request, version)
    if session.exec(select(User).where(User.email == request.email)).first():
        raise Conflict(_("An account with this e-mail was made meanwhile."))
    user = User(
        email=request.email,
        name=request.name,
        role=Role.member,
        organisation_id=request.organisation_id,
        password_hash=request.password_hash,
    )
    session.add(user)
    session.flush()
    request.status, request.user_id = JoinStatus.approved, user.id
    request.decided_by, request.decided_at = by.id, utcnow()
    audit.record(session, "membership.approve", request, {"user": user.id})
    org = session.get(Organisation, request.organisation_id)
    notify.notify_users(session, [user], "membership.approved", {"org": org.name}, "/")
    return user


def decline(
    session: Session, request: JoinRequest, *, version: int | None, by: User, reason: str
) -> None:
    """Refuse the request with a reason, mailed to the applicant (they have no inbox yet)."""
    _decide(session, request, version)
    request.status, request.reason = JoinStatus.declined, reason
    request.decided_by, request.decided_at = by.id, utcnow()
    audit.record(session, "membership.decline", request, {"reason": reason})
    org = session.get(Organisation, request.organisation_id)
    notify.mail_only(
        session, [request.email], "membership.declined", {"org": org.name, "reason": reason}, ""
    )


def _decide(session: Session, request: JoinRequest, version: int | None) -> None:
    if request.status != JoinStatus.pending:
        raise NotAllowed(_("This request has already been decided."))
    claim(session, request, version, _("Someone decided this request first. Reload to see it."))
