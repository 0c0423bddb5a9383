"""Batches: an official assembles a numbered batch, previews it and publishes it to everyone."""

import re

import pytest
from listdata import make_batch
from posting_data import matched_lists, member_of, official, scenarios_in_two_fields, sign_in
from sqlmodel import select

from matchmaker.batches.publication import candidates
from matchmaker.web.dates import local_today
from models import (
    AuditEntry,
    Batch,
    BatchStatus,
    Capability,
    CapabilityStatus,
    Notification,
    OrgKind,
    Recommendation,
    RecommendationStatus,
    Scenario,
    User,
)
from models.batch import chinese_number, default_name
from support import post


def decide_all(desk, session, *, reject_first: bool) -> tuple[list[Recommendation], Recommendation]:
    """Reject the first pairing (if asked) and approve the rest through the queue."""
    rows = list(session.exec(select(Recommendation).order_by(Recommendation.id)))
    rejected = rows[0] if reject_first else None
    if rejected:
        post(
            desk,
            f"/review/recommendations/{rejected.id}/decision",
            {"decision": "reject", "version": 1, "note": "案例不匹配"},
        )
    approved = [r for r in rows if r is not rejected]
    post(
        desk,
        "/review/recommendations/bulk",
        {"pick": [f"{r.id}:1" for r in approved], "decision": "approve"},
    )
    session.expire_all()
    return approved, rejected


def test_an_official_assembles_previews_and_publishes_a_numbered_batch(app, session):
    lists = matched_lists(app, session)
    desk = sign_in(app, official(session))
    approved, rejected = decide_all(desk, session, reject_first=True)

    response = post(desk, "/batches/new", {"year": "2023", "number": "1"})
    assert response.status_code == 303
    batch = session.exec(select(Batch)).one()
    assert batch.name == "2023年第一批" and batch.status is BatchStatus.draft
    page = desk.get(response.location).get_data(as_text=True)
    assert "Batch 1 of 2023 is open: add pairings and entries to it." in page
    for rec in approved:
        assert f'name="pairing" value="{rec.id}"' in page
    assert f'name="pairing" value="{rejected.id}"' not in page

    response = post(
        desk,
        f"/batches/{batch.id}/items",
        {
            "version": batch.version,
            "pairing": [str(r.id) for r in approved],
            "scenario": [str(s.id) for s in lists.scenarios],
            "capability": [str(c.id) for c in lists.capabilities],
        },
    )
    assert response.status_code == 303
    added = len(approved) + len(lists.scenarios) + len(lists.capabilities)
    assert f"{added} items added." in desk.get(response.location).get_data(as_text=True)

    visitor = app.test_client()
    visitor.get("/?lang=en")  # a visitor reading the English pages
    assert visitor.get(f"/batches/{batch.id}").status_code == 404
    assert "Batch 1 of 2023" not in visitor.get("/batches/").get_data(as_text=True)
    session.refresh(batch)
    preview = desk.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "Preview: this batch is a draft and not public." in preview
    assert all(c.title in preview for c in lists.capabilities)

    response = post(desk, f"/batches/{batch.id}/publish", {"version": batch.version})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Batch, batch.id).status is BatchStatus.published
    for rec in approved:
        stored = session.get(Recommendation, rec.id)
        assert stored.status is RecommendationStatus.published and stored.batch_id == batch.id
    stored = session.get(Recommendation, rejected.id)
    assert stored.status is RecommendationStatus.rejected and stored.batch_id is None
    assert all(session.get(Scenario, s.id).batch_id == batch.id for s in lists.scenarios)
    told = session.exec(
        select(User.organisation_id, Notification.params)
        .join(User, User.id == Notification.user_id)
        .where(Notification.kind == "pairing.published")
    ).all()
    assert {org for org, _ in told} >= {lists.government.id, lists.group.id}
    assert all(params["batch"] == "2023年第一批" for _, params in told)

    listing = visitor.get("/batches/").get_data(as_text=True)
    assert "Batch 1 of 2023" in listing  # 2023年第一批, in the reader's language
    public = visitor.get(f"/batches/{batch.id}").get_data(as_text=True)
    for rec in approved:
        pair = (session.get(Scenario, rec.scenario_id), session.get(Capability, rec.capability_id))
        assert pair[0].title in public and pair[1].title in public
    assert "Shared key terms:" in public
    by_batch = visitor.get(f"/scenarios/?batch={batch.id}").get_data(as_text=True)
    assert all(s.title in by_batch for s in lists.scenarios)

    scenario = session.get(Scenario, rejected.scenario_id)
    page = visitor.get(f"/scenarios/{scenario.id}").get_data(as_text=True)
    assert "Published pairings" in page
    assert (
        session.get(Capability, rejected.capability_id).title
        not in page.split("Published pairings")[1]
    )

    assert post(desk, f"/batches/{batch.id}/publish", {"version": 3}).status_code == 409
    assert post(desk, f"/batches/{batch.id}/items", {"version": 3}).status_code == 409
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.object_type == "batch")).all()
    assert sorted(actions) == ["batch.add", "batch.create", "batch.publish"]


