"""The OpenAPI 3.1 document, generated from the route table and the pydantic schemas."""

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from matchmaker.api.problems import PREFIX, Problem
from matchmaker.api.schemas import MAX_ID
from matchmaker.api.spec import N_, Language, Operation

REF = "#/components/schemas/{model}"
TAG_ORDER = (
    "Scenarios",
    "Capabilities",
    "Batches",
    "Pairings",
    "Review",
    "Saved searches",
    "Account",
)
PROBLEM_MEDIA = "application/problem+json"
STATUS_TEXT = {
    400: N_("Malformed request (e.g. the body is not JSON)"),
    401: N_("No token, or a token that is not valid, revoked or of a disabled account"),
    403: N_("The token's account may not do this"),
    404: N_("No such object, or not visible to this caller"),
    409: N_("Changed by someone else first (stale version), or not allowed in its current state"),
    413: N_("Request body too large"),
    415: N_("Body is not application/json"),
    422: N_("Invalid parameters or body; `errors` lists each field"),
    429: N_("Too many requests"),
}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: drop the null branch of an optional."""
    branches = schema.get("anyOf")
    if branches:
        kept = [b for b in branches if b.get("type") != "null"]
        if len(kept) == 1:
            schema = {k: v for k, v in schema.items() if k != "anyOf"} | kept[0]
    if schema.get("default", 0) is None:
        schema = {k: v for k, v in schema.items() if k != "default"}
    return schema


LANG = {
    "name": "lang",
    "in": "query",
    "required": False,
    "description": N_("Language of messages (else Accept-Language, else zh)."),
    "schema": _without_null(Language.model_json_schema()["properties"]["lang"]),
}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = _without_null(prop)
        description = prop.pop("description", "")
        prop.pop("title", None)
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": description,
                "schema": prop,
            }
        )
    return parameters


def _path_parameter(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": N_("The object's id."),
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


def _problem_codes(op: Operation) -> list[int]:
    # Everywhere: a bad token is refused, ?lang= is checked, every caller is rate limited.
    codes = {401, 422, 429}
    if op.access.kind in ("side", "roles"):
        codes.add(403)
    if op.path_parameters:
        codes.add(404)
    if op.body is not None:
        codes.update({400, 413, 415})
    codes.update(op.problems)
    return sorted(codes)


def _operation(op: Operation) -> dict[str, Any]:
    parameters = [_path_parameter(name) for name in op.path_parameters]
    if op.query is not None:
        parameters += _query_parameters(op.query)
    parameters.append(LANG)
    success: dict[str, Any] = {
        "description": {
            200: N_("OK"),
            201: N_("Created: the new object"),
            204: N_("Done; nothing to return"),
        }[op.status]
    }
    if op.response is not None:
        ref = {"$ref": REF.format(model=op.response.__name__)}
        success["content"] = {"application/json": {"schema": ref}}
    if op.location:
        success["headers"] = {
            "Location": {"description": "The new object's address.", "schema": {"type": "string"}}
        }
    responses: dict[str, Any] = {str(op.status): success}
    for code in _problem_codes(op):
        responses[str(code)] = {
            "description": STATUS_TEXT[code],
            "content": {PROBLEM_MEDIA: {"schema": {"$ref": REF.format(model="Problem")}}},
        }
    document: dict[str, Any] = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "description": op.description,
        "tags": [op.tag],
        "parameters": parameters,
        "responses": responses,
        # Public reads take a token optionally: with one, your own drafts become visible.
        "security": [{"bearer": []}] if op.access.needs_token else [{}, {"bearer": []}],
    }
    if op.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": REF.format(model=op.body.__name__)}}
            },
        }
    return document


def _components(operations: list[Operation]) -> dict[str, Any]:
    models: dict[str, tuple[type[BaseModel], str]] = {"Problem": (Problem, "serialization")}
    for op in operations:
        if op.response is not None:
            models[op.response.__name__] = (op.response, "serialization")
        if op.body is not None:
            models[op.body.__name__] = (op.body, "validation")
    _keys, schema = models_json_schema(list(models.values()), ref_template=REF)
    return schema.get("$defs", {})


def document(operations: list[Operation], *, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `operations`."""
    tags = list(dict.fromkeys([*TAG_ORDER, *(op.tag for op in operations)]))
    operations = sorted(operations, key=lambda op: tags.index(op.tag))
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(PREFIX + op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "matchmaker API",
            "version": version,
            "description": N_(
                "Published application scenarios (应用场景), capabilities (企业能力), batches and "
                "pairings of the scenario supply-demand matching platform, and writes for "
                "organisations and officials with a personal API token. Errors are "
                "application/problem+json (RFC 9457) in the language of `?lang=` or "
                "Accept-Language. Times are China Standard Time, written with their offset "
                "(+08:00)."
            ),
        },
        "tags": [{"name": name} for name in dict.fromkeys(op.tag for op in operations)],
        "paths": paths,
        "components": {
            "schemas": _components(operations),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token from your account page (Account → "
                    "API tokens), sent as `Authorization: Bearer <token>`.",
                }
            },
        },
    }
