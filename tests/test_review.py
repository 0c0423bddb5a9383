"""Officials review: they publish or send back submissions, and decide recommended pairings."""

import re
from urllib.parse import unquote

from listdata import make_batch, make_capability, make_scenario
from posting_data import (
    OCR_CAPABILITY,
    OCR_SCENARIO,
    hidden,
    matched_lists,
    member_of,
    official,
    sign_in,
)
from sqlalchemy import insert
from sqlmodel import select

from matchmaker.entries import listing
from models import (
    AuditEntry,
    Capability,
    CapabilityStatus,
    Notification,
    OrgKind,
    Recommendation,
    RecommendationStatus,
    Scenario,
    ScenarioStatus,
)
from support import make_org, post

ROW = re.compile(r'<tr id="rec-(\d+)"')


def htmx(rec_id: int) -> dict[str, str]:
    """The headers htmx sends from a row's inline form."""
    return {"HX-Request": "true", "HX-Target": f"rec-{rec_id}"}


def inbox(session, user) -> list[Notification]:
    session.expire_all()
    return list(session.exec(select(Notification).where(Notification.user_id == user.id)))


def recommendations(session, **where) -> list[Recommendation]:
    session.expire_all()
    stmt = select(Recommendation).order_by(Recommendation.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(Recommendation, name) == value)
    return list(session.exec(stmt))


def test_an_official_publishes_one_submission_and_sends_one_back(app, session):
    buyer = member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心")
    firm = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    post(sign_in(app, buyer), "/scenarios/new", {**OCR_SCENARIO, "send": "1"})
    post(sign_in(app, firm), "/capabilities/new", {**OCR_CAPABILITY, "send": "1"})
    scenario = session.exec(select(Scenario)).one()
    capability = session.exec(select(Capability)).one()
    assert recommendations(session, capability_id=capability.id)  # matched on submission

    desk = sign_in(app, official(session))
    page = desk.get("/review/submissions").get_data(as_text=True)
    assert scenario.title in page and capability.title in page
    # Found by the name of the organisation that posted it, as the list's column shows.
    by_name = desk.get("/review/submissions?q=星河软件").get_data(as_text=True)
    assert capability.title in by_name and scenario.title not in by_name

    response = post(desk, f"/review/scenarios/{scenario.id}/publish", {"version": 1})
    assert response.status_code == 303
    session.refresh(scenario)
    assert scenario.status is ScenarioStatus.published and scenario.published_at
    [note] = inbox(session, buyer)
    assert note.kind == "entry.published" and note.params == {"title": scenario.title}
    assert note.link == f"/scenarios/{scenario.id}"

    refused = post(desk, f"/review/capabilities/{capability.id}/return", {"version": 1})
    assert refused.status_code == 422
    assert "Say what should change" in refused.get_data(as_text=True)
    reason = "请补充近三年的政务类案例和等保资质证明。"
    response = post(
        desk, f"/review/capabilities/{capability.id}/return", {"version": 1, "reason": reason}
    )
    assert response.status_code == 303
    session.refresh(capability)
    assert capability.status is CapabilityStatus.draft and capability.review_note == reason
    [note] = inbox(session, firm)
    assert note.kind == "entry.returned" and note.params["reason"] == reason
    assert not recommendations(session, capability_id=capability.id)  # out of the queue
    own_page = sign_in(app, firm).get(f"/capabilities/{capability.id}").get_data(as_text=True)
    assert "Returned by an official:" in own_page and reason in own_page

    assert post(desk, f"/review/scenarios/{scenario.id}/publish", {"version": 2}).status_code == 409
    assert post(desk, "/review/scenarios/999/publish", {"version": 1}).status_code == 404
    assert post(sign_in(app, firm), f"/review/scenarios/{scenario.id}/publish").status_code == 403
    actions = session.exec(select(AuditEntry.action)).all()
    assert actions.count("scenario.publish") == 1 and actions.count("capability.return") == 1


