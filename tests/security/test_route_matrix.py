"""Every route, every method, every kind of visitor: the answer is the one its guard declares.

The expected status comes from each view's `access` mark (set by `access.public`, `signed_in`,
`roles_required`, `side_required`, and the API's registry), applied to six visitors: anonymous,
a member of a demand-side and of a supply-side organisation, an official, an admin, and an
account disabled after it signed in. Objects in the URL are the visitor's own ("own") or
another organisation's private ones ("other", which must answer 404). ROUTES below holds, for
every endpoint, how to fill in its URL and any exception to the derived expectation, each with
its reason: a new route without an entry fails `test_every_route_has_a_rule`, and a route that
answers more permissively than declared fails `test_route_answers_as_declared`. Nothing
anywhere may answer 500.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from flask import Flask
from world import ACTORS, Actor, World, build, client_for

from matchmaker.api import registry
from matchmaker.web.access import STAFF
from models import OrgKind
from support import csrf_token

Kwargs = dict[str, Any]
Expect = frozenset[int]
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
METHODS = ("GET", *WRITE_METHODS)

SCENARIO_BODY = {
    "title": "园区能耗在线监测",
    "description": "工业园区需要对重点企业的水电气能耗进行在线监测、分析与预警，支撑节能改造。",
    "field": "工业互联网",
    "district": "两江新区",
    "tags": ["能耗监测"],
}
CAPABILITY_BODY = {
    "title": "能耗在线监测平台",
    "description": "面向园区与工厂的水电气能耗采集、分析、预警平台，已在多个园区落地运行。",
    "field": "工业互联网",
    "district": "两江新区",
    "tags": ["能耗监测"],
}
# Form fields every view reads, filled with what a careless or hostile client might send.
GARBAGE_FORM = {
    "version": "²",
    "id": "99999999999999999999999",
    "item": "nothing",
    "pick": ["1:x", "²:1", "99999999999999999999:1"],
    "scenario": "99999999999999999999",
    "capability": "-1",
    "pairing": "١٢",
    "decision": "maybe",
    "note": "x" * 5000,
    "reason": "\x00",
    "stage": "launched",
    "occurred_on": "2024-13-45",
    "contract_amount_wan": "NaN",
    "status": "published",
    "back": "batch=99999999999999999999&page=²",
    "year": "1e9",
    "number": "-3",
    "name": "",
    "email": "not-an-email",
    "password": "",
    "remember": "y",
    "title": "<b>",
    "field": "不存在的领域",
    "district": "火星",
    "budget_min_wan": "inf",
    "budget_max_wan": "-inf",
    "deadline": "yesterday",
    "tags": "、" * 50,
    "qualifications": "nonsense",
    "org_kind": "authority",
    "credit_code": "0" * 18,
}
GARBAGE_JSON = b'{"title": ["\xff'


@dataclass(frozen=True)
class Route:
    """How to call one endpoint, and what differs from the expectation its mark implies."""

    # Who the route's guard lets in, as reviewed here: "public", "signed in", "staff"
    # (officials and admins), "admin", "demand"/"supply" (verified members of that side; with
    # ", unverified too" also members still waiting for verification, who prepare drafts), and
    # for the JSON API "api" (anyone), "api token", "api staff", "api demand"/"api supply".
    # Relaxing a guard therefore shows up as a change to this file.
    who: str
    own: Callable[[Actor, World], Kwargs] = lambda actor, world: {}
    other: Callable[[Actor, World], Kwargs] | None = None  # another organisation's object
    # (actor, relation, method, variant) -> the statuses this route answers instead of the
    # default, or None for the default. Only consulted for visitors the mark lets in.
    exception: Callable[[Actor, str, str, str], Expect | None] | None = None
    why: str = ""  # the reason for the exception: required with one
    body: dict[str, Any] | None = None  # a valid JSON body (API writes)
    form_rerender: bool = False  # a refused form is drawn again with 200 rather than 422


def _scenario(relation_key: str) -> Callable[[Actor, World], Kwargs]:
    return lambda actor, world: {"scenario_id": world.scenarios[relation_key]}


def _capability(relation_key: str) -> Callable[[Actor, World], Kwargs]:
    return lambda actor, world: {"capability_id": world.capabilities[relation_key]}


def _own_or_published(kind: str, side: OrgKind) -> Callable[[Actor, World], Kwargs]:
    """The actor's own draft if their side posts this kind, else a published one."""

    def pick(actor: Actor, world: World) -> Kwargs:
        key = "a_draft" if actor.side == side and actor.signed_in else "a_published"
        ids = world.scenarios if kind == "scenario" else world.capabilities
        return {f"{kind}_id": ids[key]}

    return pick


