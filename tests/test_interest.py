"""Interest (揭榜): a firm raises its hand for a scenario; the owner accepts or says why not."""

import re

from evidence_files import approved_evidence
from listdata import make_pairing
from sqlmodel import select

from models import (
    AuditEntry,
    CapabilityStatus,
    Interest,
    InterestStatus,
    Notification,
    Organisation,
    OrgKind,
    Recommendation,
    RecommendationSource,
    RecommendationStatus,
    Role,
    ScenarioStatus,
)
from pairings import make_capability, make_scenario
from support import login, make_org, make_user, post


def signed_in(app, user, lang="en"):
    client = app.test_client()
    login(client, user)
    client.get(f"/?lang={lang}")  # messages are asserted in English
    return client


def a_scenario_and_a_firm(session, *, qualifications=("专精特新", "高新技术企业")):
    owner_org = make_org(session, OrgKind.demand, name="重庆市急救医疗中心")
    firm = make_org(session, OrgKind.supply, name="重庆星图智能科技有限公司")
    firm.qualifications = list(qualifications)
    session.add(firm)
    session.commit()
    scenario = make_scenario(session, owner_org, title="急救调度语音智能识别")
    capability = make_capability(session, firm, title="语音识别与调度辅助平台")
    return scenario, capability, make_user(session, owner_org), make_user(session, firm)


def express(client, scenario, capability, message="我们在江北区120中心做过类似项目"):
    return post(
        client,
        f"/interest/scenarios/{scenario.id}",
        {"capability": str(capability.id), "message": message},
    )


def test_a_firm_expresses_interest_and_the_scenario_page_shows_who_is_in_the_running(app, session):
    scenario, capability, owner, seller = a_scenario_and_a_firm(session)
    # An official approved the firm's 专精特新 certificate; its 高新技术企业 has no evidence yet.
    approved_evidence(session, session.get(Organisation, seller.organisation_id), "专精特新")
    firm = signed_in(app, seller)
    assert express(firm, scenario, capability).status_code == 302

    interest = session.exec(select(Interest)).one()
    assert interest.capability_id == capability.id and interest.status == "pending"
    news = session.exec(select(Notification).where(Notification.user_id == owner.id)).one()
    assert news.kind == "interest.received" and news.params["org"] == "重庆星图智能科技有限公司"

    # Anyone reading the scenario sees how many firms, and which verified qualifications,
    # are in; a qualification only claimed is shown to nobody outside the firm.
    page = app.test_client().get(f"/scenarios/{scenario.id}?lang=en").get_data(as_text=True)
    assert "1 firm is in the running so far" in page
    assert "✓ Specialised and innovative SME (&#39;Zhuanjingtexin&#39;) × 1" in page
    assert "High-tech enterprise" not in page
    assert "重庆星图智能科技有限公司" not in page  # but not who they are
    received = signed_in(app, owner).get("/interest/received").get_data(as_text=True)
    assert "✓ Specialised and innovative SME" in received
    assert "High-tech enterprise" not in received
    # A visitor is told how a firm takes part, and brought back here after signing in.
    assert "A firm that can solve this signs in to express interest." in page
    assert f'href="/auth/login?next=/scenarios/{scenario.id}"' in page

    again = express(firm, scenario, capability)
    assert again.status_code == 409 and "already expressed interest" in again.get_data(as_text=True)
    assert len(session.exec(select(Interest)).all()) == 1


