"""Every API error as application/problem+json (RFC 9457), worded in the request's language."""

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, current_app, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from matchmaker.entries import deadlines
from matchmaker.web.errors import Conflict, NotAllowed
from matchmaker.web.labels import listed

MEDIA_TYPE = "application/problem+json"
PREFIX = "/api/v1"
# Fields the platform sets itself; a client sending one is told so by name, not just "extra".
PROTECTED_FIELDS = frozenset(
    {
        "id",
        "code",
        "organisation_id",
        "organisation",
        "owner",
        "user_id",
        "status",
        "reviewer_id",
        "reviewer",
        "batch_id",
        "version",
        "tokens",
        "search_text",
        "search_terms",
        "review_note",
        "published_at",
        "created_at",
        "updated_at",
        "decided_at",
        "score",
    }
)


class FieldProblem(BaseModel):
    """One field that could not be accepted."""

    location: str  # body, query or path
    field: str  # dotted path within the location, e.g. "tags.3"; empty for the whole body
    pointer: str  # JSON Pointer (RFC 6901) into the request body or parameter
    type: str  # a stable code, e.g. "missing", "extra_forbidden", "string_too_short"
    message: str


class Problem(BaseModel):
    """An error answer (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldProblem] | None = None


class ApiProblem(Exception):
    """An error a view raises to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        errors: list[FieldProblem] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = dict(headers or {})


def api_locale() -> str:
    """The API's language: ?lang=, else Accept-Language, else the default; no cookie involved."""
    languages = current_app.config["LANGUAGES"]
    asked = request.args.get("lang", "")
    if asked in languages:
        return asked
    best = request.accept_languages.best_match(languages)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def titles() -> dict[int, str]:
    """Short titles per status code, in the current language."""
    return {
        400: _("Bad request"),
        401: _("Authentication required"),
        403: _("Forbidden"),
        404: _("Not found"),
        405: _("Method not allowed"),
        406: _("Not acceptable"),
        409: _("Conflict"),
        413: _("Request too large"),
        415: _("Unsupported media type"),
        422: _("Invalid request"),
        429: _("Too many requests"),
        500: _("Server error"),
    }