def _upload_kind(actor: Actor) -> str:
    return "capabilities" if actor.side == OrgKind.supply else "scenarios"


def _other_upload_owner(actor: Actor) -> str:
    return "supply_b" if actor.side == OrgKind.supply else "demand_b"


def _only(*statuses: int) -> Expect:
    return frozenset(statuses)


def upload_route(why: str) -> "Route":
    """A route about one kept upload: the user's own, or somebody else's token."""
    return Route(
        "signed in",
        own=lambda actor, world: {
            "kind": _upload_kind(actor),
            "token": world.uploads.get(actor.name, "x" * 43),
        },
        other=lambda actor, world: {
            "kind": _upload_kind(actor),
            "token": world.uploads[_other_upload_owner(actor)],
        },
        exception=lambda actor, relation, method, variant: (
            _only(302) if relation == "other" else None
        ),
        why=why,
    )


def _firm_and_officials(actor: Actor, relation: str, method: str, variant: str) -> Expect | None:
    """A firm's evidence file: officials read every one, other visitors none but their own."""
    if actor.staff:
        return _only(200)
    return _only(404) if relation == "own" and actor.side != OrgKind.supply else None


FMT = {"fmt": "csv"}
DRAFT_BATCH = lambda actor, world: {"batch_id": world.batches["draft"]}  # noqa: E731
PAIRING_A = lambda actor, world: {"recommendation_id": world.pairings["a"]}  # noqa: E731
PAIRING_B = lambda actor, world: {"recommendation_id": world.pairings["b"]}  # noqa: E731
EVIDENCE_A = lambda actor, world: {"evidence_id": world.evidence["a"]}  # noqa: E731
EVIDENCE_B = lambda actor, world: {"evidence_id": world.evidence["b"]}  # noqa: E731

OWN_SEARCH = lambda actor, world: {"search_id": world.saved_searches.get(actor.name, 1)}  # noqa: E731
OTHER_SEARCH = lambda actor, world: {"search_id": world.saved_searches["demand_b"]}  # noqa: E731
# A visitor with no session reads the public search; the others their own private one.
OWN_OR_PUBLIC_SEARCH = lambda actor, world: {  # noqa: E731
    "search_id": world.saved_searches[actor.name if actor.signed_in else "public"]
}

