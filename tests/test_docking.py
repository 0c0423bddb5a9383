"""Docking follow-up: both parties of a published pairing record its progress to the end."""

from datetime import timedelta

import pytest
from sqlmodel import select

from matchmaker.dashboard.aggregates import Scope, contract_totals
from matchmaker.web.dates import local_today
from models import (
    AuditEntry,
    DockingEvent,
    DockingStage,
    Notification,
    OrgKind,
    RecommendationStatus,
    Role,
)
from pairings import days_ago, make_published_pairing
from support import login, make_org, make_user, post

HTMX = {"HX-Request": "true", "HX-Target": "docking"}


@pytest.fixture
def today(app):
    with app.app_context():
        return local_today()


def step(client, pairing_id, stage, day, **extra):
    data = {"stage": stage, "occurred_on": day.isoformat(), **extra}
    return post(client, f"/docking/{pairing_id}/steps", data)


def signed_in(app, user):
    client = app.test_client()
    login(client, user)
    return client


def test_both_parties_record_progress_to_signed_and_each_sees_the_others_steps(app, session, today):
    story = make_published_pairing(session)
    buyer, seller = signed_in(app, story.buyer), signed_in(app, story.seller)
    pid = story.pairing.id

    assert step(buyer, pid, "contacted", today - timedelta(days=8)).status_code == 302
    fragment = post(
        seller,
        f"/docking/{pid}/steps",
        {"stage": "negotiating", "occurred_on": (today - timedelta(days=4)).isoformat()},
        headers=HTMX,
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.get_data(as_text=True)  # htmx gets the timeline only
    assert 'role="status">进展已登记。' in fragment.get_data(as_text=True)  # said at once
    assert story.supply.name in fragment.get_data(as_text=True)
    response = step(
        buyer, pid, "signed", today, contract_amount_wan="12345.67", note="合同已在两江新区签署"
    )
    assert response.status_code == 302

    for client, other in ((buyer, story.supply), (seller, story.demand)):
        page = client.get(f"/docking/{pid}?lang=en").get_data(as_text=True)
        assert other.name in page
        # Every digit of the amount, grouped as the dashboard groups it.
        assert "12,345.67" in page and "合同已在两江新区签署" in page
        assert "Record a step" not in page  # nothing follows a signed docking
    events = session.exec(select(DockingEvent).order_by(DockingEvent.id)).all()
    assert [e.stage for e in events] == ["contacted", "negotiating", "signed"]
    assert [e.organisation_id for e in events] == [
        story.demand.id,
        story.supply.id,
        story.demand.id,
    ]
    assert events[-1].contract_amount_wan == 12345.67

    # Each step told the other party, and wrote exactly one audit row.
    seller_news = session.exec(
        select(Notification).where(Notification.user_id == story.seller.id)
    ).all()
    buyer_news = session.exec(
        select(Notification).where(Notification.user_id == story.buyer.id)
    ).all()
    assert [n.kind for n in seller_news] == ["docking.progress", "docking.progress"]
    assert [n.params["stage"] for n in buyer_news] == ["negotiating"]
    steps_audited = session.exec(select(AuditEntry).where(AuditEntry.action == "docking.step"))
    assert len(steps_audited.all()) == 3


def test_my_pairings_shows_each_side_its_pairings_with_the_latest_stage(app, session, today):
    story = make_published_pairing(session, scenario_title="园区能耗数字孪生平台")
    other = make_published_pairing(session, scenario_title="智慧工地安全帽识别")
    seller = signed_in(app, story.seller)
    step(seller, story.pairing.id, "contacted", today)
    page = seller.get("/docking/?lang=en").get_data(as_text=True)
    assert "园区能耗数字孪生平台" in page and "Contacted" in page
    assert "智慧工地安全帽识别" not in page
    buyer = signed_in(app, other.buyer)
    page = buyer.get("/docking/?lang=en").get_data(as_text=True)
    assert "智慧工地安全帽识别" in page and "no progress yet" in page


def test_an_outsider_gets_404_and_an_official_may_read_but_not_write(app, session, today):
    story = make_published_pairing(session)
    outsider = signed_in(app, make_user(session, make_org(session, name="重庆旁观者软件有限公司")))
    assert outsider.get(f"/docking/{story.pairing.id}").status_code == 404
    assert step(outsider, story.pairing.id, "contacted", today).status_code == 404

    official = signed_in(
        app, make_user(session, make_org(session, OrgKind.authority), role=Role.official)
    )
    assert official.get(f"/docking/{story.pairing.id}").status_code == 200
    assert step(official, story.pairing.id, "contacted", today).status_code == 403
    # Officials follow every docking: the list says so, under the menu's name, not "My pairings".
    listed = official.get("/docking/?lang=en").get_data(as_text=True)
    assert "<h1>Docking follow-up</h1>" in listed and "<h1>My pairings</h1>" not in listed
    assert session.exec(select(DockingEvent)).all() == []


def test_an_unpublished_pairing_has_no_follow_up(app, session, today):
    story = make_published_pairing(session)
    story.pairing.status = RecommendationStatus.approved
    session.add(story.pairing)
    session.commit()
    buyer = signed_in(app, story.buyer)
    assert buyer.get(f"/docking/{story.pairing.id}").status_code == 404
    assert step(buyer, story.pairing.id, "contacted", today).status_code == 404


def test_backwards_and_after_signed_steps_are_refused_with_a_message(app, session, today):
    story = make_published_pairing(session)
    buyer = signed_in(app, story.buyer)
    pid = story.pairing.id
    assert step(buyer, pid, "negotiating", today - timedelta(days=3)).status_code == 302

    backwards = step(buyer, pid, "contacted", today)
    assert backwards.status_code == 409
    buyer.get("/?lang=en")  # the messages below are read in English
    backwards = post(
        buyer,
        f"/docking/{pid}/steps",
        {"stage": "contacted", "occurred_on": today.isoformat()},
        headers=HTMX,
    )
    assert backwards.status_code == 409
    assert "cannot go back" in backwards.get_data(as_text=True)

    assert step(buyer, pid, "signed", today, contract_amount_wan="80").status_code == 302
    after = step(buyer, pid, "closed", today, reason="项目取消")
    assert after.status_code == 409
    assert "no further steps" in after.get_data(as_text=True)
    assert len(session.exec(select(DockingEvent)).all()) == 2


@pytest.mark.parametrize(
    "stage, offset, extra, message",
    [
        ("signed", 0, {}, "contract amount"),
        ("signed", 0, {"contract_amount_wan": "-5"}, "Enter an amount"),
        ("signed", 0, {"contract_amount_wan": "很多"}, "Enter a number, in digits."),
        ("signed", 0, {"contract_amount_wan": "NaN"}, "as a number"),
        ("closed", 0, {"reason": "  "}, "Say why"),
        ("contacted", -1, {}, "future"),
        ("contacted", 61, {}, "before the scenario was published"),
        ("finished", 0, {}, "valid choice"),
    ],
)
def test_a_step_with_bad_input_is_refused_with_a_readable_message(
    app, session, today, stage, offset, extra, message
):
    story = make_published_pairing(session, published_days_ago=10)
    buyer = signed_in(app, story.buyer)
    buyer.get("/?lang=en")
    response = step(buyer, story.pairing.id, stage, today - timedelta(days=offset), **extra)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    if "contract_amount_wan" not in extra:  # an amount left empty is no mistake of its own
        assert "in digits" not in response.get_data(as_text=True)
    assert session.exec(select(DockingEvent)).all() == []
    assert session.exec(select(AuditEntry)).all() == []


def test_a_step_cannot_be_dated_before_the_previous_one(app, session, today):
    story = make_published_pairing(session)
    buyer = signed_in(app, story.buyer)
    buyer.get("/?lang=en")
    assert step(buyer, story.pairing.id, "contacted", today - timedelta(days=2)).status_code == 302
    response = step(buyer, story.pairing.id, "negotiating", today - timedelta(days=5))
    assert response.status_code == 422
    assert "before the previous step" in response.get_data(as_text=True)


def test_remind_lists_a_stale_pairing_and_notifies_both_parties_once(app, session, today):
    stale = make_published_pairing(
        session, published_days_ago=45, scenario_title="城市内涝监测预警"
    )
    make_published_pairing(session, published_days_ago=5, scenario_title="社区养老服务平台")
    finished = make_published_pairing(
        session, published_days_ago=90, scenario_title="港口集装箱识别"
    )
    session.add(
        DockingEvent(
            recommendation_id=finished.pairing.id,
            stage=DockingStage.signed,
            occurred_on=today - timedelta(days=80),
            contract_amount_wan=50,
            user_id=finished.buyer.id,
            organisation_id=finished.demand.id,
        )
    )
    session.commit()

    runner = app.test_cli_runner()
    first = runner.invoke(args=["remind"])
    assert first.exit_code == 0, first.output
    assert "城市内涝监测预警" in first.output and "45 days" in first.output
    assert "reminded now" in first.output
    assert "社区养老服务平台" not in first.output and "港口集装箱识别" not in first.output

    def reminders():
        return session.exec(
            select(Notification).where(Notification.kind == "docking.reminder")
        ).all()

    assert sorted(n.user_id for n in reminders()) == sorted([stale.buyer.id, stale.seller.id])
    assert reminders()[0].params["days"] == 45

    second = runner.invoke(args=["remind"])  # the next day's run: same window, no new message
    assert second.exit_code == 0 and "城市内涝监测预警" in second.output
    assert "0 reminded now" in second.output
    assert len(reminders()) == 2

    official = signed_in(
        app, make_user(session, make_org(session, OrgKind.authority), role=Role.official)
    )
    page = official.get("/docking/reminders").get_data(as_text=True)
    assert "城市内涝监测预警" in page and "社区养老服务平台" not in page
    assert signed_in(app, stale.buyer).get("/docking/reminders").status_code == 403


def test_with_nothing_published_the_stalled_list_says_there_is_nothing_to_follow(app, session):
    official = signed_in(
        app, make_user(session, make_org(session, OrgKind.authority), role=Role.official)
    )
    page = official.get("/docking/reminders?lang=en").get_data(as_text=True)
    assert "No pairing has been published yet" in page
    assert "Every open docking has progressed" not in page
    assert "matchmaker remind" not in page  # officials are not told to run a command

    make_published_pairing(session, published_days_ago=3)
    page = official.get("/docking/reminders").get_data(as_text=True)
    assert "Every open docking has progressed in the last 30 days." in page


def test_a_reminder_from_an_earlier_window_does_not_silence_the_next_one(app, session, today):
    story = make_published_pairing(session, published_days_ago=70)
    session.add(
        AuditEntry(
            action="docking.remind",
            object_type="recommendation",
            object_id=story.pairing.id,
            at=days_ago(35),  # the reminder of the 30-to-60-day window
        )
    )
    session.commit()
    result = app.test_cli_runner().invoke(args=["remind"])
    assert "1 reminded now" in result.output
    recent = session.exec(select(AuditEntry).where(AuditEntry.action == "docking.remind"))
    assert len(recent.all()) == 2


def test_a_recorded_step_restarts_the_thirty_days(app, session, today):
    story = make_published_pairing(session, published_days_ago=40)
    step(signed_in(app, story.seller), story.pairing.id, "contacted", today - timedelta(days=2))
    result = app.test_cli_runner().invoke(args=["remind"])
    assert "0 pairings without progress" in result.output


def test_contacts_made_before_the_pairing_was_published_are_recorded(app, session, today):
    """The parties met while the pairing waited for its batch; the scenario was already public."""
    story = make_published_pairing(session, published_days_ago=10)  # scenario: 60 days ago
    buyer, seller = signed_in(app, story.buyer), signed_in(app, story.seller)
    assert step(buyer, story.pairing.id, "contacted", today - timedelta(days=25)).status_code == 302
    assert (
        step(seller, story.pairing.id, "negotiating", today - timedelta(days=12)).status_code == 302
    )
    page = buyer.get(f"/docking/{story.pairing.id}").get_data(as_text=True)
    assert (today - timedelta(days=25)).isoformat() in page


def correct(client, pairing_id, step_id, stage, day, **extra):
    data = {
        f"correct-{k}": v
        for k, v in {"stage": stage, "occurred_on": day.isoformat(), **extra}.items()
    }
    return post(client, f"/docking/{pairing_id}/steps/{step_id}/correct", data)


def test_a_step_recorded_in_error_is_corrected_and_the_original_kept(app, session, today):
    story = make_published_pairing(session)
    buyer, seller = signed_in(app, story.buyer), signed_in(app, story.seller)
    pid = story.pairing.id
    step(seller, pid, "contacted", today - timedelta(days=6))
    # The buyer types 1280 instead of 128 and "signed" ends the docking: nothing can follow.
    assert step(buyer, pid, "signed", today, contract_amount_wan="1280").status_code == 302
    wrong = session.exec(select(DockingEvent).order_by(DockingEvent.id.desc())).first()
    buyer.get("/?lang=en")
    page = buyer.get(f"/docking/{pid}").get_data(as_text=True)
    assert "Correct this step" in page
    # The other party and officials may not correct the buyer's step.
    assert (
        correct(seller, pid, wrong.id, "signed", today, contract_amount_wan="128").status_code
        == 403
    )
    official = signed_in(
        app, make_user(session, make_org(session, OrgKind.authority), role=Role.official)
    )
    assert (
        correct(official, pid, wrong.id, "signed", today, contract_amount_wan="128").status_code
        == 403
    )

    # A correction is checked like a step: here against the seller's contact.
    refused = correct(
        buyer, pid, wrong.id, "signed", today - timedelta(days=9), contract_amount_wan="128"
    )
    assert refused.status_code == 422 and "before the previous step" in refused.get_data(
        as_text=True
    )
    response = correct(
        buyer, pid, wrong.id, "signed", today, contract_amount_wan="128", note="金额更正"
    )
    assert response.status_code == 302

    page = seller.get(f"/docking/{pid}?lang=en").get_data(as_text=True)
    assert "128 × 10,000 yuan" in page and "Corrects the step recorded in error" in page
    assert "Correct this step" not in page  # the seller did not record it
    session.expire_all()
    events = session.exec(select(DockingEvent).order_by(DockingEvent.id)).all()
    assert [(e.stage, e.contract_amount_wan) for e in events] == [
        ("contacted", None),
        ("signed", 1280.0),
        ("signed", 128.0),
    ]
    assert events[1].corrected_by_id == events[2].id  # kept, and marked as corrected
    with app.test_request_context():
        signed, amount = contract_totals(session, Scope(public=True))
    assert (signed, amount) == (1, 128.0)  # the corrected amount counts, once

    correction = session.exec(
        select(AuditEntry).where(AuditEntry.action == "docking.correct")
    ).one()
    assert correction.object_id == events[2].id
    assert correction.changes["corrects"]["contract_amount_wan"] == 1280.0
    assert correction.changes["contract_amount_wan"] == 128.0
    news = session.exec(select(Notification).where(Notification.user_id == story.seller.id)).all()
    assert [n.kind for n in news] == ["docking.progress", "docking.corrected"]

    # The original cannot be corrected twice.
    again = correct(buyer, pid, wrong.id, "signed", today, contract_amount_wan="12.8")
    assert again.status_code == 409


def test_a_stage_recorded_too_far_is_corrected_and_the_docking_goes_on(app, session, today):
    story = make_published_pairing(session)
    buyer = signed_in(app, story.buyer)
    pid = story.pairing.id
    step(buyer, pid, "contacted", today - timedelta(days=3))
    step(buyer, pid, "closed", today, reason="误操作")
    closed = session.exec(select(DockingEvent).order_by(DockingEvent.id.desc())).first()
    first = session.exec(select(DockingEvent).order_by(DockingEvent.id)).first()
    # Only the latest step can be corrected.
    assert correct(buyer, pid, first.id, "contacted", today).status_code == 409
    assert correct(buyer, pid, closed.id, "negotiating", today).status_code == 302
    assert step(buyer, pid, "signed", today, contract_amount_wan="66").status_code == 302
    page = buyer.get("/docking/?lang=en").get_data(as_text=True)
    assert "Signed" in page
