"""Answers that stand until the next write: validators for the pages every visitor who has
not signed in sees alike, and results computed from the data, kept per data version.

A `shared` page answers such a visitor's repeat visit with 304 Not Modified while the data
version, the language, the day (deadlines close scenarios at midnight) and the deployed code
are what they were, without running the view. Its 200 carries no cookie and nothing of the
visitor's, and says `Cache-Control: public`, so a reverse proxy may keep it briefly
(docs/load.md). Every other answer is `private` unless its view says otherwise: signed-in
pages are never served from a shared cache nor answered 304 for someone else's copy.
"""

import hashlib
import threading
from collections.abc import Callable, Hashable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from cachetools import LRUCache
from flask import Flask, Request, Response, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import get_locale
from flask_login import current_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE

from matchmaker.extensions import limiter
from matchmaker.web.dates import local_today
from matchmaker.web.freshness import data_version
from matchmaker.web.i18n import language

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

# What a shared page's answer depends on besides the URL: the language cookie and what htmx
# asks for (web/htmx.py answers a fragment or the page).
VARY = ("Cookie", "HX-Request", "HX-Target", "HX-History-Restore-Request")
VARY_HEADER = ", ".join(VARY)
VARY_ENVIRON = tuple("HTTP_" + name.upper().replace("-", "_") for name in VARY[1:])
_MISSING = object()
REMEMBERED = 64  # computed results kept per process (a dashboard's figures and charts are ~0.2 MB)


def _release(root: Path) -> str:
    """A token of the deployed code, templates and catalogues: a new release changes every
    page's ETag, so no browser keeps a page drawn by the previous templates."""
    digest = hashlib.blake2b(digest_size=8)
    patterns = ("matchmaker/**/*.py", "models/*.py", "templates/**/*.html", "matchmaker/**/*.mo")
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            stat = path.stat()
            digest.update(f"{path}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.hexdigest()


def _shareable_request() -> bool:
    """A read by a visitor who has not signed in and has no message waiting (a flash is for
    one visitor) and is not switching language (that answer sets the language cookie)."""
    if request.method not in ("GET", "HEAD") or "lang" in request.args:
        return False
    config, cookies = current_app.config, request.cookies
    remember = config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE)
    if config["SESSION_COOKIE_NAME"] not in cookies and remember not in cookies:
        # Flask-Login signs a visitor in from either cookie only (the app has no request
        # loader): with neither, this is a visitor, and their session is empty.
        return True
    return not current_user.is_authenticated and "_flashes" not in session


def _etag() -> str:
    # The language as the request asks for it: the same answer Flask-Babel's selector gives
    # (web/i18n.py), without setting Flask-Babel up for a request that may render nothing.
    environ = request.environ
    facts = "|".join(
        (
            str(data_version()),
            current_app.extensions["release"],
            language(),
            local_today().isoformat(),
            *(environ.get(key, "") for key in VARY_ENVIRON),
        )
    )
    return hashlib.blake2b(facts.encode(), digest_size=12).hexdigest()


def _shared_headers(tag: str) -> list[tuple[str, str]]:
    # Browsers ask again every time (and get 304); a proxy may answer for a few seconds.
    seconds = current_app.config["SHARED_CACHE_SECONDS"]
    return [
        ("ETag", f'W/"{tag}"'),
        ("Cache-Control", f"public, max-age=0, s-maxage={seconds}"),
        ("Vary", VARY_HEADER),
    ]


def shared(view: F) -> F:
    """Answer repeat visits to this page with 304 while nothing it shows has changed.

    Only for pages that show a visitor who has not signed in nothing of their own: no form
    (no CSRF token), no session.
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not _shareable_request():
            return view(*args, **kwargs)
        tag = g.shared_etag = _etag()
        if request.if_none_match.contains_weak(tag):
            return Response(status=304, headers=_shared_headers(tag))
        return view(*args, **kwargs)

    wrapped.shared = True  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


@limiter.request_filter
def _unlimited() -> bool:
    """Shared pages are never rate-limited (none is: there are no default limits). Saying so
    spares them Flask-Limiter's search for limits that apply, a quarter of a 304's work."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "shared", False)


def _cache_headers(response: Response) -> Response:
    """A shared page's 200 gets its validator; everything else is private by default."""
    tag = g.get("shared_etag")
    if tag and response.status_code == 200 and not session.modified:
        for name, value in _shared_headers(tag):
            response.headers[name] = value
    elif response.status_code != 304 and "Cache-Control" not in response.headers:
        response.cache_control.private = True
    return response


class VisitorSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions; a request without a session cookie gets its empty
    session without first building the signer it would check the cookie with (a sixth of a
    visitor's 304)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The request's session: empty if it sent no cookie, else Flask's own reading."""
        if app.secret_key and self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`'s result, kept in this process for the data version and language it was
    computed under: the next write anywhere makes the next call compute afresh."""
    cache, lock = current_app.extensions["remembered"]
    full_key = (data_version(), str(get_locale()), key)
    with lock:
        found = cache.get(full_key, _MISSING)
    if found is _MISSING:
        found = compute()
        with lock:
            cache[full_key] = found
    return found


def init_app(app: Flask, root: Path) -> None:
    """Register the cache headers, the per-process store and the release token."""
    app.config.setdefault("SHARED_CACHE_SECONDS", 5)
    app.extensions["release"] = _release(root)
    app.extensions["remembered"] = (LRUCache(maxsize=REMEMBERED), threading.Lock())
    app.after_request(_cache_headers)
    app.session_interface = VisitorSessions()
