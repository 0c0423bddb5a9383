"""The JSON API under /api/v1/: public reads, token-authenticated writes, its OpenAPI document.

Requests authenticate with `Authorization: Bearer <token>` (tokens are made on the account
page, `account.tokens`), never with the session cookie, which is why the blueprint is exempt
from CSRF. Every error is answered as application/problem+json.
"""

from flask import Blueprint, current_app
from flask_limiter.util import get_remote_address

from matchmaker.api import problems
from matchmaker.api.spec import Registry
from matchmaker.extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix=problems.PREFIX)
registry = Registry(bp)

csrf.exempt(bp)
problems.init_blueprint(bp)


def _rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "300 per minute")


def _unlimited() -> bool:
    return not _rate_limit()  # API_RATE_LIMIT="" switches the API's limit off


limiter.limit(_rate_limit, key_func=get_remote_address, exempt_when=_unlimited)(bp)

# The modules below declare their operations on `registry`, so they come after it.
from matchmaker.api import (  # noqa: E402
    account,
    docs,
    evidence,
    officials,
    reads,
    saved_searches,
    writes,
)

__all__ = [
    "account",
    "bp",
    "docs",
    "evidence",
    "officials",
    "reads",
    "registry",
    "saved_searches",
    "writes",
]
