"""Role and ownership checks shared by every blueprint."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlmodel import SQLModel

from matchmaker.web.db import get_session
from matchmaker.web.errors import render_error
from models import Organisation, OrgKind, Role

F = TypeVar("F", bound=Callable[..., Any])
STAFF = (Role.official, Role.admin)


def current_org() -> Organisation | None:
    """The signed-in user's organisation, read once per request (the menu, the notices and
    the view all ask)."""
    if not current_user.is_authenticated:
        return None
    if "current_org" not in g:
        g.current_org = get_session().get(Organisation, current_user.organisation_id)
    return g.current_org


def is_staff() -> bool:
    """True for officials and admins."""
    return current_user.is_authenticated and current_user.role in STAFF


def side() -> OrgKind | None:
    """Which side the signed-in user acts for (demand / supply), if any.

    None until an official has verified the organisation: like `side_required`, so that the
    menu never offers an unverified member a page that would refuse it.
    """
    org = current_org()
    return org.kind if org and org.verified else None


def posting_side() -> OrgKind | None:
    """The side whose entries the signed-in user prepares, verified or not (drafts wait)."""
    org = current_org()
    return org.kind if org and org.kind != OrgKind.authority else None


def awaiting_verification() -> Organisation | None:
    """The user's demand- or supply-side organisation while an official has not verified it."""
    org = current_org()
    return org if org and org.kind != OrgKind.authority and not org.verified else None


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Allow only signed-in users with one of `roles`."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.access = ("roles", roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


NOT_YET_VERIFIED = _l(
    "An official has not verified your organisation yet; it can do this once verified."
)


def side_required(kind: OrgKind, *, drafts: bool = False) -> Callable[[F], F]:
    """Allow only verified members of a demand-side or supply-side organisation.

    With `drafts`, members of an organisation still waiting for verification are let in too:
    they prepare drafts, and the domain keeps submission for verified organisations.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            org = current_org()
            if org is None or org.kind != kind:
                abort(403)
            if not (org.verified or drafts):  # the right side, only not yet: say so
                return render_error(403, str(NOT_YET_VERIFIED))
            return view(*args, **kwargs)

        wrapped.access = ("side", kind, "drafts") if drafts else ("side", kind)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def public(view: F) -> F:
    """Mark a view as open to everyone (the route audit test reads this mark)."""
    view.access = ("public",)  # type: ignore[attr-defined]
    return view


def signed_in(view: F) -> F:
    """Any signed-in user; ownership is then checked on each object."""
    wrapped = login_required(view)
    wrapped.access = ("signed_in",)  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


M = TypeVar("M", bound=SQLModel)


def owned_or_404(model: type[M], object_id: int) -> M:
    """Fetch an object of the user's organisation; others' objects answer 404, not 403."""
    obj = get_session().get(model, object_id)
    if obj is None or getattr(obj, "organisation_id", None) != current_user.organisation_id:
        abort(404)
    return obj
