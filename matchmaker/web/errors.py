"""Error pages a person can read, in their language, with the right status code."""

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError


class Conflict(Exception):
    """Someone else changed the object first (optimistic concurrency); answered with 409."""


class NotAllowed(Exception):
    """A state change the object's current state does not allow, e.g. approving twice."""


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Please check what you entered."),
        401: _("Please sign in to continue."),
        403: _("You do not have permission to do that."),
        404: _("We could not find that page."),
        405: _("That action is not allowed here."),
        409: _("Someone else changed this first. Reload to see the latest version."),
        413: _("The upload is too large."),
        429: _("Too many attempts. Please wait a minute and try again."),
        500: _("Something went wrong on our side. Nothing you entered was lost; please try again."),
    }


def render_error(code: int, message: str | None = None) -> tuple[str, int]:
    """Render the error page (or an htmx fragment) for `code`."""
    text = message or _messages().get(code, _messages()[400])
    template = "errors/_error.html" if request.headers.get("HX-Request") else "errors/error.html"
    return render_template(template, code=code, message=text), code


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def _csrf(_err: CSRFError) -> tuple[str, int]:
        return render_error(400, _("Your form expired. Please reload the page and try again."))

    @app.errorhandler(Conflict)
    def _conflict(err: Conflict) -> tuple[str, int]:
        return render_error(409, str(err) or None)

    @app.errorhandler(NotAllowed)
    def _not_allowed(err: NotAllowed) -> tuple[str, int]:
        return render_error(409, str(err) or None)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> tuple[str, int]:
        return render_error(err.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> tuple[str, int]:
        app.logger.exception("Unhandled error", exc_info=err)
        return render_error(InternalServerError.code)
