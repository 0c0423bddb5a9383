"""The route table: each API operation is declared once, with its schemas and its access rule.

`operation(...)` registers the Flask view and records what the OpenAPI document needs, so the
document and the running API cannot drift apart. The wrapper does the parts every operation
shares: token authentication, the access rule, reading and validating the query string and
the JSON body, and serialising the answer.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Literal, NamedTuple

from flask import Blueprint, Response, g, request
from flask_babel import force_locale
from flask_babel import gettext as _
from pydantic import BaseModel, RootModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from matchmaker.api import tokens
from matchmaker.api.problems import ApiProblem, api_locale, from_validation_error
from matchmaker.api.schemas import MAX_ID
from matchmaker.extensions import login_manager
from matchmaker.web.db import get_session
from models import Organisation, OrgKind, Role, User

JSON = "application/json"
PATH_PARAMETER = re.compile(r"\{(\w+)\}")


def N_(message: str) -> str:
    """Mark `message` for the catalogue, untranslated: the OpenAPI document stays in English,
    and the reference page translates it for its reader."""
    return message


class Access(NamedTuple):
    """Who may call an operation."""

    kind: str  # "public", "token" (any account), "side" (verified org of a side), "roles"
    side: OrgKind | None = None
    roles: tuple[Role, ...] = ()

    @property
    def needs_token(self) -> bool:
        """True unless anyone may call the operation."""
        return self.kind != "public"


PUBLIC = Access("public")
TOKEN = Access("token")


def side(kind: OrgKind) -> Access:
    """Verified members of a demand-side or supply-side organisation."""
    return Access("side", side=kind)


def roles(*allowed: Role) -> Access:
    """Accounts with one of `allowed` roles."""
    return Access("roles", roles=allowed)


@dataclass(frozen=True)
class Operation:
    """One method on one path, as the OpenAPI document describes it."""

    method: str
    path: str  # OpenAPI form, relative to the blueprint: /scenarios/{scenario_id}
    endpoint: str
    summary: str
    description: str
    tag: str
    access: Access
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    problems: tuple[int, ...] = field(default=())
    location: bool = False  # the answer carries a Location header (the new object's address)

    @property
    def path_parameters(self) -> list[str]:
        """Names of the path's parameters (all positive integer ids)."""
        return PATH_PARAMETER.findall(self.path)