def details() -> dict[int, str]:
    """The default explanation per status code, in the current language."""
    return {
        400: _("The request could not be understood."),
        401: _("Send a valid API token: Authorization: Bearer <token>."),
        403: _("Your account may not do this."),
        404: _("There is no such object, or it is not visible to you."),
        405: _("This method is not allowed on this address."),
        409: _("Someone else changed this first. Fetch it again and retry with its version."),
        413: _("The request body is too large."),
        415: _("Send the body as JSON with Content-Type: application/json."),
        422: _("Some fields could not be accepted; see errors."),
        429: _("Too many requests. Wait a minute and try again."),
        500: _("Something went wrong on our side. Please try again."),
    }


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    errors: list[FieldProblem] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build the problem+json response for `status` in the request's language."""
    with force_locale(api_locale()):
        body = Problem(
            # Field problems have a documented type; the rest are plain HTTP statuses.
            type="about:blank" if errors is None else url_for("api.docs", _anchor="problem-422"),
            title=titles().get(status, titles()[400 if status < 500 else 500]),
            status=status,
            detail=detail or details().get(status, details()[400 if status < 500 else 500]),
            instance=request.path,
            errors=errors,
        )
    response = Response(body.model_dump_json(exclude_none=True), status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Content-Language"] = api_locale()
    return response


def _choices(expected: str) -> str:
    """pydantic's "'newest', 'title' or 'budget'" as the reader's list: newest, title, budget
    (the "or" is English, also on Chinese pages)."""
    return listed(re.findall(r"'([^']*)'", expected) or [expected])


def _number(value: object) -> str:
    # 1000000.0 reads as 1000000.
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _message(error: ErrorDetails) -> str:
    """A translated sentence for one pydantic error."""
    kind, ctx = error["type"], error.get("ctx") or {}
    field = str(error["loc"][-1]) if error["loc"] else ""
    if kind == "extra_forbidden":
        if field in PROTECTED_FIELDS:
            return _("%(field)s is set by the platform and cannot be sent.", field=field)
        return _("%(field)s is not a field of this object.", field=field)
    messages = {
        "missing": _("This field is required."),
        "string_too_short": _("Enter at least %(n)s characters.", n=ctx.get("min_length", "")),
        "string_too_long": _("Enter at most %(n)s characters.", n=ctx.get("max_length", "")),
        "string_pattern_mismatch": _("Enter printable text: not blank, no control characters."),
        "union_tag_invalid": _(
            "Choose one of: %(choices)s.", choices=_choices(ctx.get("expected_tags", ""))
        ),
        "union_tag_not_found": _("This field is required."),
        "too_short": _("Give at least %(n)s items.", n=ctx.get("min_length", "")),
        "too_long": _("Give at most %(n)s items.", n=ctx.get("max_length", "")),
        "literal_error": _(
            "Choose one of: %(choices)s.", choices=_choices(ctx.get("expected", ""))
        ),
        "enum": _("Choose one of: %(choices)s.", choices=_choices(ctx.get("expected", ""))),
        "greater_than_equal": _("Enter a number of at least %(n)s.", n=_number(ctx.get("ge", ""))),
        "less_than_equal": _("Enter a number of at most %(n)s.", n=_number(ctx.get("le", ""))),
        "greater_than": _("Enter a number greater than %(n)s.", n=_number(ctx.get("gt", ""))),
        "less_than": _("Enter a number less than %(n)s.", n=_number(ctx.get("lt", ""))),
        "finite_number": _("Enter a finite number."),
        "budget_order": _("The budget minimum exceeds the maximum."),
        "deadline_past": str(deadlines.PAST_DEADLINE),
        "phone_format": str(deadlines.BAD_PHONE),
        "repeated": _("Give this parameter only once."),
        "model_type": _("Send a JSON object."),
        "model_attributes_type": _("Send a JSON object."),
        "dict_type": _("Send a JSON object."),
        "list_type": _("Send a list."),
        "string_type": _("Send text."),
        "bool_type": _("Send true or false."),
        "bool_parsing": _("Send true or false."),
    }
    if kind in messages:
        return messages[kind]
    if kind.startswith(("int_", "float_", "decimal_")):
        return _("Enter a whole number.") if kind.startswith("int_") else _("Enter a number.")
    if kind.startswith(("date_", "datetime_")):
        return _("Enter a date as YYYY-MM-DD.")
    return _("This value is not valid.")


def _location(error: ErrorDetails, tagged: bool) -> list[str]:
    loc = [str(part) for part in error["loc"]]
    if error["type"] == "union_tag_not_found":
        return [str((error.get("ctx") or {}).get("discriminator", "")).strip("'")]
    if tagged and len(loc) > 1:
        return loc[1:]  # the first part names the union's branch (e.g. "reject"), not a field
    return loc


def field_problems(
    errors: Iterable[ErrorDetails], location: str, *, tagged: bool = False
) -> list[FieldProblem]:
    """Turn pydantic errors into the problem document's `errors` list."""
    problems = []
    for error in errors:
        loc = _location(error, tagged)
        problems.append(
            FieldProblem(
                location=location,
                field=".".join(loc),
                pointer="/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in loc),
                type=error["type"],
                message=_message(error),
            )
        )
    return problems


def from_validation_error(
    err: ValidationError, location: str, *, tagged: bool = False
) -> ApiProblem:
    """A 422 problem listing every field error, worded in the request's language."""
    details = err.errors(include_url=False, include_input=False)
    with force_locale(api_locale()):
        errors = field_problems(details, location, tagged=tagged)
    return ApiProblem(422, errors=errors)


def _for_http(err: HTTPException) -> Response:
    headers: dict[str, str] = {}
    if isinstance(err, MethodNotAllowed) and err.valid_methods:
        headers["Allow"] = ", ".join(sorted(err.valid_methods))
    for name, value in err.get_headers():
        if name.lower() in {"retry-after", "www-authenticate"}:
            headers[name] = value
    if err.code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="matchmaker"')
    return problem_response(err.code or 500, headers=headers)


def init_blueprint(bp: Any) -> None:
    """Register the problem handlers on the API blueprint, and for routing misses under it."""

    @bp.errorhandler(ApiProblem)
    def _problem(err: ApiProblem) -> Response:
        return problem_response(err.status, err.detail, errors=err.errors, headers=err.headers)

    @bp.errorhandler(Conflict)
    def _conflict(_err: Conflict) -> Response:
        # The domain's wording speaks of forms and pages; an API client is told what to do.
        return problem_response(409)

    @bp.errorhandler(NotAllowed)
    def _not_allowed(err: NotAllowed) -> Response:
        return problem_response(409, str(err) or None)

    @bp.errorhandler(CSRFError)
    def _csrf(_err: CSRFError) -> Response:  # the API is exempt; kept so no HTML page leaks out
        return problem_response(400)

    @bp.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        return _for_http(err)

    @bp.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        current_app.logger.exception("Unhandled API error", exc_info=err)
        return problem_response(500)

    @bp.before_app_request
    def _routing_miss() -> Response | None:
        # Blueprint handlers never see 404/405 raised by routing (no blueprint is matched yet),
        # so misses under the API's prefix are answered here, before the HTML error page.
        routing_error = request.routing_exception
        under_api = request.path == PREFIX or request.path.startswith(PREFIX + "/")
        if not under_api or not isinstance(routing_error, HTTPException):
            return None
        if isinstance(routing_error, RequestRedirect):
            return None  # a redirect is not an error
        if isinstance(routing_error, MethodNotAllowed) and not _path_exists(routing_error):
            routing_error = NotFound()
        return _for_http(routing_error)


def _path_exists(err: MethodNotAllowed) -> bool:
    """True if some other method would have matched this very URL.

    Werkzeug checks a rule's methods before its converters, so when GET and PUT of one path
    are separate rules and the id is out of the converter's range, it answers 405 for a URL
    that no method can reach. That is a 404.
    """
    adapter = current_app.create_url_adapter(request)
    for method in err.valid_methods or ():
        try:
            adapter.match(request.path, method=method)
        except HTTPException:
            continue
        return True
    return False