def test_batch_input_and_state_are_checked(app, session):
    lists = matched_lists(app, session)
    desk = sign_in(app, official(session))
    assert post(desk, "/batches/new", {"year": "2023", "number": "100"}).status_code == 422
    assert post(desk, "/batches/new", {"year": "二〇二三", "number": "1"}).status_code == 422
    assert post(desk, "/batches/new", {"year": "2023", "number": "1"}).status_code == 303
    again = post(desk, "/batches/new", {"year": "2023", "number": "1", "name": "另一个名字"})
    assert again.status_code == 422 and "exists already" in again.get_data(as_text=True)
    # No name typed: the number is what to change, and the message says so there, by the
    # batch's usual name in the reader's words.
    unnamed = post(desk, "/batches/new?lang=zh", {"year": "2023", "number": "1"})
    said = unnamed.get_data(as_text=True)
    assert re.search(r'id="number-error"[^>]*>2023年第一批已存在。', said), said[-2000:]
    desk.get("/?lang=en")
    same_name = post(desk, "/batches/new", {"year": "2024", "number": "2", "name": "2023年第一批"})
    assert same_name.status_code == 422
    batch = session.exec(select(Batch)).one()
    # The form offers this year's next number.
    with app.app_context():
        this_year = local_today().year
    assert post(desk, "/batches/new", {"year": this_year, "number": "1"}).status_code == 303
    form = desk.get("/batches/new").get_data(as_text=True)
    assert re.search(rf'name="year"[^>]*value="{this_year}"', form)
    assert re.search(r'name="number"[^>]*value="2"', form)

    empty = post(desk, f"/batches/{batch.id}/publish", {"version": 1})
    assert empty.status_code == 409 and "The batch is empty" in empty.get_data(as_text=True)

    # A pairing goes public with its batch, so both its entries must be published first.
    approved, _ = decide_all(desk, session, reject_first=False)
    capability = session.get(Capability, approved[0].capability_id)
    capability.status = CapabilityStatus.submitted
    session.add(capability)
    session.commit()
    response = post(
        desk, f"/batches/{batch.id}/items", {"version": 1, "pairing": [str(approved[0].id)]}
    )
    page = desk.get(response.location).get_data(as_text=True)
    assert "Some ticked items were not added" in page and "0 items added." not in page
    assert session.get(Recommendation, approved[0].id).batch_id is None
    # Nothing went in: the batch's version stands, so other officials' pages stay valid.
    session.refresh(batch)
    assert batch.version == 1

    # Adding with nothing ticked says so, and records nothing.
    nothing = post(desk, f"/batches/{batch.id}/items", {"version": batch.version})
    assert "Nothing was ticked" in desk.get(nothing.location).get_data(as_text=True)
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "batch.add")).all() == []

    # Two officials assembling at once: the second, on a stale page, is told.
    capability.status = CapabilityStatus.published
    session.add(capability)
    session.commit()
    first = {"version": 1, "pairing": [str(approved[0].id)]}
    assert post(desk, f"/batches/{batch.id}/items", first).status_code == 303
    stale = {"version": 1, "scenario": [str(approved[0].scenario_id)]}
    assert post(desk, f"/batches/{batch.id}/items", stale).status_code == 409
    # Ticked with one that cannot go in: the trail names only what went in.
    kept, left_out = [r for r in approved[1:] if r.capability_id != capability.id][:2]
    assert kept.capability_id != left_out.capability_id
    other = session.get(Capability, left_out.capability_id)
    other.status = CapabilityStatus.submitted
    session.add(other)
    session.commit()
    mixed = {"version": 2, "pairing": [str(kept.id), str(left_out.id)]}
    assert post(desk, f"/batches/{batch.id}/items", mixed).status_code == 303
    trail = session.exec(
        select(AuditEntry).where(AuditEntry.action == "batch.add").order_by(AuditEntry.id)
    ).all()
    assert [t.changes["pairings"] for t in trail] == [[approved[0].id], [kept.id]]
    assert post(desk, "/batches/999/publish", {"version": 1}).status_code == 404
    assert (
        post(desk, f"/batches/{batch.id}/items/remove", {"item": "x", "id": "1"}).status_code == 400
    )
    firm = sign_in(app, member_of(session, OrgKind.supply, "重庆某软件公司"))
    assert firm.get("/batches/new").status_code == 403
    assert firm.get(f"/batches/{batch.id}").status_code == 404  # a draft is not public yet
    assert lists.scenarios  # the lists stayed as they were