ROUTES: dict[str, Route] = {
    "main.home": Route("public"),
    "ops.health": Route("public"),
    "auth.login": Route(
        "public",
        form_rerender=True,
        exception=lambda actor, relation, method, variant: (
            _only(422, 429) if method == "POST" else None
        ),
        why="the per-account limit is keyed by the e-mail typed: the matrix's empty and garbage "
        "forms from every visitor count against one (empty) account and reach it",
    ),
    "auth.register": Route("public", form_rerender=True),
    "auth.join": Route("public", form_rerender=True),
    "members.index": Route("admin+official+org_admin"),
    # The matrix's organisations are verified: their details are shown, and a post refused.
    "members.organisation": Route("admin+official+org_admin"),
    "members.approve": Route(
        "admin+official+org_admin",
        own=lambda actor, world: {"request_id": world.join_requests["b"]},
    ),
    "members.decline": Route(
        "admin+official+org_admin",
        own=lambda actor, world: {"request_id": world.join_requests["b"]},
    ),
    "auth.logout": Route("signed in"),
    "auth.change_password": Route("signed in", form_rerender=True),
    "account.tokens": Route("signed in", form_rerender=True),
    "account.revoke": Route(
        "signed in",
        own=lambda actor, world: {"token_id": world.api_tokens.get(actor.name, 1)},
        other=lambda actor, world: {"token_id": world.api_tokens["demand_b"]},
    ),
    "admin.organisations": Route("staff"),
    "admin.verify": Route("staff", own=lambda actor, world: {"org_id": world.orgs["demand_b"]}),
    "admin.reject": Route("staff", own=lambda actor, world: {"org_id": world.orgs["demand_b"]}),
    "admin.users": Route("admin"),
    "admin.set_active": Route(
        "admin", own=lambda actor, world: {"user_id": world.users["demand_b"]}
    ),
    "admin.change_role": Route(
        "admin", own=lambda actor, world: {"user_id": world.users["demand_b"]}
    ),
    "admin.reset_password": Route(
        "admin",
        own=lambda actor, world: {"user_id": world.users["demand_b"]},
        exception=lambda actor, relation, method, variant: _only(200),
        why="the one-time link is shown on the page the POST answers (no mail is configured "
        "here): it is the only copy, so it cannot travel through a redirect",
    ),
    "auth.reset_password": Route(
        "public",
        own=lambda actor, world: {"token": "x" * 43},
        exception=lambda actor, relation, method, variant: _only(404),
        why="no reset link exists in this world, so every token is unknown and answers 404; "
        "a real link is walked in test_account_admin and test_audit_walk",
    ),
    "audit.index": Route("staff"),
    "audit.export": Route("staff"),
    "batches.index": Route("public"),
    "batches.detail": Route(
        "public",
        own=lambda actor, world: {"batch_id": world.batches["published"]},
        other=DRAFT_BATCH,
        exception=lambda actor, relation, method, variant: _only(200) if actor.staff else None,
        why="officials preview a draft batch before they publish it",
    ),
    "batches.pairings": Route("public"),
    "batches.new": Route("staff"),
    "batches.edit": Route("staff", own=DRAFT_BATCH),
    "batches.add": Route("staff", own=DRAFT_BATCH),
    "batches.remove": Route("staff", own=DRAFT_BATCH),
    "batches.publish": Route("staff", own=DRAFT_BATCH),
    "scenarios.index": Route("public"),
    "scenarios.mine": Route("demand, unverified too"),
    "scenarios.new": Route("demand, unverified too"),
    "scenarios.detail": Route(
        "public", own=_own_or_published("scenario", OrgKind.demand), other=_scenario("b_draft")
    ),
    "scenarios.edit": Route(
        "demand, unverified too", own=_scenario("a_draft"), other=_scenario("b_draft")
    ),
    "scenarios.submit": Route("demand", own=_scenario("a_draft"), other=_scenario("b_draft")),
    "scenarios.end": Route("demand", own=_scenario("a_published"), other=_scenario("b_published")),
    "capabilities.index": Route("public"),
    "capabilities.mine": Route("supply, unverified too"),
    "capabilities.new": Route("supply, unverified too"),
    "capabilities.detail": Route(
        "public", own=_own_or_published("capability", OrgKind.supply), other=_capability("b_draft")
    ),
    "capabilities.edit": Route(
        "supply, unverified too", own=_capability("a_draft"), other=_capability("b_draft")
    ),
    "capabilities.submit": Route(
        "supply", own=_capability("a_draft"), other=_capability("b_draft")
    ),
    "capabilities.end": Route(
        "supply", own=_capability("a_published"), other=_capability("b_published")
    ),
    "review.queue": Route("staff"),
    "review.submissions": Route("staff"),
    "review.publish": Route(
        "staff",
        own=lambda actor, world: {"area": "scenarios", "entry_id": world.scenarios["a_submitted"]},
    ),
    "review.send_back": Route(
        "staff",
        own=lambda actor, world: {"area": "scenarios", "entry_id": world.scenarios["a_submitted"]},
    ),
    "review.decide": Route("staff", own=lambda actor, world: {"rec_id": world.pairings["open"]}),
    "review.bulk": Route("staff"),
    "docking.index": Route("signed in"),
    "docking.reminders": Route("staff"),
    "docking.detail": Route(
        "signed in",
        own=PAIRING_A,
        other=PAIRING_B,
        exception=lambda actor, relation, method, variant: _only(200) if actor.staff else None,
        why="officials follow every pairing's docking",
    ),
    "docking.add_step": Route(
        "signed in",
        own=PAIRING_A,
        other=PAIRING_B,
        exception=lambda actor, relation, method, variant: _only(403) if actor.staff else None,
        why="officials may read every timeline but only the two parties write it",
    ),
    "docking.correct": Route(
        "signed in",
        own=lambda actor, world: {**PAIRING_A(actor, world), "step_id": world.steps["a"]},
        other=lambda actor, world: {**PAIRING_B(actor, world), "step_id": world.steps["a"]},
        exception=lambda actor, relation, method, variant: (
            _only(403)
            if relation == "own" and (actor.staff or actor.side == OrgKind.supply)
            else None
        ),
        why="a step is corrected by the organisation that recorded it (the demand side's here); "
        "the other party and officials read it; a step of another pairing is not found",
    ),
    "interest.mine": Route("supply"),
    "interest.received": Route("demand"),
    "interest.express_view": Route(
        "supply", own=_scenario("a_published"), other=_scenario("b_draft")
    ),
    "interest.accept_view": Route(
        "demand",
        own=lambda actor, world: {"interest_id": world.interests["a"]},
        other=lambda actor, world: {"interest_id": world.interests["b"]},
    ),
    "interest.decline_view": Route(
        "demand",
        own=lambda actor, world: {"interest_id": world.interests["a"]},
        other=lambda actor, world: {"interest_id": world.interests["b"]},
    ),
    "inbox.index": Route("signed in"),
    "inbox.badge": Route("signed in"),
    "inbox.mark_all_read": Route("signed in"),
    "inbox.mark_read": Route(
        "signed in",
        own=lambda actor, world: {"notification_id": world.notifications.get(actor.name, 1)},
        other=lambda actor, world: {"notification_id": world.notifications["demand_b"]},
    ),
    "inbox.open_link": Route(
        "signed in",
        own=lambda actor, world: {"notification_id": world.notifications.get(actor.name, 1)},
        other=lambda actor, world: {"notification_id": world.notifications["demand_b"]},
    ),
    "io.index": Route("public"),
    "io.template": Route("public", own=lambda actor, world: {"kind": "scenarios"}),
    "io.export": Route("public", own=lambda actor, world: {"dataset": "scenarios", **FMT}),
    "io.export_docking": Route("signed in", own=lambda actor, world: FMT),
    "io.upload": Route(
        "signed in",
        own=lambda actor, world: {"kind": _upload_kind(actor)},
        other=lambda actor, world: {
            "kind": "scenarios" if _upload_kind(actor) == "capabilities" else "capabilities"
        },
        exception=lambda actor, relation, method, variant: (
            ((_only(200) if method == "GET" else _only(400)) if actor.staff else _only(403))
            if relation == "other"
            else (_only(400) if method == "POST" else None)
        ),
        why="signed in, then narrowed to the list the user's side posts (officials: both); "
        "a post without a file is refused with 400 and the form",
    ),
    "io.review": upload_route(
        "somebody else's upload is treated as expired: back to the upload page, nothing about "
        "it shown (its owner's copy is untouched; test_ownership checks)"
    ),
    "io.discard": upload_route(
        "discarding somebody else's upload does nothing and answers like an expired one"
    ),
    "evidence.mine": Route("supply, unverified too"),
    "evidence.upload": Route("supply, unverified too"),
    "evidence.withdraw": Route("supply, unverified too", own=EVIDENCE_A, other=EVIDENCE_B),
    "evidence.file": Route(
        "signed in",
        own=EVIDENCE_A,
        other=EVIDENCE_B,
        exception=_firm_and_officials,
        why="a file is served to its firm and to officials; to anyone else (a buyer asking "
        "for the supply side's file included) it does not exist",
    ),
    "evidence.queue": Route("staff"),
    "evidence.approve": Route("staff", own=EVIDENCE_A),
    "evidence.reject": Route("staff", own=EVIDENCE_A),
    "api.list_claims": Route("api supply"),
    "api.list_evidence": Route("api staff"),
    "api.get_evidence": Route(
        "api token",
        own=EVIDENCE_A,
        other=EVIDENCE_B,
        exception=_firm_and_officials,
        why="a file's status is its firm's and the officials' business; others are told it "
        "does not exist",
    ),
    "dashboard.officials": Route("staff"),
    "dashboard.officials_export": Route("staff", own=lambda actor, world: FMT),
    "dashboard.statistics": Route("public"),
    "dashboard.statistics_export": Route("public", own=lambda actor, world: FMT),
    "alerts.index": Route("signed in"),
    "alerts.new": Route("signed in", own=lambda actor, world: {"kind": "scenarios"}),
    "alerts.save": Route("signed in", own=lambda actor, world: {"kind": "capabilities"}),
    "alerts.edit": Route("signed in", own=OWN_SEARCH, other=OTHER_SEARCH),
    "alerts.card": Route("signed in", own=OWN_SEARCH, other=OTHER_SEARCH),
    "alerts.delete": Route("signed in", own=OWN_SEARCH, other=OTHER_SEARCH),
    "alerts.results": Route("public", own=OWN_OR_PUBLIC_SEARCH, other=OTHER_SEARCH),
    "alerts.unsubscribe": Route(
        "public",
        own=lambda actor, world: {"token": world.unsubscribe.get(actor.name, "x" * 43)},
        other=lambda actor, world: {"token": world.unsubscribe["demand_b"][:-4] + "abcd"},
        exception=lambda actor, relation, method, variant: (
            (_only(200) if actor.user_id else _only(404)) if relation == "own" else None
        ),
        why="the signed link in an e-mail is the credential: it works without signing in, and "
        "its POST (a mail program's one click, RFC 8058) carries no form token; a made-up or "
        "altered link is not found",
    ),
    "feeds.entries": Route("public", own=lambda actor, world: {"area": "scenarios"}),
    "feeds.batches": Route("public"),
    "feeds.batch": Route(
        "public",
        own=lambda actor, world: {"batch_id": world.batches["published"]},
        other=DRAFT_BATCH,
    ),
    "feeds.pairings": Route("public"),
    "feeds.search": Route(
        "public",
        own=lambda actor, world: {"search_id": world.saved_searches["public"]},
        other=OTHER_SEARCH,
    ),
    # ---- the JSON API: the token decides, never the cookie --------------------------------
    "api.docs": Route("public"),
    "api.openapi_json": Route("api"),
    "api.me": Route("api token"),
    "api.list_scenarios": Route("api"),
    "api.list_capabilities": Route("api"),
    "api.list_batches": Route("api"),
    "api.list_pairings": Route("api"),
    "api.list_recommendations": Route("api staff"),
    "api.get_scenario": Route(
        "api", own=_own_or_published("scenario", OrgKind.demand), other=_scenario("b_draft")
    ),
    "api.get_capability": Route(
        "api", own=_own_or_published("capability", OrgKind.supply), other=_capability("b_draft")
    ),
    "api.get_batch": Route(
        "api", own=lambda actor, world: {"batch_id": world.batches["published"]}, other=DRAFT_BATCH
    ),
    "api.get_pairing": Route(
        "api",
        own=lambda actor, world: {"pairing_id": world.pairings["a"]},
        other=lambda actor, world: {"pairing_id": world.pairings["open"]},
    ),
    "api.get_recommendation": Route(
        "api staff", own=lambda actor, world: {"recommendation_id": world.pairings["open"]}
    ),
    "api.decide": Route(
        "api staff",
        own=lambda actor, world: {"recommendation_id": world.pairings["open"]},
        body={"decision": "approve", "version": 1},
    ),
    "api.create_scenario": Route("api demand", body=SCENARIO_BODY),
    "api.update_scenario": Route(
        "api demand",
        own=_scenario("a_draft"),
        other=_scenario("b_draft"),
        body=SCENARIO_BODY | {"version": 1},
    ),
    "api.submit_scenario": Route(
        "api demand", own=_scenario("a_draft"), other=_scenario("b_draft"), body={"version": 1}
    ),
    "api.create_capability": Route("api supply", body=CAPABILITY_BODY),
    "api.update_capability": Route(
        "api supply",
        own=_capability("a_draft"),
        other=_capability("b_draft"),
        body=CAPABILITY_BODY | {"version": 1},
    ),
    "api.submit_capability": Route(
        "api supply", own=_capability("a_draft"), other=_capability("b_draft"), body={"version": 1}
    ),
    "api.record_docking_step": Route(
        "api token",
        own=lambda actor, world: {"pairing_id": world.pairings["a"]},
        other=lambda actor, world: {"pairing_id": world.pairings["b"]},
        body={"stage": "negotiating", "occurred_on": date.today().isoformat(), "note": "约谈"},
        exception=lambda actor, relation, method, variant: (
            _only(403) if variant == "valid" and (actor.staff or relation == "other") else None
        ),
        why="published pairings are public (GET /api/v1/pairings/<id>), so the API answers a "
        "non-party 403 with the reason rather than pretending the pairing does not exist; "
        "officials are no party (the body is checked first, as on every API write)",
    ),
    "api.correct_docking_step": Route(
        "api token",
        own=lambda actor, world: {"pairing_id": world.pairings["a"], "step_id": world.steps["a"]},
        other=lambda actor, world: {"pairing_id": world.pairings["b"], "step_id": world.steps["a"]},
        body={"stage": "contacted", "occurred_on": date.today().isoformat(), "note": "更正"},
        exception=lambda actor, relation, method, variant: (
            _only(403)
            if variant == "valid"
            and (actor.staff or relation == "other" or actor.side == OrgKind.supply)
            else None
        ),
        why="as for recording a step, a non-party is told why (403); of the two parties only the "
        "organisation that recorded the step (the demand side's here) corrects it",
    ),
    "api.docking_timeline": Route(
        "api token",
        own=lambda actor, world: {"pairing_id": world.pairings["a"]},
        other=lambda actor, world: {"pairing_id": world.pairings["b"]},
        exception=lambda actor, relation, method, variant: _only(200) if actor.staff else None,
        why="officials follow every pairing's docking",
    ),
    "api.list_saved_searches": Route("api token"),
    "api.create_saved_search": Route(
        "api token", body={"name": "我的搜索", "kind": "scenarios", "q": "OCR"}
    ),
    "api.get_saved_search": Route("api token", own=OWN_SEARCH, other=OTHER_SEARCH),
    "api.saved_search_results": Route("api token", own=OWN_SEARCH, other=OTHER_SEARCH),
    "api.update_saved_search": Route(
        "api token", own=OWN_SEARCH, other=OTHER_SEARCH, body={"name": "改名", "version": 1}
    ),
    "api.delete_saved_search": Route(
        "api token",
        own=OWN_SEARCH,
        other=OTHER_SEARCH,
        body={"version": 1},
        exception=lambda actor, relation, method, variant: (
            _only(204, 409) if variant == "valid" and relation == "own" else None
        ),
        why="a deletion answers 204 with no body",
    ),
}
# Served by Flask itself, before any view: open to everyone by nature.
NOT_VIEWS = {"static"}