def test_the_owner_declines_with_a_reason_and_the_firm_is_told_why(app, session):
    scenario, capability, owner, seller = a_scenario_and_a_firm(session)
    firm = signed_in(app, seller)
    express(firm, scenario, capability)
    interest = session.exec(select(Interest)).one()
    buyer = signed_in(app, owner)

    received = buyer.get("/interest/received").get_data(as_text=True)
    assert "重庆星图智能科技有限公司" in received and "语音识别与调度辅助平台" in received

    for blank in ("", "   "):
        no_reason = post(buyer, f"/interest/{interest.id}/decline", {"reason": blank})
        assert no_reason.status_code == 422
        assert "Give the firm a reason" in no_reason.get_data(as_text=True)
    session.refresh(interest)
    assert interest.status == "pending"

    declined = post(
        buyer,
        f"/interest/{interest.id}/decline",
        {"reason": "需要具备医疗器械软件注册证"},
        headers={"HX-Request": "true", "HX-Target": f"interest-{interest.id}"},
    )
    assert declined.status_code == 200
    assert "<html" not in declined.get_data(as_text=True)
    assert "需要具备医疗器械软件注册证" in declined.get_data(as_text=True)
    session.refresh(interest)
    assert interest.status == InterestStatus.declined and interest.decided_at is not None

    inbox = firm.get("/inbox/").get_data(as_text=True)
    assert "declined your interest" in inbox and "需要具备医疗器械软件注册证" in inbox
    assert "需要具备医疗器械软件注册证" in firm.get("/interest/mine").get_data(as_text=True)
    # A declined firm is out of the running: the public count no longer includes it.
    public = app.test_client().get(f"/scenarios/{scenario.id}?lang=en").get_data(as_text=True)
    assert "0 firms are in the running so far" in public

    twice = post(buyer, f"/interest/{interest.id}/accept")
    assert twice.status_code == 409 and "already been decided" in twice.get_data(as_text=True)
    actions = session.exec(select(AuditEntry.action)).all()
    assert actions.count("interest.decline") == 1 and "interest.accept" not in actions


def test_the_buyers_acceptance_sends_the_pairing_to_the_officials_not_past_them(app, session):
    scenario, capability, owner, seller = a_scenario_and_a_firm(session)
    firm = signed_in(app, seller)
    express(firm, scenario, capability)
    interest = session.exec(select(Interest)).one()

    response = post(signed_in(app, owner), f"/interest/{interest.id}/accept")
    assert response.status_code == 302
    pairing = session.exec(select(Recommendation)).one()
    assert (pairing.scenario_id, pairing.capability_id) == (scenario.id, capability.id)
    assert pairing.status is RecommendationStatus.recommended  # awaiting the officials
    assert pairing.source is RecommendationSource.interest and pairing.decided_at is None
    session.refresh(interest)
    assert interest.status == InterestStatus.accepted
    inbox = firm.get("/inbox/").get_data(as_text=True)
    assert "accepted your interest" in inbox and "officials review" in inbox
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "interest.accept")).one()
    assert audit.changes["recommendation_id"] == pairing.id

    # The official finds it in the queue, marked as asked for by both parties ...
    desk = signed_in(
        app, make_user(session, make_org(session, OrgKind.authority), role=Role.official)
    )
    row = desk.get("/review/").get_data(as_text=True)
    assert f'id="rec-{pairing.id}"' in row and "Requested by both parties" in row
    # Among many, the queue narrows to the pairings both parties asked for.
    make_pairing(session, make_scenario(session, make_org(session, OrgKind.demand)), capability)
    both = desk.get("/review/?source=interest").get_data(as_text=True)
    assert re.findall(r'<tr id="rec-(\d+)"', both) == [str(pairing.id)]
    assert len(re.findall(r'<tr id="rec-', desk.get("/review/?source=matcher").get_data(True))) == 1
    # ... and no batch can take it before an official approves it.
    batch_page = desk.get(post(desk, "/batches/new", {"year": "2030", "number": "1"}).location)
    assert "急救调度语音智能识别 ↔" not in batch_page.get_data(as_text=True)
    post(
        desk,
        f"/review/recommendations/{pairing.id}/decision",
        {"decision": "approve", "note": "", "version": pairing.version},
    )
    batch_page = desk.get(batch_page.request.path)
    assert "急救调度语音智能识别 ↔ 语音识别与调度辅助平台" in batch_page.get_data(as_text=True)