@pytest.mark.parametrize(
    "number, words", [(1, "一"), (9, "九"), (10, "十"), (12, "十二"), (20, "二十"), (99, "九十九")]
)
def test_batches_are_named_the_way_officials_write_them(number, words):
    assert chinese_number(number) == words
    assert default_name(2023, number) == f"2023年第{words}批"


def test_a_batch_s_usual_name_reads_in_the_reader_s_language(app, client, session):
    make_batch(session)  # 2024年第一批, the usual name
    make_batch(session, name="数字经济专场", number=2)  # typed by an official: kept as typed
    english = client.get("/scenarios/?lang=en").get_data(as_text=True)
    assert ">Batch 1 of 2024</option>" in english and ">数字经济专场</option>" in english
    chinese = client.get("/scenarios/?lang=zh").get_data(as_text=True)
    assert ">2024年第一批</option>" in chinese and "Batch 1 of 2024" not in chinese


def test_the_publish_confirmation_counts_the_entries_its_pairings_bring_along(app, session):
    matched_lists(app, session)
    desk = sign_in(app, official(session))
    approved, _ = decide_all(desk, session, reject_first=False)
    post(desk, "/batches/new", {"year": "2024", "number": "2"})
    batch = session.exec(select(Batch)).one()
    post(
        desk,
        f"/batches/{batch.id}/items",
        {"version": batch.version, "pairing": [str(r.id) for r in approved]},
    )
    scenarios = {r.scenario_id for r in approved}
    capabilities = {r.capability_id for r in approved}

    page = desk.get(f"/batches/{batch.id}/edit?lang=en").get_data(as_text=True)

    # Only pairings were ticked, yet publishing files their scenarios and capabilities too.
    assert (
        f"{len(approved)} pairings, {len(scenarios)} scenarios and {len(capabilities)} capabilities"
        in page
    )
    assert "the entries of its pairings included" in page
    # No mail is configured here, so the confirmation promises only the inbox.
    assert "notified in their inbox:" in page and "by e-mail" not in page
    session.refresh(batch)
    post(desk, f"/batches/{batch.id}/publish", {"version": batch.version})
    session.expire_all()
    assert {
        s.id for s in session.exec(select(Scenario).where(Scenario.batch_id == batch.id))
    } == scenarios
    published = session.exec(
        select(AuditEntry.changes).where(AuditEntry.action == "batch.publish")
    ).one()
    assert set(published["capabilities"]) == capabilities


def test_an_official_narrows_what_could_go_into_a_batch_and_sees_how_many_wait(app, session):
    clinics, halls = scenarios_in_two_fields(session)
    desk = sign_in(app, official(session))
    post(desk, "/batches/new", {"year": "2024", "number": "1"})
    batch = session.exec(select(Batch)).one()

    page = desk.get(f"/batches/{batch.id}/edit?lang=en&field=智慧医疗").get_data(as_text=True)
    assert all(f'name="scenario" value="{s.id}"' in page for s in clinics)
    assert not any(f'name="scenario" value="{s.id}"' in page for s in halls)
    assert 'Published scenarios <span class="count">(3)</span>' in page
    assert 'data-ticks="scenario"' in page  # one box ticks the three at once

    # Adding the ticked ones comes back to the same narrowed list.
    response = post(
        desk,
        f"/batches/{batch.id}/items?field=智慧医疗",
        {"version": batch.version, "scenario": [str(s.id) for s in clinics[:2]]},
    )
    assert response.status_code == 303 and "field=" in response.location
    page = desk.get(response.location).get_data(as_text=True)
    assert 'Published scenarios <span class="count">(1)</span>' in page

    # More waiting than the page lists: it says how many, and how to see the rest.
    with app.app_context():
        waiting = candidates(session, district="渝北区", limit=1)
    assert [s.id for s in waiting.shown.scenarios] == [halls[1].id]
    assert waiting.waiting[1] == 2 and waiting.cut