def test_a_send_back_refused_on_a_searched_page_shows_that_page_with_the_error(app, session):
    app.config["PAGE_SIZE"] = 1
    firm = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    poster = sign_in(app, firm)
    for title in ("证照OCR识别平台", "园区能耗监测平台"):
        post(poster, "/capabilities/new", {**OCR_CAPABILITY, "title": title, "send": "1"})
    wanted = session.exec(select(Capability).where(Capability.title == "园区能耗监测平台")).one()

    desk = sign_in(app, official(session))
    page = desk.get("/review/submissions?q=能耗").get_data(as_text=True)
    action = re.search(rf'action="([^"]*/capabilities/{wanted.id}/return[^"]*)"', page).group(1)
    refused = post(desk, action.replace("&amp;", "&"), {"version": wanted.version})
    shown = refused.get_data(as_text=True)
    assert refused.status_code == 422 and wanted.title in shown
    assert 'value="能耗"' in shown and "Say what should change" in shown

    done = post(
        desk, action.replace("&amp;", "&"), {"version": wanted.version, "reason": "补充案例"}
    )
    assert done.status_code == 303 and "q=" in done.location


def test_an_official_filters_the_queue_and_decides_inline_and_in_bulk(app, session):
    lists = matched_lists(app, session)
    everything = recommendations(session)
    assert len(everything) >= 4 and all(r.status == "recommended" for r in everything)
    desk = sign_in(app, official(session))

    page = desk.get("/review/").get_data(as_text=True)
    assert "<html" in page and lists.capabilities[0].title in page and "Shared key terms:" in page
    scenario_of = {s.id: s for s in lists.scenarios}
    capability_of = {c.id: c for c in lists.capabilities}
    fragment = desk.get(
        "/review/?district=南岸区", headers={"HX-Request": "true", "HX-Target": "results"}
    ).get_data(as_text=True)
    assert "<html" not in fragment
    shown = {int(i) for i in ROW.findall(fragment)}
    assert shown == {
        r.id
        for r in everything
        if "南岸区"
        in (scenario_of[r.scenario_id].district, capability_of[r.capability_id].district)
    }
    # Score bounds read as the page shows scores, to two decimals: "from 0.41" and "up to 0.41"
    # both keep a pairing shown as 0.41.
    cut = f"{sorted(r.score for r in everything)[len(everything) // 2]:.2f}"
    shown_score = {r.id: f"{r.score:.2f}" for r in everything}
    for bound, kept in (("min_score", str.__ge__), ("max_score", str.__le__)):
        fragment = desk.get(
            f"/review/?{bound}={cut}", headers={"HX-Request": "true", "HX-Target": "results"}
        ).get_data(as_text=True)
        found = {int(i) for i in ROW.findall(fragment)}
        assert found == {i for i, score in shown_score.items() if kept(score, cut)}, bound
    assert desk.get("/review/?min_score=abc&status=nonsense&page=x").status_code == 200
    # By batch: the pairings found for the scenarios a batch published, though none is in it.
    batch = make_batch(session)
    filed = lists.scenarios[0]
    filed.batch_id = batch.id
    session.add(filed)
    session.commit()
    fragment = desk.get(
        f"/review/?batch={batch.id}", headers={"HX-Request": "true", "HX-Target": "results"}
    ).get_data(as_text=True)
    assert {int(i) for i in ROW.findall(fragment)} == {
        r.id for r in everything if r.scenario_id == filed.id
    }
    # A score range written backwards says so, and offers it the other way round.
    backwards = desk.get("/review/?min_score=0.9&max_score=0.1&lang=en").get_data(as_text=True)
    assert "The lowest score (0.9) is above the highest (0.1)" in backwards
    swapped = re.search(r'<a href="([^"]+)">Show scores 0.1–0.9 instead', backwards)
    assert swapped and "min_score=0.1" in swapped.group(1) and "max_score=0.9" in swapped.group(1)

    # Approve one inline: htmx gets only that row back, now approved.
    first, rejected, *rest = everything
    response = post(
        desk,
        f"/review/recommendations/{first.id}/decision",
        {"decision": "approve", "version": first.version},
        headers=htmx(first.id),
    )
    assert response.status_code == 200
    row = response.get_data(as_text=True)
    assert row.lstrip().startswith(f'<tr id="rec-{first.id}"') and "<html" not in row
    assert "Approved" in row and 'name="decision"' not in row
    [first] = recommendations(session, id=first.id)
    assert first.status is RecommendationStatus.approved and first.version == 2
    assert first.reviewer_id and first.decided_at

    # A rejection needs its reason, and the firm is told it.
    firm = capability_of[rejected.capability_id].organisation_id
    firm_user = next(u for u in lists.firm_users if u.organisation_id == firm)
    response = post(
        desk,
        f"/review/recommendations/{rejected.id}/decision",
        {"decision": "reject", "version": rejected.version},
        headers=htmx(rejected.id),
    )
    assert response.status_code == 422 and "the firm will be told" in response.get_data(True)
    # Said beside the note it asks for, which is marked as the field to fix.
    assert f'aria-describedby="note-{rejected.id}-error"' in response.get_data(True)
    reason = "该企业案例集中在金融票据，与政务证照场景不符。"
    response = post(
        desk,
        f"/review/recommendations/{rejected.id}/decision",
        {"decision": "reject", "version": rejected.version, "note": reason},
        headers=htmx(rejected.id),
    )
    assert response.status_code == 200 and reason in response.get_data(as_text=True)
    [told] = [n for n in inbox(session, firm_user) if n.kind == "recommendation.rejected"]
    assert told.params == {
        "scenario": scenario_of[rejected.scenario_id].title,
        "capability": capability_of[rejected.capability_id].title,
        "reason": reason,
    }

    # The rest in bulk, with one note.
    response = post(
        desk,
        "/review/recommendations/bulk",
        {
            "pick": [f"{r.id}:{r.version}" for r in rest],
            "decision": "approve",
            "note": "符合本批次对接重点",
        },
    )
    assert response.status_code == 303
    page = desk.get(response.location).get_data(as_text=True)
    assert f"{len(rest)} pairings approved." in page
    # A ticked pairing gone meanwhile (a re-match replaced it) is said to be gone, not listed
    # as an empty "left as they were:".
    response = post(
        desk, "/review/recommendations/bulk", {"pick": "99999999:1", "decision": "approve"}
    )
    page = desk.get(response.location).get_data(as_text=True)
    assert "1 ticked pairing no longer exists" in page and "left as they were:" not in page
    assert "0 pairings approved." not in page
    decided = recommendations(session)
    assert [r.status for r in decided].count("approved") == len(everything) - 1
    assert all(r.note == "符合本批次对接重点" for r in decided if r.id in {x.id for x in rest})
    actions = session.exec(select(AuditEntry.action)).all()
    assert actions.count("recommendation.approve") == len(everything) - 1
    assert actions.count("recommendation.reject") == 1


