"""Links that leave the site (e-mail): absolute addresses from the request being answered."""

from flask import has_request_context, request


def absolute(link: str) -> str:
    """`link` with this request's scheme and host in front when it is a site path."""
    if link.startswith("/") and has_request_context():
        return request.host_url.rstrip("/") + link  # mail readers need an absolute address
    return link
