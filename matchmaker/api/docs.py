"""The OpenAPI document as JSON, and the same document rendered as a readable page."""

import json
import re
from typing import Any

from flask import current_app, render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape
from pydantic import BaseModel, ConfigDict

from matchmaker.api import bp, openapi, problems, registry
from matchmaker.api.problems import Problem
from matchmaker.api.schemas import NON_BLANK, PRINTABLE
from matchmaker.api.spec import N_
from matchmaker.web.access import public

API_VERSION = "1.0"
PATTERN_NAMES = {PRINTABLE: "printable", NON_BLANK: "printable, not blank"}


class OpenApiDocument(BaseModel):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow")
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]
    components: dict[str, Any]


def the_document() -> dict[str, Any]:
    """The app's OpenAPI document, built on first use and kept (the route table is fixed)."""
    cached = current_app.extensions.get("api_openapi")
    if cached is None:
        cached = openapi.document(registry.operations, version=API_VERSION)
        current_app.extensions["api_openapi"] = cached
    return cached


@registry.operation(
    "GET",
    "/openapi.json",
    summary=N_("This API's OpenAPI document"),
    tag="Documentation",
    response=OpenApiDocument,
)
def openapi_json() -> OpenApiDocument:
    """The OpenAPI 3.1 description of every operation, generated from the code."""
    return OpenApiDocument.model_validate(the_document())


@bp.route("/docs")
@public
def docs() -> str:
    """The API reference, rendered on the server from the OpenAPI document."""
    document = the_document()
    operations = [
        {"method": method.upper(), "path": path, **operation}
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    problem_example = Problem(
        type=url_for("api.docs", _anchor="problem-422"),
        title=problems.titles()[422],
        status=422,
        detail=problems.details()[422],
        instance=url_for("api.create_capability"),
        errors=[
            {
                "location": "body",
                "field": "status",
                "pointer": "/status",
                "type": "extra_forbidden",
                "message": _(
                    "%(field)s is set by the platform and cannot be sent.", field="status"
                ),
            }
        ],
    )
    return render_template(
        "api/docs.html",
        document=document,
        operations=operations,
        schemas=document["components"]["schemas"],
        describe=describe,
        examples=examples_of,
        prose=prose,
        problem_example=json.dumps(
            problem_example.model_dump(exclude_none=True), ensure_ascii=False, indent=2
        ),
    )


CODE_SPAN = re.compile(r"`([^`]+)`")


def prose(text: str) -> Markup:
    """A description as the page shows it: translated, its `code` spans (Markdown in the
    OpenAPI document) set as code, the rest escaped."""
    pieces = CODE_SPAN.split(_(text))  # text, code, text, code, …
    return Markup("").join(
        Markup("<code>%s</code>") % piece if n % 2 else escape(piece)
        for n, piece in enumerate(pieces)
    )


def describe(schema: dict[str, Any]) -> str:
    """A short, readable type: "string, 4–80 characters", "array of Tag", "one of: a, b"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema or "oneOf" in schema:
        branches = schema.get("anyOf") or schema["oneOf"]
        text = " | ".join(describe(branch) for branch in branches)
        if "discriminator" in schema:
            text = f"one of {text}, told apart by {schema['discriminator']['propertyName']}"
        return text
    if "enum" in schema:
        values = [str(v) if v != "" else '""' for v in schema["enum"]]
        shown = ", ".join(values[:6]) + (f", … ({len(values)})" if len(values) > 6 else "")
        return f"one of: {shown}"
    kind = schema.get("type", "any")
    if kind == "array":
        text = f"array of {describe(schema.get('items', {}))}"
        if "maxItems" in schema:
            text += f", at most {schema['maxItems']}"
        return text
    if kind == "object" and "additionalProperties" in schema:
        extra = schema["additionalProperties"]
        return f"object of {describe(extra)}" if isinstance(extra, dict) else "object"
    parts = [kind]
    if "format" in schema:
        parts.append(schema["format"])
    low, high = schema.get("minLength"), schema.get("maxLength")
    if low is not None or high is not None:
        parts.append(f"{low or 0}–{high} characters" if high else f"at least {low} characters")
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None or high is not None:
        parts.append(f"{low if low is not None else '…'}–{high if high is not None else '…'}")
    if schema.get("pattern") in PATTERN_NAMES:
        parts.append(PATTERN_NAMES[schema["pattern"]])
    return ", ".join(str(p) for p in parts)


def examples_of(schema: dict[str, Any]) -> list[str]:
    """The schema's examples as indented JSON."""
    return [json.dumps(e, ensure_ascii=False, indent=2) for e in schema.get("examples", [])]