def test_two_officials_decide_the_same_pairing_and_the_first_decision_stands(app, session):
    matched_lists(app, session)
    first_desk, second_desk = sign_in(app, official(session)), sign_in(app, official(session))
    contested, other, *_ = recommendations(session)
    for desk in (first_desk, second_desk):
        assert f'value="{contested.id}:1"' in desk.get("/review/").get_data(as_text=True)

    approve = {"decision": "approve", "version": 1}
    assert (
        post(
            first_desk,
            f"/review/recommendations/{contested.id}/decision",
            approve,
            headers=htmx(contested.id),
        ).status_code
        == 200
    )
    late = post(
        second_desk,
        f"/review/recommendations/{contested.id}/decision",
        {"decision": "reject", "version": 1, "note": "不合适"},
        headers=htmx(contested.id),
    )
    assert late.status_code == 409
    row = late.get_data(as_text=True)
    assert "Another official decided this pairing first." in row and "Approved" in row
    assert row.lstrip().startswith(f'<tr id="rec-{contested.id}"')
    plain = post(
        second_desk,
        f"/review/recommendations/{contested.id}/decision",
        {"decision": "reject", "version": 1, "note": "不合适"},
    )
    assert plain.status_code == 409 and "<html" in plain.get_data(as_text=True)
    [contested] = recommendations(session, id=contested.id)
    assert contested.status is RecommendationStatus.approved and contested.note == ""

    # In bulk, the stale row is reported and the others are applied.
    response = post(
        second_desk,
        "/review/recommendations/bulk",
        {"pick": [f"{contested.id}:1", f"{other.id}:1"], "decision": "reject", "note": "重复"},
    )
    page = second_desk.get(response.location).get_data(as_text=True)
    assert "1 pairing rejected." in page
    assert "Decided by another official first, left as they were:" in page
    [contested] = recommendations(session, id=contested.id)
    [other] = recommendations(session, id=other.id)
    assert contested.status is RecommendationStatus.approved
    assert other.status is RecommendationStatus.rejected and other.note == "重复"
    assert hidden(page, "csrf_token")


