"""Every state-changing form and htmx request is refused without its CSRF token: 400, a
readable message, and nothing changed in the database."""

import pytest
from test_route_matrix import GARBAGE_FORM, ROUTES, admitted
from world import build, client_for, snapshot

from support import csrf_token

# Which visitor the guard lets in, so that the refusal is the token's doing, not the guard's.
VISITOR = {
    "public": "anonymous",
    "signed in": "demand",
    "staff": "official",
    "admin": "admin",
    "demand": "demand",
    "supply": "supply",
    "demand, unverified too": "demand",
    "supply, unverified too": "supply",
    "admin+official+org_admin": "official",
}
WRITES = ("POST", "PUT", "PATCH", "DELETE")
# Writes whose credential is a signed link rather than a session: an e-mail's unsubscribe link,
# which mail programs post to without any form (RFC 8058). Its signature is checked instead.
SIGNED_LINKS = {"alerts.unsubscribe"}


def web_writes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """(endpoint, method) of every state-changing route outside the JSON API."""
    return sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint in ROUTES
        and not ROUTES[rule.endpoint].who.startswith("api")
        and rule.endpoint not in SIGNED_LINKS
        for method in WRITES
        if method in rule.methods
    )


def test_every_web_write_is_in_the_walk(app):
    # The walk below is parametrised by the table; this ties it to the running app.
    assert web_writes(app) == sorted((endpoint, "POST") for endpoint in WRITE_ENDPOINTS), (
        "a new state-changing route: add it to WRITE_ENDPOINTS"
    )


WRITE_ENDPOINTS = [
    "account.revoke",
    "account.tokens",
    "admin.change_role",
    "admin.reject",
    "admin.reset_password",
    "admin.set_active",
    "admin.verify",
    "alerts.delete",
    "alerts.edit",
    "alerts.new",
    "alerts.save",
    "auth.change_password",
    "auth.join",
    "auth.login",
    "auth.logout",
    "auth.register",
    "auth.reset_password",
    "batches.add",
    "batches.new",
    "batches.publish",
    "batches.remove",
    "capabilities.edit",
    "capabilities.end",
    "capabilities.new",
    "capabilities.submit",
    "docking.add_step",
    "docking.correct",
    "evidence.approve",
    "evidence.reject",
    "evidence.upload",
    "evidence.withdraw",
    "inbox.mark_all_read",
    "inbox.mark_read",
    "inbox.open_link",
    "interest.accept_view",
    "interest.decline_view",
    "interest.express_view",
    "io.discard",
    "io.review",
    "io.upload",
    "members.approve",
    "members.decline",
    "members.organisation",
    "review.bulk",
    "review.decide",
    "review.publish",
    "review.send_back",
    "scenarios.edit",
    "scenarios.end",
    "scenarios.new",
    "scenarios.submit",
]


@pytest.mark.parametrize("endpoint", WRITE_ENDPOINTS)
def test_a_write_without_its_token_changes_nothing(app, session, endpoint):
    world = build(app, session)
    route = ROUTES[endpoint]
    actor = world.actors[VISITOR[route.who]]
    url = app.url_map.bind("localhost").build(endpoint, route.own(actor, world), method="POST")
    client = client_for(app, session, actor)
    assert admitted(app.view_functions[endpoint].access, endpoint, actor) is None
    form = {k: v for k, v in GARBAGE_FORM.items() if k not in ("version", "id")}
    before = snapshot(session)
    answers = {
        "form without a token": client.post(url, data=form),
        "form with another session's token": client.post(
            url, data={**form, "csrf_token": csrf_token(app.test_client())}
        ),
        "form with a made-up token": client.post(url, data={**form, "csrf_token": "x" * 91}),
        "htmx without the header": client.post(url, data=form, headers={"HX-Request": "true"}),
    }
    for what, response in answers.items():
        assert response.status_code == 400, what
        page = response.get_data(as_text=True)
        assert 'class="error-box"' in page, what
        if what.startswith("htmx"):
            assert "<html" not in page, what  # a fragment htmx can show
    assert snapshot(session) == before


@pytest.mark.parametrize(
    "endpoint, visitor, form",
    [
        ("auth.logout", "demand", {}),
        ("inbox.mark_all_read", "supply", {}),
        ("admin.set_active", "admin", {"active": "0"}),
    ],
)
def test_the_same_write_with_its_token_does_change_things(app, session, endpoint, visitor, form):
    """The control: the snapshot sees these writes, so "nothing changed" above means it."""
    world = build(app, session)
    actor = world.actors[visitor]
    url = app.url_map.bind("localhost").build(endpoint, ROUTES[endpoint].own(actor, world))
    client = client_for(app, session, actor)
    before = snapshot(session)
    response = client.post(
        url, data=form, headers={"HX-Request": "true", "X-CSRFToken": csrf_token(client)}
    )
    assert response.status_code in (200, 302)
    assert snapshot(session) != before
