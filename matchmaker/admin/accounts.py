"""Admins manage accounts: disable or enable, change a role, hand out a password-reset link."""

from flask_babel import gettext as _
from sqlalchemy import or_
from sqlmodel import Session, col, select

from matchmaker.entries.listing import Page, paged
from matchmaker.records import audit
from matchmaker.web.errors import NotAllowed
from models import Organisation, OrgKind, Role, User


class RoleRefused(ValueError):
    """A role the account's organisation cannot hold (the form's input, answered with 422)."""


def roles_for(org: Organisation) -> tuple[Role, ...]:
    """The roles an account of `org` may hold: staff roles belong to the authority alone."""
    if org.kind == OrgKind.authority:
        return (Role.official, Role.admin)
    return (Role.member, Role.org_admin)


def find(session: Session, *, text: str, page: int, page_size: int) -> Page:
    """(account, organisation) rows whose name, e-mail or organisation holds `text`, one
    page, oldest account first."""
    query = select(User, Organisation).join(Organisation).order_by(col(User.id))
    if text := text.strip():
        pattern = f"%{text}%"
        query = query.where(
            or_(
                col(User.name).ilike(pattern),
                col(User.email).ilike(pattern),
                col(Organisation.name).ilike(pattern),
            )
        )
    return paged(session, query, page=page, page_size=page_size)


def set_active(session: Session, user: User, active: bool, *, acting_user_id: int) -> bool:
    """Disable an account (its sessions end at once) or enable it again; never one's own.

    False if it already was as asked: another admin got there first, and what they did stands.
    """
    if user.id == acting_user_id:
        raise NotAllowed(_("You cannot disable your own account."))
    if user.is_active == active:
        return False
    user.is_active = active
    user.session_version += 1
    audit.record(session, "user.active", user, {"is_active": user.is_active})
    return True


def change_role(
    session: Session, user: User, org: Organisation, role: str, *, acting_user_id: int
) -> bool:
    """Give `user` the role `role`; False if it already has it. Never one's own role."""
    if user.id == acting_user_id:
        raise NotAllowed(_("You cannot change your own role."))
    allowed = roles_for(org)
    if role not in allowed:
        raise RoleRefused(_("An account of %(org)s cannot have this role.", org=org.name))
    if user.role == role:
        return False
    before, user.role = user.role, Role(role)
    audit.record(session, "user.role", user, {"role": [before.value, user.role.value]})
    return True