def test_an_earlier_rejection_is_reopened_for_the_officials_by_the_buyers_acceptance(app, session):
    scenario, capability, owner, seller = a_scenario_and_a_firm(session)
    earlier = Recommendation(
        scenario_id=scenario.id,
        capability_id=capability.id,
        score=0.42,
        status=RecommendationStatus.rejected,
        note="场景已有供应商",
    )
    session.add(earlier)
    session.commit()
    express(signed_in(app, seller), scenario, capability)
    interest = session.exec(select(Interest)).one()
    post(signed_in(app, owner), f"/interest/{interest.id}/accept")
    session.expire_all()  # the app changed the row this session already holds
    pairing = session.exec(select(Recommendation)).one()
    assert pairing.id == earlier.id and pairing.score == 0.42
    assert pairing.status is RecommendationStatus.recommended and pairing.version == 2
    assert pairing.source is RecommendationSource.interest


def test_when_officials_reject_a_pairing_both_parties_asked_for_both_are_told_why(app, session):
    scenario, capability, owner, seller = a_scenario_and_a_firm(session)
    firm = signed_in(app, seller)
    express(firm, scenario, capability)
    interest = session.exec(select(Interest)).one()
    buyer = signed_in(app, owner)
    post(buyer, f"/interest/{interest.id}/accept")
    pairing = session.exec(select(Recommendation)).one()
    # Accepted: both sides read that the pairing waits for the officials (not "Recommended").
    waiting = "Sent to the officials as a pairing: waiting for their review."
    assert waiting in firm.get("/interest/mine").get_data(as_text=True)
    assert waiting in buyer.get("/interest/received").get_data(as_text=True)

    desk = signed_in(
        app, make_user(session, make_org(session, OrgKind.authority), role=Role.official)
    )
    reason = "该平台尚未通过等保三级测评，不符合急救调度系统的要求。"
    response = post(
        desk,
        f"/review/recommendations/{pairing.id}/decision",
        {"decision": "reject", "note": reason, "version": pairing.version},
    )
    assert response.status_code == 303, response.get_data(as_text=True)

    # The buyer accepted the firm's interest and waits for the pairing: it hears the
    # outcome too, with the reason, and a link to its scenario.
    for client in (firm, buyer):
        inbox = client.get("/inbox/").get_data(as_text=True)
        assert "was not approved" in inbox and reason in inbox
    # Their lists of interests say what became of the pairing, and why.
    assert "Pairing not approved by an official." in firm.get("/interest/mine").get_data(
        as_text=True
    )
    received = buyer.get("/interest/received").get_data(as_text=True)
    assert "Pairing not approved by an official." in received and reason in received
    told = session.exec(select(Notification).where(Notification.kind == "recommendation.rejected"))
    assert sorted((n.user_id, n.link) for n in told) == sorted(
        [(seller.id, f"/capabilities/{capability.id}"), (owner.id, f"/scenarios/{scenario.id}")]
    )


def test_accepting_a_withdrawn_capability_is_refused_with_a_message(app, session):
    scenario, capability, owner, seller = a_scenario_and_a_firm(session)
    express(signed_in(app, seller), scenario, capability)
    capability.status = CapabilityStatus.withdrawn
    session.add(capability)
    session.commit()
    interest = session.exec(select(Interest)).one()
    response = post(signed_in(app, owner), f"/interest/{interest.id}/accept")
    assert response.status_code == 409
    assert "no longer published" in response.get_data(as_text=True)
    assert session.exec(select(Recommendation)).all() == []