# ---- what the marks declare -----------------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    statuses: Expect
    login_redirect: bool = False  # a 302 to the sign-in page
    problem: bool = False  # an application/problem+json answer


LOGIN = Expectation(_only(302), login_redirect=True)


def declared(mark: tuple, endpoint: str) -> str:
    """A view's mark in the words of Route.who."""
    kind = mark[0]
    if kind == "api":
        access = _api_access(endpoint)
        if access.kind == "roles":
            return "api staff" if set(access.roles) == set(STAFF) else "api ?"
        return {"public": "api", "token": "api token"}.get(access.kind, f"api {access.side}")
    if kind == "roles":
        return "staff" if set(mark[1]) == set(STAFF) else "+".join(sorted(mark[1]))
    if kind == "side":
        return str(mark[1]) + (", unverified too" if "drafts" in mark[2:] else "")
    return {"public": "public", "signed_in": "signed in"}[kind]


def _api_access(endpoint: str) -> Any:
    name = endpoint.removeprefix("api.")
    return next(op.access for op in registry.operations if op.endpoint == name)


def admitted(mark: tuple, endpoint: str, actor: Actor) -> Expectation | None:
    """The refusal the mark declares for `actor`, or None if the mark lets them in."""
    if mark[0] == "api":
        if mark == ("api", "public") and actor.token is None:
            return None
        if actor.token is None or not actor.active:
            return Expectation(_only(401), problem=True)  # no token, or a disabled account's
        access = _api_access(endpoint)
        if access.kind == "roles" and actor.role not in access.roles:
            return Expectation(_only(403), problem=True)
        if access.kind == "side" and actor.side != access.side:
            return Expectation(_only(403), problem=True)
        return None
    kind = mark[0]
    if kind == "public":
        return None
    if not actor.signed_in:
        return LOGIN
    if kind == "roles" and actor.role not in mark[1]:
        return Expectation(_only(403))
    if kind == "side" and actor.side != mark[1]:
        return Expectation(_only(403))
    return None


