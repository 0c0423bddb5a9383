"""Operations: the health endpoint for load balancers and monitors."""

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from matchmaker.web.access import public
from matchmaker.web.db import get_session

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
@public
def health() -> ResponseReturnValue:
    """Liveness and database reachability, for load balancers and monitors."""
    try:
        get_session().exec(text("SELECT 1"))  # type: ignore[call-overload]
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
