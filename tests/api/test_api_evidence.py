"""Evidence through the API: a firm reads where each of its claims stands, officials read the
queue, nobody else reads a firm's files; public capabilities show only verified claims."""

from datetime import timedelta

from api_helpers import PROBLEM, call, make_capability, token_for
from evidence_files import approved_evidence, pdf, upload
from posting_data import official, sign_in

from matchmaker.web.dates import local_today
from models import OrgKind, Role
from support import make_org, make_user


def a_firm(session):
    org = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    user = make_user(session, org, role=Role.member)
    capability = make_capability(session, org, qualifications=["高新技术企业", "专精特新"])
    return org, user, capability


def test_a_firm_reads_its_claims_and_officials_the_queue(app, client, session):
    org, user, _capability = a_firm(session)
    assert upload(sign_in(app, user), "高新技术企业", pdf()).status_code == 302
    with app.app_context():
        until = local_today() + timedelta(days=10)
    approved_evidence(session, org, "专精特新", until=until)
    firm = token_for(session, user)

    answer = call(client, "GET", "/api/v1/claims", firm)
    assert answer.status_code == 200
    states = {(c["kind"], c["name"]): c for c in answer.json["items"]}
    pending = states[("qualification", "高新技术企业")]
    assert pending["state"] == "pending" and pending["files"][0]["filename"] == "证书.pdf"
    assert pending["files"][0]["media_type"] == "application/pdf"
    expiring = states[("qualification", "专精特新")]
    assert expiring["state"] == "expiring" and expiring["expires_on"] == until.isoformat()

    desk = token_for(session, official(session))
    queue = call(client, "GET", "/api/v1/evidence", desk)
    assert queue.status_code == 200 and queue.json["total"] == 1
    (item,) = queue.json["items"]
    assert item["claim"] == "高新技术企业" and item["organisation"]["name"] == org.name
    assert call(client, "GET", f"/api/v1/evidence/{item['id']}", desk).json["status"] == "pending"
    assert call(client, "GET", f"/api/v1/evidence/{item['id']}", firm).status_code == 200
    approved = call(client, "GET", "/api/v1/evidence?status=approved", desk).json
    assert [e["claim"] for e in approved["items"]] == ["专精特新"]

    # Not the firm's business: the queue; not a rival's business: the firm's file.
    assert call(client, "GET", "/api/v1/evidence", firm).status_code == 403
    rival = make_user(session, make_org(session, OrgKind.supply, name="重庆对手软件有限公司"))
    foreign = call(client, "GET", f"/api/v1/evidence/{item['id']}", token_for(session, rival))
    assert foreign.status_code == 404 and foreign.mimetype == PROBLEM
    buyer = make_user(session, make_org(session, OrgKind.demand, name="重庆市某局"))
    assert call(client, "GET", "/api/v1/claims", token_for(session, buyer)).status_code == 403


def test_public_capabilities_show_only_verified_claims_in_force(app, client, session):
    org, user, capability = a_firm(session)
    with app.app_context():
        today = local_today()
    approved_evidence(session, org, "专精特新", until=today + timedelta(days=100))
    approved_evidence(session, org, "高新技术企业", until=today - timedelta(days=1))

    public = call(client, "GET", f"/api/v1/capabilities/{capability.id}").json
    assert public["qualifications"] == ["专精特新"]  # the expired one is not shown
    listed = call(client, "GET", "/api/v1/capabilities").json["items"][0]
    assert listed["qualifications"] == ["专精特新"]
    own = call(client, "GET", f"/api/v1/capabilities/{capability.id}", token_for(session, user))
    assert own.json["qualifications"] == ["高新技术企业", "专精特新"]  # the firm sees all