def allowed(route: Route, api: bool, method: str, variant: str) -> Expect:
    """What a visitor the mark lets in gets, for their own (or a public) object."""
    if api:
        return {
            "plain": _only(200),
            "empty": _only(422),
            "garbage": _only(400),
            "form": _only(415),
            "valid": _only(200, 201, 409),  # 409: another visitor made the same change first
        }[variant]
    if method == "GET":
        return _only(200)
    refused = {302, 303, 400, 409, 422}
    if route.form_rerender or variant == "htmx":
        refused.add(200)  # the form drawn again with its errors; htmx gets its fragment
    return frozenset(refused)


# ---- making the requests --------------------------------------------------------------------


@dataclass
class Call:
    method: str
    url: str
    variant: str
    kwargs: dict[str, Any] = field(default_factory=dict)


def calls(client: Any, actor: Actor, api: bool, method: str, url: str, route: Route):
    """The requests one visitor makes to one route and method (a page, a form, a JSON body)."""
    if api:
        headers = {"Authorization": f"Bearer {actor.token}"} if actor.token else {}
        if method == "GET":
            yield Call(method, url, "plain", {"headers": headers})
            return
        yield Call(method, url, "empty", {"headers": headers, "json": {}})
        yield Call(
            method,
            url,
            "garbage",
            {"headers": headers, "data": GARBAGE_JSON, "content_type": "application/json"},
        )
        yield Call(method, url, "form", {"headers": headers, "data": {"title": "x"}})
        if route.body is not None:
            yield Call(method, url, "valid", {"headers": headers, "json": route.body})
        return
    if method == "GET":
        yield Call(method, url, "plain")
        yield Call(method, url, "htmx", {"headers": {"HX-Request": "true"}})
        return
    token = csrf_token(client)
    yield Call(method, url, "empty", {"data": {"csrf_token": token}})
    yield Call(
        method,
        url,
        "htmx",
        {"headers": {"HX-Request": "true", "X-CSRFToken": token}, "data": {}},
    )
    yield Call(method, url, "garbage", {"data": {**GARBAGE_FORM, "csrf_token": token}})


