"""The one place that decides whether a request gets a whole page or a fragment."""

from flask import Response, render_template, request


def wants_fragment(target: str | None = None) -> bool:
    """True for an htmx request (not a history restore), optionally aimed at `target`."""
    if request.headers.get("HX-Request") != "true":
        return False
    if request.headers.get("HX-History-Restore-Request") == "true":
        return False
    return target is None or request.headers.get("HX-Target") == target


def render(
    page_template: str, fragment_template: str, /, *, target: str | None = None, **context: object
) -> Response:
    """Render the fragment for htmx, otherwise the page (which includes the fragment)."""
    template = fragment_template if wants_fragment(target) else page_template
    response = Response(render_template(template, **context))
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response
