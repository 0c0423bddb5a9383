"""The matcher in the app: fitted once, reused by every submission, re-run by `matchmaker match`."""

import os
from pathlib import Path

from posting_data import (
    KIOSK_CAPABILITY,
    OCR_CAPABILITY_ROW,
    OCR_SCENARIO,
    matched_lists,
    member_of,
    published,
    sign_in,
)
from sqlmodel import delete, select

from matchmaker.pairing import recommend
from matchmaker.web.db import session_scope
from models import (
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