def rules_of(app: Flask, endpoint: str) -> list[Any]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint]


def _methods(rule: Any) -> list[str]:
    return [m for m in METHODS if m in rule.methods]


OTHER_VARIANTS = {True: ("plain", "valid"), False: ("plain", "empty")}


def check(response: Any, expectation: Expectation) -> str | None:
    """Why `response` does not meet `expectation`, or None."""
    # Read and close: a streamed download left open keeps its request's context (and the
    # signed-in user on g) alive into the next request of the test client.
    response.get_data()
    response.close()
    status = response.status_code
    if status >= 500:
        return f"{status} (server error)"
    if status not in expectation.statuses:
        return f"{status}, expected {sorted(expectation.statuses)}"
    if expectation.login_redirect and not response.location.startswith("/auth/login"):
        return f"redirect to {response.location}, expected the sign-in page"
    if expectation.problem and response.mimetype != "application/problem+json":
        return f"{response.mimetype}, expected a problem document"
    return None


def walk(app: Flask, session: Any, world: World, endpoint: str) -> Iterator[str]:
    """Every mismatch between what `endpoint` answers and what it declares."""
    route = ROUTES[endpoint]
    mark = app.view_functions[endpoint].access
    for rule in rules_of(app, endpoint):
        adapter = app.url_map.bind("localhost")
        for method in _methods(rule):
            for name in ACTORS:
                actor = world.actors[name]
                relations = [("own", route.own)] + ([("other", route.other)] if route.other else [])
                for relation, values in relations:
                    url = adapter.build(endpoint, values(actor, world), method=method)
                    refusal = admitted(mark, endpoint, actor)
                    api = mark[0] == "api"
                    client = client_for(app, session, actor)
                    for call in calls(client, actor, api, method, url, route):
                        if relation == "other" and call.variant not in OTHER_VARIANTS[api]:
                            continue  # the API checks a body before it looks the object up
                        if refusal is not None:
                            expectation = refusal
                        else:
                            special = route.exception and route.exception(
                                actor, relation, method, call.variant
                            )
                            if special:
                                expectation = Expectation(
                                    special, problem=api and min(special) >= 400
                                )
                            elif relation == "other":
                                expectation = Expectation(_only(404), problem=api)
                            else:
                                expectation = Expectation(
                                    allowed(route, api, method, call.variant),
                                    problem=api and call.variant in ("empty", "garbage", "form"),
                                )
                        response = client.open(call.url, method=call.method, **call.kwargs)
                        problem = check(response, expectation)
                        if problem:
                            yield (
                                f"{method} {rule.rule} as {name} ({relation}, {call.variant}): "
                                f"{problem}"
                            )


