"""What the platform decides is never taken from the client: owner, status, reviewer, version,
batch. And another organisation's objects stay out of reach."""

import io
from datetime import date

import pytest
from sqlmodel import select
from world import build, client_for

from matchmaker.spreadsheets import imports
from models import (
    Batch,
    BatchStatus,
    Capability,
    DockingEvent,
    Interest,
    Organisation,
    Recommendation,
    Role,
    Scenario,
    User,
)
from support import PASSWORD, make_credit_code, post

# Fields the platform sets itself, as a hostile form or body would send them.
PROTECTED = {
    "organisation_id": "{other_org}",
    "status": "published",
    "reviewer_id": "{official}",
    "batch_id": "{batch}",
    "code": "S9999",
    "review_note": "approved by nobody",
    "published_at": "2020-01-01T00:00:00",
    "search_text": "planted",
    "tokens": "{{}}",
    "id": "424242",
}
ENTRY_FORMS = {
    "scenarios": {
        "title": "园区能耗在线监测",
        "description": "工业园区需要对重点企业的水电气能耗进行在线监测、分析与预警，支撑节能改造。",
        "field": "工业互联网",
        "district": "两江新区",
        "tags": "能耗监测",
    },
    "capabilities": {
        "title": "能耗在线监测平台",
        "description": "面向园区与工厂的水电气能耗采集、分析、预警平台，已在多个园区落地运行。",
        "field": "工业互联网",
        "district": "两江新区",
        "tags": "能耗监测",
    },
}
SIDE = {"scenarios": ("demand", Scenario), "capabilities": ("supply", Capability)}


