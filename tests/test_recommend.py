"""The matcher in the app: fitted once, reused by every submission, re-run by `matchmaker match`."""

import os
from pathlib import Path

import pytest
from posting_data import (
    INVOICE_CAPABILITY,
    INVOICE_SCENARIO,
    KIOSK_CAPABILITY,
    OCR_CAPABILITY,
    OCR_CAPABILITY_ROW,
    OCR_SCENARIO,
    SLOPE_CAPABILITY,
    matched_lists,
    member_of,
    official,
    published,
    sign_in,
)
from sqlmodel import delete, select

from matchmaker.entries import posting
from matchmaker.pairing import recommend
from matchmaker.web.db import session_scope
from models import (
    AuditEntry,
    Capability,
    CapabilityStatus,
    OrgKind,
    Recommendation,
    RecommendationStatus,
    Scenario,
)
from support import make_org, post


def stored(session) -> dict[int, Recommendation]:
    session.expire_all()
    return {r.id: r for r in session.exec(select(Recommendation))}


def test_match_stores_recommendations_and_a_rerun_neither_duplicates_nor_undoes(app, session):
    lists = matched_lists(app, session)  # runs `matchmaker match` once
    assert Path(app.config["MATCHER_PATH"]).is_file()
    first = stored(session)
    assert len(first) >= 4
    assert {(r.scenario_id, r.capability_id) for r in first.values()} <= {
        (s.id, c.id) for s in lists.scenarios for c in lists.capabilities
    }
    approved, rejected, rescored = sorted(first.values(), key=lambda r: r.id)[:3]
    approved.status, approved.score = RecommendationStatus.approved, 9.0
    rejected.status, rejected.note = RecommendationStatus.rejected, "不合适"
    rescored.score = 0.0
    session.add_all([approved, rejected, rescored])
    session.commit()

    result = app.test_cli_runner().invoke(args=["match"])
    assert result.exit_code == 0, result.output
    assert "2 already decided (left as they were)" in result.output
    again = stored(session)
    assert again.keys() == first.keys()  # no duplicates, nothing lost
    assert again[approved.id].status is RecommendationStatus.approved
    assert again[approved.id].score == 9.0  # a decided pairing is not rescored
    assert again[rejected.id].status is RecommendationStatus.rejected
    assert again[rejected.id].note == "不合适"
    assert again[rescored.id].score > 0.15  # an undecided one is

    # A capability leaving the lists takes its undecided pairings along, not its decided ones.
    leaving = session.get(Capability, approved.capability_id)
    leaving.status = CapabilityStatus.withdrawn
    session.add(leaving)
    session.commit()
    assert app.test_cli_runner().invoke(args=["match"]).exit_code == 0
    left = stored(session)
    assert approved.id in left
    assert not [
        r
        for r in left.values()
        if r.capability_id == leaving.id and r.status == RecommendationStatus.recommended
    ]