# ---- the tests --------------------------------------------------------------------------------


def test_every_route_has_a_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - NOT_VIEWS
    assert sorted(endpoints - set(ROUTES)) == [], "new routes need an entry in ROUTES"
    assert sorted(set(ROUTES) - endpoints) == [], "ROUTES lists routes that no longer exist"
    undeclared = [name for name, route in ROUTES.items() if route.exception and not route.why]
    assert undeclared == [], "every exception says why"


def test_every_guard_is_the_one_reviewed(app):
    """A guard changed in code (say, relaxed to public) must be changed here too."""
    changed = {
        endpoint: declared(app.view_functions[endpoint].access, endpoint)
        for endpoint in ROUTES
        if endpoint in app.view_functions
        and declared(app.view_functions[endpoint].access, endpoint) != ROUTES[endpoint].who
    }
    assert changed == {}


@pytest.fixture
def world(app, session) -> World:
    return build(app, session)


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_route_answers_as_declared(app, session, world, endpoint):
    if endpoint not in app.view_functions:
        pytest.fail(f"{endpoint} is listed in ROUTES but not registered")
    problems = list(walk(app, session, world, endpoint))
    assert not problems, "\n".join(problems)


def test_methods_a_route_does_not_have_answer_405(app, session, world):
    adapter = app.url_map.bind("localhost")
    paths: dict[str, set[str]] = {}
    urls: dict[str, str] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_VIEWS:
            continue
        # Rules with the same path (GET and PUT of one API object) share one URL and methods.
        paths.setdefault(rule.rule, set()).update(rule.methods)
        if rule.rule not in urls:
            values = ROUTES[rule.endpoint].own(world.actors["demand"], world)
            urls[rule.rule] = adapter.build(rule.endpoint, values, method=None)
    wrong = []
    for name in ("anonymous", "official"):
        client = client_for(app, session, world.actors[name])
        token = csrf_token(client)
        for path, methods in sorted(paths.items()):
            url = urls[path]
            for method in METHODS:
                if method in methods:
                    continue
                response = client.open(
                    url, method=method, data={"csrf_token": token}, headers={"X-CSRFToken": token}
                )
                if response.status_code != 405:
                    wrong.append(f"{method} {url} as {name}: {response.status_code}")
    assert wrong == []