def hostile(world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    values = {
        "other_org": world.orgs["demand_b"],
        "official": world.users["official"],
        "batch": world.batches["published"],
    }
    return {name: value.format(**values) for name, value in PROTECTED.items()}


@pytest.fixture
def world(app, session):  # type: ignore[no-untyped-def]
    return build(app, session)


@pytest.mark.parametrize("area", ["scenarios", "capabilities"])
def test_a_new_entry_ignores_protected_fields_in_the_form(app, session, world, area):
    who, model = SIDE[area]
    actor = world.actors[who]
    browser = client_for(app, session, actor)
    form = {**ENTRY_FORMS[area], **hostile(world), "save_draft": "y"}
    assert post(browser, f"/{area}/new", form).status_code == 302
    entry = session.exec(select(model).where(model.title == form["title"])).one()
    own_org = session.get(User, actor.user_id).organisation_id
    assert entry.organisation_id == own_org
    assert entry.status == "draft" and entry.id != 424242
    assert (entry.batch_id, entry.code, entry.review_note, entry.published_at) == (
        None,
        None,
        "",
        None,
    )
    assert entry.version == 1 and "planted" not in entry.search_text


@pytest.mark.parametrize("area", ["scenarios", "capabilities"])
def test_editing_an_entry_cannot_move_it_or_publish_it(app, session, world, area):
    who, model = SIDE[area]
    ids = world.scenarios if area == "scenarios" else world.capabilities
    entry = session.get(model, ids["a_draft"])
    owner = entry.organisation_id
    browser = client_for(app, session, world.actors[who])
    form = {**ENTRY_FORMS[area], **hostile(world), "version": str(entry.version), "save_draft": "y"}
    assert post(browser, f"/{area}/{entry.id}/edit", form).status_code == 302
    session.refresh(entry)
    assert entry.title == ENTRY_FORMS[area]["title"]  # the edit itself went through
    assert (entry.organisation_id, entry.status, entry.batch_id) == (owner, "draft", None)
    assert entry.version == 2 and entry.review_note == ""


@pytest.mark.parametrize(
    "path, who, body",
    [
        ("/api/v1/scenarios", "demand", {"title": "园区能耗在线监测", "field": "工业互联网"}),
        ("/api/v1/capabilities", "supply", {"title": "能耗在线监测平台", "field": "工业互联网"}),
    ],
)
def test_api_bodies_cannot_set_protected_fields(app, session, world, path, who, body):
    full = {
        **body,
        "description": "面向园区与工厂的水电气能耗采集、分析、预警，已在多个园区落地运行。",
    }
    headers = {"Authorization": f"Bearer {world.actors[who].token}"}
    client = app.test_client()

    def stored() -> list[int]:
        return session.exec(select(Scenario.id)).all() + session.exec(select(Capability.id)).all()

    before = stored()
    for field, value in hostile(world).items():
        typed = int(value) if value.isdigit() else value
        response = client.post(path, json={**full, field: typed}, headers=headers)
        assert response.status_code == 422, field
        problems = response.get_json()["errors"]
        assert [(p["field"], p["type"]) for p in problems] == [(field, "extra_forbidden")]
        assert field in problems[0]["message"]  # "… is set by the platform …", by name
    assert stored() == before
    # Without them, the same body is accepted: the refusals were the fields' doing.
    assert client.post(path, json=full, headers=headers).status_code == 201


@pytest.mark.parametrize("field", ["organisation_id", "status", "batch_id", "reviewer_id"])
def test_an_api_update_cannot_set_protected_fields(app, session, world, field):
    scenario = session.get(Scenario, world.scenarios["a_draft"])
    body = {
        "title": "园区能耗在线监测",
        "description": "工业园区需要对重点企业的水电气能耗进行在线监测、分析与预警。",
        "field": "工业互联网",
        "version": scenario.version,
        field: world.orgs["demand_b"] if field != "status" else "published",
    }
    token = world.actors["demand"].token
    response = app.test_client().put(
        f"/api/v1/scenarios/{scenario.id}", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422
    session.refresh(scenario)
    assert scenario.organisation_id == world.orgs["demand_a"] and scenario.status == "draft"


def test_a_review_decision_is_attributed_to_the_official_who_made_it(app, session, world):
    rec = session.get(Recommendation, world.pairings["open"])
    official = client_for(app, session, world.actors["official"])
    form = {
        "decision": "approve",
        "version": str(rec.version),
        "reviewer_id": str(world.users["admin"]),
        "status": "published",
        "batch_id": str(world.batches["published"]),
    }
    assert post(official, f"/review/recommendations/{rec.id}/decision", form).status_code == 303
    session.refresh(rec)
    assert rec.reviewer_id == world.users["official"]
    assert rec.status == "approved" and rec.batch_id is None


def test_a_docking_step_is_attributed_to_its_author_and_their_organisation(app, session, world):
    supply = client_for(app, session, world.actors["supply"])
    pairing = world.pairings["a"]
    form = {
        "stage": "negotiating",
        "occurred_on": date.today().isoformat(),
        "note": "第二次会谈",
        "user_id": str(world.users["demand"]),
        "organisation_id": str(world.orgs["demand_b"]),
        "recommendation_id": str(world.pairings["b"]),
    }
    assert post(supply, f"/docking/{pairing}/steps", form).status_code == 302
    step = session.exec(select(DockingEvent).where(DockingEvent.note == "第二次会谈")).one()
    assert (step.user_id, step.organisation_id, step.recommendation_id) == (
        world.users["supply"],
        world.orgs["supply_a"],
        pairing,
    )


def test_interest_is_expressed_for_ones_own_firm_only(app, session, world):
    supply = client_for(app, session, world.actors["supply"])
    scenario = world.scenarios["a_published"]
    form = {
        "capability": str(world.capabilities["b_published"]),  # another firm's capability
        "organisation_id": str(world.orgs["supply_b"]),
        "message": "冒名",
    }
    response = post(supply, f"/interest/scenarios/{scenario}", form)
    assert response.status_code == 422  # not one of the firm's own capabilities to choose
    form["capability"] = str(world.capabilities["a_published"])
    assert post(supply, f"/interest/scenarios/{scenario}", form).status_code == 302
    interest = session.exec(select(Interest).where(Interest.message == "冒名")).one()
    assert interest.organisation_id == world.orgs["supply_a"]
    assert interest.user_id == world.users["supply"] and interest.status == "pending"


def test_registration_cannot_choose_a_role_a_kind_or_verification(client, session):
    form = {
        "org_name": "重庆冒名科技有限公司",
        "org_kind": "supply",
        "credit_code": make_credit_code(),
        "district": "渝北区",
        "name": "新用户",
        "email": "new@example.cn",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "role": "admin",
        "verified": "1",
        "is_active": "1",
        "session_version": "99",
    }
    assert post(client, "/auth/register", {**form, "org_kind": "authority"}).status_code == 422
    assert session.exec(select(User).where(User.email == "new@example.cn")).first() is None
    assert post(client, "/auth/register", form).status_code == 302
    user = session.exec(select(User).where(User.email == "new@example.cn")).one()
    org = session.get(Organisation, user.organisation_id)
    assert user.role == Role.org_admin and user.session_version == 1
    assert not org.verified and org.kind == "supply"


def test_a_new_batch_starts_as_a_draft_whatever_the_form_says(app, session, world):
    official = client_for(app, session, world.actors["official"])
    form = {"year": "2026", "number": "3", "status": "published", "published_at": "2026-01-01"}
    assert post(official, "/batches/new", form).status_code == 303
    batch = session.exec(select(Batch).where(Batch.year == 2026)).one()
    assert batch.status == BatchStatus.draft and batch.published_at is None
    assert batch.created_by_id == world.users["official"]


def test_a_member_cannot_import_entries_for_another_organisation(app, session, world):
    demand = client_for(app, session, world.actors["demand"])
    other = session.get(Organisation, world.orgs["demand_b"])
    sheet = (
        "场景名称,场景描述,所属领域,所属单位\n"
        f"园区能耗在线监测,工业园区需要对重点企业的能耗进行在线监测分析与预警。,工业互联网,{other.name}\n"
    ).encode()
    response = post(demand, "/io/import/scenarios", {"file": (io.BytesIO(sheet), "list.csv")})
    assert response.status_code == 302
    preview = demand.get(response.location).get_data(as_text=True)
    assert "所属单位" in preview  # listed among the columns that are ignored
    confirmed = post(demand, response.location, {"status": "submitted"})
    assert confirmed.status_code == 302
    saved = session.exec(select(Scenario).where(Scenario.title == "园区能耗在线监测")).one()
    assert saved.organisation_id == world.orgs["demand_a"]


def test_someone_elses_upload_cannot_be_previewed_confirmed_or_discarded(app, session, world):
    demand = client_for(app, session, world.actors["demand"])
    theirs = world.uploads["demand_b"]
    url = f"/io/import/scenarios/{theirs}"
    for response in (
        demand.get(url),
        post(demand, url, {"status": "draft"}),
        post(demand, f"{url}/discard"),
    ):
        assert response.status_code == 302
        assert response.location == "/io/import/scenarios"
    kept = imports.load_stash(
        app.instance_path, theirs, kind="scenarios", user_id=world.users["demand_b"]
    )
    assert kept is not None  # still there for its owner


def test_a_revoked_or_foreign_token_id_cannot_be_revoked_by_another_user(app, session, world):
    demand = client_for(app, session, world.actors["demand"])
    theirs = world.api_tokens["supply"]
    assert post(demand, f"/account/tokens/{theirs}/revoke").status_code == 404
    response = app.test_client().get(
        "/api/v1/me", headers={"Authorization": f"Bearer {world.actors['supply'].token}"}
    )
    assert response.status_code == 200  # still works for its owner