class Registry:
    """The API's operations, in the order they were declared."""

    def __init__(self, bp: Blueprint) -> None:
        self.bp = bp
        self.operations: list[Operation] = []

    def operation(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        tag: str,
        access: Access = PUBLIC,
        query: type[BaseModel] | None = None,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        problems: tuple[int, ...] = (),
        location: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
        """Declare an operation and register its view on the blueprint."""

        def decorator(view: Callable[..., Any]) -> Callable[..., Response]:
            op = Operation(
                method=method,
                path=path,
                endpoint=view.__name__,
                summary=summary,
                description=(view.__doc__ or "").strip(),
                tag=tag,
                access=access,
                query=query,
                body=body,
                response=response,
                status=status,
                problems=problems,
                location=location,
            )

            @wraps(view)
            def wrapped(**path_args: int) -> Response:
                with force_locale(api_locale()):
                    result = _call(op, view, path_args)
                return _respond(result, op.status)

            wrapped.access = ("api", access.kind)  # type: ignore[attr-defined]
            rule = PATH_PARAMETER.sub(r"<int:\1>", path)
            self.bp.add_url_rule(rule, view.__name__, wrapped, methods=[method])
            self.operations.append(op)
            return wrapped

        return decorator


class Language(BaseModel):
    """?lang= chooses the language of messages on every operation."""

    lang: Literal["zh", "en"] | None = None


def _call(op: Operation, view: Callable[..., Any], path_args: dict[str, int]) -> Any:
    user = authenticate()
    authorise(op.access, user)
    parse_query(Language)
    if any(value > MAX_ID for value in path_args.values()):
        raise ApiProblem(404)
    kwargs: dict[str, Any] = dict(path_args)
    if op.query is not None:
        kwargs["params"] = parse_query(op.query)
    if op.body is not None:
        kwargs["data"] = parse_body(op.body)
    return view(**kwargs)


def _respond(result: BaseModel | tuple[BaseModel, dict[str, str]] | None, status: int) -> Response:
    """The view's schema object as JSON, with the view's extra headers (e.g. Location);
    nothing at all for an operation answering 204 (a deletion)."""
    if result is None:
        response = Response(status=204)
        response.headers["Content-Language"] = api_locale()
        return response
    model, headers = result if isinstance(result, tuple) else (result, {})
    response = Response(model.model_dump_json(), status, mimetype=JSON, headers=headers)
    response.headers["Content-Language"] = api_locale()
    return response


def authenticate() -> User | None:
    """The account of the request's bearer token; a bad token is refused, even on public reads."""
    header = request.headers.get("Authorization")
    user = None
    if header is not None:
        scheme, _sep, secret = header.strip().partition(" ")
        if scheme.lower() == "bearer":
            user = tokens.user_for(get_session(), secret.strip())
        if user is None:
            raise ApiProblem(
                401,
                _("The API token is not valid, was revoked, or its account is disabled."),
                headers={"WWW-Authenticate": 'Bearer realm="matchmaker", error="invalid_token"'},
            )
    # The API answers to the token alone, never to the browser's session cookie: another site
    # cannot make a signed-in browser call it (no CSRF), and current_user in the domain
    # functions (audit trail, notifications) is the token's owner. flask-login keeps the
    # request's user on g._login_user; setting it here stops it reading the cookie.
    g._login_user = user or login_manager.anonymous_user()
    g.api_user = user
    return user


def viewer() -> User | None:
    """The token's account for this request, if any."""
    return g.get("api_user")


def authorise(access: Access, user: User | None) -> None:
    """Apply an operation's access rule: 401 without a token, 403 for the wrong account."""
    if not access.needs_token:
        return
    if user is None:
        raise ApiProblem(401, headers={"WWW-Authenticate": 'Bearer realm="matchmaker"'})
    if access.kind == "roles" and user.role not in access.roles:
        raise ApiProblem(403)
    if access.kind == "side":
        org = get_session().get(Organisation, user.organisation_id)
        if org is None or org.kind != access.side:
            only = {
                OrgKind.demand: _("Only demand-side organisations can do this."),
                OrgKind.supply: _("Only supply-side organisations can do this."),
            }
            raise ApiProblem(403, only.get(access.side))
        if not org.verified:
            raise ApiProblem(403, _("Your organisation has not been verified by an official yet."))


def parse_query(model: type[BaseModel]) -> BaseModel:
    """The query string validated by `model`; a parameter given twice is refused."""
    data: dict[str, str] = {}
    repeated: list[InitErrorDetails] = []
    for name in model.model_fields:
        values = request.args.getlist(name)
        if len(values) > 1:
            repeated.append(
                {"type": PydanticCustomError("repeated", "given more than once"), "loc": (name,)}
            )
        elif values:
            data[name] = values[0]
    try:
        if repeated:
            raise ValidationError.from_exception_data(model.__name__, repeated)
        return model.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(err, "query") from None


def parse_body(model: type[BaseModel]) -> BaseModel:
    """The JSON body validated by `model`: 415 if not JSON, 400 if malformed, 422 if invalid."""
    if request.mimetype != JSON:
        raise ApiProblem(415)
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    try:
        return model.model_validate_json(raw)
    except ValidationError as err:
        if any(e["type"] == "json_invalid" for e in err.errors()):
            raise ApiProblem(400, _("The body is not valid JSON.")) from None
        tagged = issubclass(model, RootModel)  # a tagged union: errors name the branch first
        raise from_validation_error(err, "body", tagged=tagged) from None