def test_the_session_cookie_never_authenticates_the_api(app, session, world):
    """A signed-in browser calling the API without a token is anonymous to it (so no CSRF)."""
    adapter = app.url_map.bind("localhost")
    wrong = []
    for op in registry.operations:
        if not op.access.needs_token:
            continue
        endpoint = f"api.{op.endpoint}"
        for name in ("demand", "supply", "official", "admin"):
            actor = world.actors[name]
            client = client_for(app, session, actor)
            url = adapter.build(endpoint, ROUTES[endpoint].own(actor, world), method=op.method)
            response = client.open(url, method=op.method, json=ROUTES[endpoint].body or {})
            if response.status_code != 401:
                wrong.append(f"{op.method} {url} as {name} with a cookie: {response.status_code}")
    assert wrong == []


def test_huge_and_odd_numbers_in_urls_and_queries_never_fail(app, session, world):
    """Ids past the database's integers, and digits int() refuses, are "not found" or ignored."""
    official = client_for(app, session, world.actors["official"])
    odd = ("99999999999999999999", "²", "١", "-1", "1e3")
    wrong = []
    for value in odd:
        for url in (
            f"/scenarios/?page={value}&batch={value}",
            f"/capabilities/?page={value}&batch={value}",
            f"/review/?page={value}&batch={value}&min_score={value}",
            f"/audit/?page={value}",
            f"/docking/?page={value}",
            f"/inbox/?page={value}",
            f"/interest/received?scenario={value}",
            f"/dashboard/?batch={value}",
            f"/statistics/?batch={value}",
            f"/io/export/scenarios.csv?batch={value}",
            f"/api/v1/scenarios?page={value}&batch={value}",
        ):
            client = official
            if url.startswith("/interest"):
                client = client_for(app, session, world.actors["demand"])
            if url.startswith("/inbox"):
                client = client_for(app, session, world.actors["supply"])
            status = client.get(url).status_code
            if status not in (200, 422):
                wrong.append(f"GET {url}: {status}")
        for rule in app.url_map.iter_rules():
            if "int:" not in rule.rule or rule.endpoint in NOT_VIEWS:
                continue
            url = rule.rule
            for arg in rule.arguments:
                converter = rule._converters[arg].__class__.__name__
                replacement = value if converter == "IdConverter" else None
                if replacement is None:
                    url = None
                    break
                url = url.replace(f"<int:{arg}>", replacement)
            if url is None:
                continue
            method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
            answer = official.open(url, method=method)
            answer.close()  # "١" is a digit to the route: evidence file 1 is served, then closed
            status = answer.status_code
            if status >= 500:
                wrong.append(f"{method} {url}: {status}")
    assert wrong == []


def test_form_numbers_past_the_database_integers_are_refused_not_failed(app, session, world):
    official = client_for(app, session, world.actors["official"])
    demand = client_for(app, session, world.actors["demand"])
    huge = "99999999999999999999"
    posts = [
        (
            official,
            f"/review/recommendations/{world.pairings['open']}/decision",
            {"decision": "approve", "version": huge},
        ),
        (
            official,
            "/review/recommendations/bulk",
            {"decision": "approve", "pick": [f"{huge}:1", f"{world.pairings['open']}:{huge}"]},
        ),
        (
            official,
            f"/batches/{world.batches['draft']}/items",
            {"pairing": huge, "scenario": huge, "version": huge},
        ),
        (
            official,
            f"/batches/{world.batches['draft']}/items/remove",
            {"item": "pairing", "id": huge, "version": huge},
        ),
        (official, f"/batches/{world.batches['draft']}/publish", {"version": huge}),
        (
            official,
            f"/review/scenarios/{world.scenarios['a_submitted']}/publish",
            {"version": huge},
        ),
        (demand, f"/scenarios/{world.scenarios['a_draft']}/submit", {"version": huge}),
    ]
    wrong = []
    for client, url, data in posts:
        response = client.post(url, data={**data, "csrf_token": csrf_token(client)})
        if response.status_code >= 500:
            wrong.append(f"POST {url}: {response.status_code}")
    assert wrong == []


def test_the_matrix_can_see_a_guard_missing(app, session, world):
    """The walk reports a view that lets in more than its mark says (the test can fail)."""
    view = app.view_functions["admin.users"]
    app.view_functions["admin.users"] = lambda: "every account"
    app.view_functions["admin.users"].access = view.access
    problems = list(walk(app, session, world, "admin.users"))
    assert any("as supply" in p and "200, expected [403]" in p for p in problems)
    assert any("as anonymous" in p for p in problems)
