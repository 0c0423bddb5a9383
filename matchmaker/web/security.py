"""Hardening every request shares: security headers on every response, bounded numbers."""

from flask import Flask, Response, current_app, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

# Ids, versions and page numbers fit a 32-bit column. Anything larger is nobody's object, and
# SQLite cannot even compare it (pysqlite raises OverflowError past 2**63), so it must never
# reach a query.
MAX_ID = 2**31 - 1

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # htmx injects its indicator styles; inline style attributes are used for chart bars.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000"  # a year; sent only where cookies are Secure, i.e. behind HTTPS


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: a non-negative integer no larger than MAX_ID, else 404."""

    def __init__(self, url_map: Map, *args: int | bool | None, **kwargs: int | bool | None):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)  # type: ignore[arg-type]


def parse_int(text: str | None, *, most: int = MAX_ID) -> int | None:
    """A whole number typed into a form or query string, or None if it is not one.

    Only ASCII digits: str.isdigit() also accepts "²" and "١", which int() refuses or reads
    in surprising ways. And no more than `most`, so that it can reach a query (see MAX_ID).
    """
    if not text or not text.isascii() or not text.isdigit() or len(text) > len(str(most)):
        return None
    value = int(text)
    return value if value <= most else None


def account_key() -> str:
    """Rate-limit key for the signed-in account, whatever address it acts from."""
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return f"address:{request.remote_addr}"  # a view's sign-in check answers these anyway


HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def add_security_headers(response: Response) -> Response:
    """Set CSP, nosniff, referrer and framing headers (and HSTS in production), unless the
    view set its own."""
    headers = response.headers
    present = {name.lower() for name, _value in headers}
    # One pass over what the view set, then plain appends: Headers.setdefault would search
    # and validate every header again, a fifth of a 304's work.
    for name, value in HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if (
        current_app.config.get("SESSION_COOKIE_SECURE")
        and "strict-transport-security" not in present
    ):
        headers.add("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    """Register the header hook, the bounded id converter and, behind a proxy, ProxyFix.

    Called before the blueprints are registered: a rule picks its converters when it is added.
    """
    app.url_map.converters["int"] = IdConverter
    app.after_request(add_security_headers)
    if hops := app.config.get("TRUSTED_PROXIES", 0):
        # The client's address (the login rate limit's key) and scheme as the proxy saw them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
