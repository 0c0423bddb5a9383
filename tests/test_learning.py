"""The matcher learns from the people who decide: officials', buyers' and dockings' decisions."""

import json
from datetime import date
from pathlib import Path

import pytest
from posting_data import official, published, sign_in
from sqlmodel import select

from matchmaker.pairing import learning
from models import (
    Capability,
    DockingEvent,
    DockingStage,
    Interest,
    InterestStatus,
    OrgKind,
    Recommendation,
    RecommendationStatus,
    Scenario,
    WeightSet,
)
from support import make_org, make_user

SEED_EVAL = Path(__file__).resolve().parents[1] / "seed" / "eval"


def seed_rows(name: str, count: int) -> list[dict]:
    with (SEED_EVAL / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line, _ in zip(f, range(count), strict=False)]


def entry_fields(row: dict) -> dict:
    return {
        "title": row["title"][:80],
        "description": row["description"][:4000],
        "field": row["field"],
        "district": row.get("district") or "",
        "tags": row["tags"][:12],
    }


@pytest.fixture
def listed(app, session) -> tuple[list[Scenario], list[Capability]]:
    """Forty buyers' scenarios and two hundred firms' capabilities from the seed's lists."""
    buyer = make_org(session, OrgKind.demand, name="重庆市大数据应用发展管理局")
    firm = make_org(session, OrgKind.supply, name="重庆某软件有限公司")
    make_user(session, firm)
    scenarios = [
        published(session, Scenario, buyer, **entry_fields(row))
        for row in seed_rows("scenarios.jsonl", 40)
    ]
    capabilities = [
        published(session, Capability, firm, **entry_fields(row))
        for row in seed_rows("capabilities.jsonl", 200)
    ]
    assert app.test_cli_runner().invoke(args=["match"]).exit_code == 0
    return scenarios, capabilities


def recommended(session) -> list[Recommendation]:
    session.expire_all()
    return list(session.exec(select(Recommendation).order_by(Recommendation.id)))


def test_every_kind_of_decision_is_a_label_and_the_latest_kind_wins(app, session, listed):
    first, second, third, fourth = recommended(session)[:4]
    first.status = RecommendationStatus.approved
    second.status = RecommendationStatus.rejected
    third.status = RecommendationStatus.published
    fourth.status = RecommendationStatus.published
    desk = official(session)
    buyer_user = make_user(session, make_org(session, OrgKind.supply, name="重庆某科技有限公司"))
    # The buyer declines the firm behind the pairing the official approved.
    session.add(
        Interest(
            scenario_id=first.scenario_id,
            organisation_id=buyer_user.organisation_id,
            capability_id=first.capability_id,
            user_id=buyer_user.id,
            status=InterestStatus.declined,
        )
    )
    # One published pairing ends in a contract, the other is closed.
    for rec, stage in ((third, DockingStage.signed), (fourth, DockingStage.closed)):
        session.add(
            DockingEvent(
                recommendation_id=rec.id,
                stage=stage,
                occurred_on=date(2026, 11, 1),
                user_id=desk.id,
                organisation_id=desk.organisation_id,
            )
        )
    session.add_all([first, second, third, fourth])
    session.commit()

    found = learning.decisions(session)
    by_pair = {
        (int(s), int(c)): (int(label), float(weight))
        for s, c, label, weight in zip(*found, strict=True)
    }
    assert by_pair[(first.scenario_id, first.capability_id)] == (0, 1.0)  # the buyer's word
    assert by_pair[(second.scenario_id, second.capability_id)] == (0, 1.0)
    assert by_pair[(third.scenario_id, third.capability_id)] == (1, 2.0)  # a signed contract
    assert by_pair[(fourth.scenario_id, fourth.capability_id)] == (0, 1.0)
    assert len(by_pair) == 4


def test_officials_decisions_teach_new_weights_that_are_kept_only_when_better(app, session, listed):
    # The officials approve the pairings whose tags match and reject the others: a part the
    # shipped blend does not weigh (tag similarity), so weights learnt from them rank their
    # held-out decisions better.
    for rec in recommended(session):
        rec.status = (
            RecommendationStatus.approved if rec.matched_tags else RecommendationStatus.rejected
        )
        session.add(rec)
    session.commit()
    result = app.test_cli_runner().invoke(args=["learn"])
    assert result.exit_code == 0, result.output
    [weights] = session.exec(select(WeightSet)).all()
    assert weights.kept and weights.new_auc > weights.current_auc
    assert weights.trained_on > weights.tested_on > 0
    assert weights.weights["fuzzy_tags"] > 0
    assert f"Weight set {weights.id} learnt from {weights.trained_on} decisions" in result.output
    assert "kept: the matcher uses them now" in result.output
    assert learning.in_use(session).id == weights.id

    # The next re-match scores with them, and the review queue says so.
    for rec in recommended(session):
        rec.status = RecommendationStatus.recommended
        session.add(rec)
    session.commit()
    assert app.test_cli_runner().invoke(args=["match"]).exit_code == 0
    rescored = recommended(session)
    assert {rec.weight_set_id for rec in rescored} == {weights.id}
    page = sign_in(app, official(session)).get("/review/").get_data(as_text=True)
    assert f"Scored with learnt weight set {weights.id}" in page

    listing = app.test_cli_runner().invoke(args=["learn", "--list"])
    assert f"{weights.id:3d}   yes" in listing.output


def test_without_enough_decisions_the_weights_stay_as_shipped(app, session, listed):
    rec = recommended(session)[0]
    rec.status = RecommendationStatus.approved
    session.add(rec)
    session.commit()
    result = app.test_cli_runner().invoke(args=["match", "--learn"])
    assert result.exit_code == 0, result.output
    assert "Weights unchanged" in result.output
    assert session.exec(select(WeightSet)).all() == []
    assert all(r.weight_set_id is None for r in recommended(session))
    page = sign_in(app, official(session)).get("/review/").get_data(as_text=True)
    assert "Scored with the shipped weights" in page
    assert (
        "No weight set learnt yet" in app.test_cli_runner().invoke(args=["learn", "--list"]).output
    )
