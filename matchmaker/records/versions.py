"""Optimistic concurrency: a change applies only to the version of a row the user saw."""

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel

from matchmaker.web.errors import Conflict


def claim(session: Session, obj: SQLModel, version: int | None, message: str) -> None:
    """Bump `obj`'s stored version if it is still `version`, else raise Conflict(message).

    Done as one conditional UPDATE rather than a read-then-compare in Python: on PostgreSQL
    two transactions could both read the old version, while the second UPDATE waits for
    the first's row lock and then finds the version changed. Call it before changing `obj`.
    """
    model = type(obj)
    result = session.exec(
        update(model)
        .where(model.id == obj.id, model.version == version)  # type: ignore[attr-defined]
        .values(version=(version or 0) + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(message)
    set_committed_value(obj, "version", (version or 0) + 1)