def test_only_the_right_people_can_express_or_decide(app, session):
    scenario, capability, owner, seller = a_scenario_and_a_firm(session)
    unverified = make_org(session, OrgKind.supply, verified=False, name="重庆新注册软件有限公司")
    newcomer = signed_in(app, make_user(session, unverified))
    assert newcomer.get(f"/interest/scenarios/{scenario.id}").status_code == 403

    draft = make_scenario(
        session,
        make_org(session, OrgKind.demand, name="重庆某区大数据局"),
        status=ScenarioStatus.draft,
    )
    firm = signed_in(app, seller)
    assert express(firm, draft, capability).status_code == 404
    someone_elses = make_capability(
        session, make_org(session, name="重庆别家科技有限公司"), title="别家的能力"
    )
    assert express(firm, scenario, someone_elses).status_code == 422
    assert express(firm, scenario, capability).status_code == 302
    interest = session.exec(select(Interest)).one()

    other_owner = make_user(session, make_org(session, OrgKind.demand, name="重庆另一家医院"))
    stranger = signed_in(app, other_owner)
    assert post(stranger, f"/interest/{interest.id}/accept").status_code == 404
    assert (
        post(stranger, f"/interest/{interest.id}/decline", {"reason": "不合适"}).status_code == 404
    )
    assert "重庆星图" not in stranger.get("/interest/received").get_data(as_text=True)
    assert post(firm, f"/interest/{interest.id}/accept").status_code == 403  # a firm is no owner
    session.refresh(interest)
    assert interest.status == "pending"


def test_a_firm_without_a_published_capability_is_told_to_publish_one_first(app, session):
    scenario, capability, owner, seller = a_scenario_and_a_firm(session)
    capability.status = CapabilityStatus.draft
    session.add(capability)
    session.commit()
    firm = signed_in(app, seller)
    page = firm.get(f"/interest/scenarios/{scenario.id}").get_data(as_text=True)
    assert "Publish a capability first" in page
    assert express(firm, scenario, capability).status_code == 422
    assert session.exec(select(Interest)).all() == []


def test_the_interest_form_ticks_a_capability_only_when_the_matcher_pairs_it(app, session):
    scenario, capability, owner, seller = a_scenario_and_a_firm(session)
    other = make_capability(
        session, session.get(Organisation, seller.organisation_id), title="无人机巡检"
    )
    firm = signed_in(app, seller)
    # Two capabilities, neither paired with the scenario: nothing is chosen for the firm.
    page = firm.get(f"/interest/scenarios/{scenario.id}").get_data(as_text=True)
    assert "checked" not in page
    # Once the matcher pairs one, it comes first and is ticked.
    make_pairing(session, scenario, other)
    page = firm.get(f"/interest/scenarios/{scenario.id}").get_data(as_text=True)
    ticked = re.search(
        r'<input checked[^>]*value="(\d+)"|<input[^>]*value="(\d+)"[^>]*checked', page
    )
    assert ticked and str(other.id) in ticked.groups()


def test_a_firm_whose_capability_awaits_review_is_told_it_can_name_it_once_published(app, session):
    scenario, capability, owner, seller = a_scenario_and_a_firm(session)
    capability.status = CapabilityStatus.submitted
    session.add(capability)
    session.commit()
    page = signed_in(app, seller).get(f"/interest/scenarios/{scenario.id}").get_data(as_text=True)
    assert "Publish a capability first" in page
    assert "Your capability “语音识别与调度辅助平台” is awaiting an official" in page
    assert 'href="/capabilities/mine"' in page


def test_an_official_deciding_a_pairing_sees_that_the_buyer_declined_the_firm(app, session):
    scenario, capability, owner, seller = a_scenario_and_a_firm(session)
    pairing = make_pairing(session, scenario, capability)  # the matcher's, awaiting review
    express(signed_in(app, seller), scenario, capability)
    interest = session.exec(select(Interest)).one()
    post(signed_in(app, owner), f"/interest/{interest.id}/decline", {"reason": "缺少医疗资质"})

    desk = signed_in(
        app, make_user(session, make_org(session, OrgKind.authority), role=Role.official)
    )
    queue = desk.get("/review/").get_data(as_text=True)
    row = queue.split(f'id="rec-{pairing.id}"', 1)[1].split("</tr>", 1)[0]
    assert "The buyer declined this firm's interest: 缺少医疗资质" in row
