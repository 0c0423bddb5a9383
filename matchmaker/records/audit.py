"""Writing the append-only audit trail."""

from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlmodel import Session, SQLModel

from models import AuditEntry


def record(
    session: Session,
    action: str,
    obj: SQLModel,
    changes: dict[str, Any] | None = None,
    *,
    user_id: int | None = None,
    by_system: bool = False,
) -> AuditEntry:
    """Add one audit row for `action` on `obj`; committed with the caller's transaction.

    The row names `user_id`, else the signed-in user, unless the platform did it on its own
    (`by_system`: a matcher's displacement inside a firm's posting is not the firm's act)."""
    if (
        user_id is None
        and not by_system
        and has_request_context()
        and current_user.is_authenticated
    ):
        user_id = current_user.id
    session.flush()  # so a new object has its id
    entry = AuditEntry(
        user_id=user_id,
        action=action,
        object_type=type(obj).__tablename__,  # type: ignore[attr-defined]
        object_id=getattr(obj, "id", None),
        changes=_jsonable(changes or {}),
    )
    session.add(entry)
    return entry


def _jsonable(changes: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, str | int | float | bool | list | dict | None) else str(v)
        for k, v in changes.items()
    }