def test_bad_decisions_are_refused_with_a_readable_message(app, session):
    matched_lists(app, session)
    desk = sign_in(app, official(session))
    rec = recommendations(session)[0]
    url = f"/review/recommendations/{rec.id}/decision"
    assert post(desk, url, {"decision": "maybe", "version": 1}).status_code == 422
    assert post(desk, url, {"decision": "approve"}).status_code == 422
    assert (
        post(desk, url, {"decision": "approve", "note": "x" * 501, "version": 1}).status_code == 422
    )
    assert (
        post(desk, "/review/recommendations/99999/decision", {"decision": "approve"}).status_code
        == 404
    )
    response = post(desk, "/review/recommendations/bulk", {"decision": "approve", "pick": ["a:b"]})
    assert response.status_code == 422 and "Tick at least one pairing." in response.get_data(True)
    firm = sign_in(app, member_of(session, OrgKind.supply, "重庆某软件公司"))
    assert firm.get("/review/").status_code == 403
    assert post(firm, url, {"decision": "approve", "version": 1}).status_code == 403
    assert recommendations(session, id=rec.id)[0].status is RecommendationStatus.recommended


def test_a_refused_bulk_decision_keeps_the_ticks_and_the_note(app, session):
    matched_lists(app, session)
    desk = sign_in(app, official(session))
    first, second, third, *_ = recommendations(session)
    picks = [f"{first.id}:{first.version}", f"{third.id}:{third.version}"]
    refused = post(desk, "/review/recommendations/bulk", {"pick": picks, "decision": "reject"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Say why the pairing is rejected" in page
    for rec, ticked in ((first, True), (second, False), (third, True)):
        box = re.search(rf'<input type="checkbox" name="pick" value="{rec.id}:\d+"[^>]*>', page)
        assert box and (" checked" in box.group(0)) is ticked
    half_said = post(
        desk, "/review/recommendations/bulk", {"pick": picks, "decision": "maybe", "note": "重复"}
    )
    assert half_said.status_code == 422 and 'value="重复"' in half_said.get_data(as_text=True)
    assert {r.status for r in recommendations(session)} == {RecommendationStatus.recommended}


def test_a_refused_decision_without_javascript_shows_the_queue_with_the_note_as_typed(app, session):
    matched_lists(app, session)
    desk = sign_in(app, official(session))
    everything = recommendations(session)
    district = "南岸区"
    queue = desk.get(f"/review/?district={district}&lang=en").get_data(as_text=True)
    rec = next(r for r in everything if f'id="rec-{r.id}"' in queue)
    url = f"/review/recommendations/{rec.id}/decision"
    back = f"district={district}"
    # Approving with 501 characters: too long a note, however the browser let it through.
    note = "太长" * 251
    form = {"decision": "approve", "version": rec.version, "note": note, "back": back}
    refused = post(desk, url, form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "<html" in page
    # The queue the official came from, the refusal beside the note they typed, kept.
    assert f'<option value="{district}" selected' in page
    row = page[page.index(f'<tr id="rec-{rec.id}"') :].split("</tr>")[0]
    assert "The note may have at most 500 characters." in row and f'value="{note}"' in row
    assert recommendations(session, id=rec.id)[0].status is RecommendationStatus.recommended

    # Said well from that page, the decision lands and the official is back on the same
    # filtered queue.
    kept_back = re.search(r'name="back" value="([^"]*)"', row)
    assert kept_back and unquote(kept_back.group(1)) == back
    saved = post(desk, url, {**form, "note": "对口", "back": unquote(kept_back.group(1))})
    assert saved.status_code == 303 and unquote(saved.location).endswith(f"/review/?{back}")
    assert recommendations(session, id=rec.id)[0].status is RecommendationStatus.approved


def test_a_queue_of_more_than_a_thousand_says_so_and_how_to_reach_the_rest(app, session):
    buyer, firm = make_org(session, OrgKind.demand), make_org(session, OrgKind.supply)
    side = 32  # 32 × 32 = 1,024 pairings
    scenarios = [make_scenario(session, buyer, title=f"应用场景第{n}号") for n in range(side)]
    capabilities = [make_capability(session, firm, title=f"企业能力第{n}号") for n in range(side)]
    rows = [
        {"scenario_id": s.id, "capability_id": c.id, "score": 0.01, "status": "recommended",
         "source": "matcher"}
        for s in scenarios
        for c in capabilities
    ]  # fmt: skip
    assert len(rows) > listing.COUNT_CAP
    session.exec(insert(Recommendation), params=rows)
    session.commit()
    desk = sign_in(app, official(session))
    first = desk.get("/review/?lang=en").get_data(as_text=True)
    assert "1,000+ pairings" in first and "Page 1 of 50+" in first
    last = desk.get("/review/?page=99").get_data(as_text=True)
    assert "Page 50 of 50+" in last and 'rel="next"' not in last
    assert "Only the best 1,000 are listed: narrow them with a filter" in last