def test_submissions_reuse_the_fitted_matcher_and_pick_up_a_newer_saved_one(app, session):
    assert "matcher" not in app.extensions  # nothing is fitted when the app is created
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    published(session, Capability, firm, **OCR_CAPABILITY_ROW)
    browser = sign_in(app, member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心"))

    post(browser, "/scenarios/new", {**OCR_SCENARIO, "send": "1"})
    fitted = app.extensions["matcher"]
    assert Path(app.config["MATCHER_PATH"]).is_file()
    post(browser, "/scenarios/new", {**OCR_SCENARIO, "title": "办事大厅证照预审", "send": "1"})
    assert app.extensions["matcher"] is fitted  # not refitted for the second submission
    assert len(stored(session)) == 2

    # Another process (`matchmaker match`) saves a newer matcher: the next request loads it.
    published(session, Capability, firm, **KIOSK_CAPABILITY)
    with app.app_context(), session_scope() as other:
        newer = recommend.fit(other)
    path = Path(app.config["MATCHER_PATH"])
    newer.save(path)
    later = path.stat().st_mtime + 5
    os.utime(path, (later, later))
    post(browser, "/scenarios/new", {**OCR_SCENARIO, "title": "自助终端材料预审", "send": "1"})
    assert app.extensions["matcher"] is not fitted
    third = session.exec(select(Scenario).where(Scenario.title == "自助终端材料预审")).one()
    titles = {
        session.get(Capability, r.capability_id).title
        for r in stored(session).values()
        if r.scenario_id == third.id
    }
    assert KIOSK_CAPABILITY["title"] in titles


def test_a_capability_posted_since_the_last_fit_is_paired_with_the_next_scenario(app, session):
    # The matcher is fitted on the lists of the morning: slope monitoring and invoices.
    for row in (SLOPE_CAPABILITY, INVOICE_CAPABILITY):
        published(session, Capability, make_org(session, OrgKind.supply, name=row["title"]), **row)
    buyer = sign_in(app, member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心"))
    post(buyer, "/scenarios/new", {**OCR_SCENARIO, "title": "办事大厅证照预审", "send": "1"})
    fitted = app.extensions["matcher"]

    # At noon a firm posts what the next buyer needs; no re-match runs in between.
    firm = sign_in(app, member_of(session, OrgKind.supply, "重庆星河软件有限公司"))
    post(firm, "/capabilities/new", {**OCR_CAPABILITY, "send": "1"})
    post(buyer, "/scenarios/new", {**OCR_SCENARIO, "send": "1"})

    assert app.extensions["matcher"] is fitted  # paired without refitting
    assert str(
        session.exec(select(Capability.id).where(Capability.title == OCR_CAPABILITY["title"])).one()
    ) not in fitted.indexed("capability")
    scenario = session.exec(select(Scenario).where(Scenario.title == OCR_SCENARIO["title"])).one()
    listed = {
        session.get(Capability, r.capability_id).title
        for r in stored(session).values()
        if r.scenario_id == scenario.id and r.scenario_list_score is not None
    }
    assert OCR_CAPABILITY["title"] in listed

    # The next buyer's posting searches the same newcomers without weighing them again.
    weighed = recommend._shards["capability"][1]
    post(buyer, "/scenarios/new", {**OCR_SCENARIO, "title": "自助终端证照预审", "send": "1"})
    assert recommend._shards["capability"][1] is weighed


def test_a_damaged_matcher_file_is_replaced_by_a_fresh_fit(app, session):
    path = Path(app.config["MATCHER_PATH"])
    path.write_bytes(b"PK\x03\x04 not a matcher")
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    published(session, Capability, firm, **OCR_CAPABILITY_ROW)
    browser = sign_in(app, member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心"))
    assert post(browser, "/scenarios/new", {**OCR_SCENARIO, "send": "1"}).status_code == 302
    assert len(stored(session)) == 1
    assert path.read_bytes()[:4] == b"PK\x03\x04" and path.stat().st_size > 1000


def pairs_stored(session) -> dict[tuple[int, int], tuple]:
    """Each stored pairing's score and explanation, by (scenario, capability)."""
    return {
        (r.scenario_id, r.capability_id): (r.score, r.terms, r.matched_tags, r.reasons)
        for r in stored(session).values()
    }


def test_a_rematch_on_a_dask_cluster_stores_what_the_local_one_stores(app, session):
    matched_lists(app, session)  # `matchmaker match` on this machine
    local = pairs_stored(session)
    session.exec(delete(Recommendation))
    session.commit()

    result = app.test_cli_runner().invoke(args=["match", "--engine", "dask", "--workers", "1"])

    assert result.exit_code == 0, result.output
    assert pairs_stored(session) == local


def test_an_unreachable_scheduler_is_named_and_nothing_is_stored(app, session):
    matched_lists(app, session)
    before = pairs_stored(session)
    session.exec(delete(Recommendation))
    session.commit()

    result = app.test_cli_runner().invoke(
        args=["match", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9"]
    )

    assert result.exit_code != 0
    assert "No Dask scheduler answered at tcp://127.0.0.1:9" in result.output
    assert pairs_stored(session) == {} != before


def pairings_of(session, scenario: Scenario) -> dict[str, Recommendation]:
    """A scenario's stored pairings, by the capability's title."""
    session.expire_all()
    return {
        session.get(Capability, r.capability_id).title: r
        for r in session.exec(
            select(Recommendation).where(Recommendation.scenario_id == scenario.id)
        )
    }


def displacements(session) -> list[dict]:
    return [
        entry.changes
        for entry in session.exec(
            select(AuditEntry).where(AuditEntry.action == "recommendation.displace")
        )
    ]


def test_a_new_scenario_takes_a_full_firms_place_from_a_pairing_that_fits_it_less(app, session):
    """Each firm is on one scenario's list at most here; a better-fitting newcomer displaces."""
    app.config["MATCH_CAP"] = 1
    firms = [
        make_org(session, OrgKind.supply, name=name)
        for name in ("重庆星河软件有限公司", "重庆云端终端科技有限公司", "重庆票通信息技术有限公司")
    ]
    for firm, row in zip(
        firms, (OCR_CAPABILITY_ROW, KIOSK_CAPABILITY, INVOICE_CAPABILITY), strict=True
    ):
        published(session, Capability, firm, **row)
    group = make_org(session, OrgKind.demand, name="重庆某能源集团有限公司")
    invoices = published(session, Scenario, group, **INVOICE_SCENARIO)
    assert app.test_cli_runner().invoke(args=["match"]).exit_code == 0
    # The only scenario has every firm on its list, the OCR firms among them.
    assert set(pairings_of(session, invoices)) == {
        OCR_CAPABILITY_ROW["title"],
        KIOSK_CAPABILITY["title"],
        INVOICE_CAPABILITY["title"],
    }

    buyer = sign_in(app, member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心"))
    post(buyer, "/scenarios/new", {**OCR_SCENARIO, "send": "1"})

    hall = session.exec(select(Scenario).where(Scenario.title == OCR_SCENARIO["title"])).one()
    theirs, kept = pairings_of(session, hall), pairings_of(session, invoices)
    assert {OCR_CAPABILITY_ROW["title"], KIOSK_CAPABILITY["title"]} <= set(theirs)
    assert set(kept) == {INVOICE_CAPABILITY["title"]}  # the pairing that fits it best stays
    said = {(d["scenario"], d["capability"], d["cap"]) for d in displacements(session)}
    assert said == {
        (INVOICE_SCENARIO["title"], OCR_CAPABILITY_ROW["title"], 1),
        (INVOICE_SCENARIO["title"], KIOSK_CAPABILITY["title"], 1),
    }
    assert all(d["displaced_by"].startswith(OCR_SCENARIO["title"]) for d in displacements(session))
    # The matcher displaced them, not the buyer whose posting it was answering.
    by = session.exec(
        select(AuditEntry.user_id).where(AuditEntry.action == "recommendation.displace")
    ).all()
    assert by == [None, None]
    # Each displaced pairing scored less on the firm's list than the newcomer's pairing does.
    assert all(theirs[d["capability"]].score > d["score"] for d in displacements(session))

    # An official reads in the audit log what happened to the pairing.
    official_browser = sign_in(app, official(session))
    log = official_browser.get("/audit/?lang=en").get_data(as_text=True)
    assert "Pairing displaced by a better-fitting new one" in log

    # A re-match, refitted on all four entries, keeps the newcomer's best pairing first.
    assert app.test_cli_runner().invoke(args=["match"]).exit_code == 0
    again = pairings_of(session, hall)
    best = max(theirs, key=lambda title: theirs[title].score)
    assert max(again, key=lambda title: again[title].score) == best


def test_a_new_scenario_that_fits_a_full_firm_less_well_leaves_its_pairings_alone(app, session):
    app.config["MATCH_CAP"] = 1
    lists = matched_lists(app, session)
    hall = lists.scenarios[0]
    before = pairings_of(session, hall)
    assert OCR_CAPABILITY_ROW["title"] in before

    buyer = sign_in(app, member_of(session, OrgKind.demand, "重庆市永川区政务服务中心"))
    vague = {
        **OCR_SCENARIO,
        "title": "差旅报销票据审核",
        "summary": "报销时识别发票和行程单，偶尔核对证照",
        "tags": "票据识别",
        "description": "财务部门希望自动识别增值税发票和行程单、审核报销材料，偶尔也要核对证照。",
        "send": "1",
    }
    assert post(buyer, "/scenarios/new", vague).status_code == 302

    newcomer = session.exec(select(Scenario).where(Scenario.title == "差旅报销票据审核")).one()
    # Its best fit is the invoice firm; the OCR firm would fit it, but less well than the hall
    # it is recommended to already.
    with app.app_context():
        scored = app.extensions["matcher"].recommend_for(
            recommend.as_entry(newcomer, Scenario), side="scenario", k=30
        )
    ocr = lists.capabilities[0]
    [fit] = [r.score for r in scored if r.capability_id == str(ocr.id)]
    assert fit < before[OCR_CAPABILITY_ROW["title"]].scenario_list_score
    assert OCR_CAPABILITY_ROW["title"] not in pairings_of(session, newcomer)
    assert pairings_of(session, hall).keys() == before.keys()
    assert displacements(session) == []


def snapshot(session) -> dict[tuple[int, int], tuple]:
    """Every stored pairing with all it holds, down to when it was last written."""
    session.expire_all()
    return {
        (r.scenario_id, r.capability_id): (
            r.id, r.score, r.parts, r.terms, r.matched_tags, r.reasons, r.status,
            r.scenario_list_score, r.capability_list_score, r.version, r.updated_at,
        )
        for r in session.exec(select(Recommendation))
    }  # fmt: skip


@pytest.mark.slow
def test_matching_the_seed_again_or_publishing_what_it_placed_changes_nothing(app, session):
    """The seed's lists are matched; matching them again, or an official publishing every
    submitted entry (each publication recommends its entry at once), writes nothing."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed"]).exit_code == 0
    first = runner.invoke(args=["match"])
    assert first.exit_code == 0, first.output
    matched = snapshot(session)
    assert len(matched) > 4000

    again = runner.invoke(args=["match"])
    assert "0 new, 0 rescored, 0 removed" in again.output
    assert snapshot(session) == matched

    with app.test_request_context(), session_scope() as db:
        submitted = [
            entry
            for model in (Scenario, Capability)
            for entry in db.exec(select(model).where(model.status == "submitted"))
        ]
        assert len(submitted) > 100
        for entry in submitted:
            posting.publish_entry(db, entry, version=entry.version)
    published_now = snapshot(session)
    assert published_now == matched
    assert "0 new, 0 rescored, 0 removed" in runner.invoke(args=["match"]).output
    assert snapshot(session) == matched
