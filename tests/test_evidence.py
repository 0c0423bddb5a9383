"""Evidence for claims: a firm backs its qualifications and cases with files, officials approve
them until an expiry date or reject them, the firm is reminded before expiry, and an expired
claim stops counting (matching, filters) and disappears from the public pages."""

from datetime import timedelta
from pathlib import Path

from evidence_files import pdf
from evidence_files import upload as upload_as_browser
from posting_data import member_of, official, sign_in
from sqlalchemy import event
from sqlmodel import select
from test_inbox import smtp_server  # noqa: F401  (the fixture: a real SMTP server)

from matchmaker.evidence import claims
from matchmaker.pairing.recommend import matcher_view
from matchmaker.web.dates import local_today
from models import (
    AuditEntry,
    Capability,
    CapabilityStatus,
    Evidence,
    Notification,
    OrgKind,
)
from pairings import make_capability
from support import make_org, post

FIRM = "重庆星河软件有限公司"
CERTIFICATE = "高新技术企业证书.pdf"


def a_firm_with_a_qualification(session):
    """A verified firm whose published capability claims 高新技术企业 and a reference case."""
    firm = member_of(session, OrgKind.supply, FIRM)
    capability = make_capability(
        session,
        session.get(__import__("models").Organisation, firm.organisation_id),
        qualifications=["高新技术企业"],
    )
    capability.cases = ["2022年为某区政务服务中心建设材料预审系统"]
    session.add(capability)
    session.commit()
    return firm, capability


def upload(client, claim, data, *, kind="qualification", filename=CERTIFICATE):
    return upload_as_browser(client, claim, data, kind=kind, filename=filename)


def open_file(client, url):
    """GET a file and close the response (a file response holds its file open until then)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def in_app(app, day):
    with app.app_context():
        return day()


def run_reminders(app):
    result = app.test_cli_runner().invoke(args=["evidence-reminders"])
    assert result.exit_code == 0, result.output
    return result.output


def notes_of(session, user):
    session.expire_all()
    return session.exec(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).all()


def test_a_certificate_is_approved_reminded_once_and_stops_counting_when_it_expires(
    app,
    session,
    smtp_server,  # noqa: F811
):
    mailbox, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SENDER="noreply@cq.example")
    user, capability = a_firm_with_a_qualification(session)
    firm = sign_in(app, user)
    today = in_app(app, local_today)

    # The firm sees its claims, none backed yet, and uploads the certificate.
    page = firm.get("/evidence/").get_data(as_text=True)
    assert "High-tech enterprise" in page and "No evidence yet" in page
    assert upload(firm, "高新技术企业", pdf()).status_code == 302
    (evidence,) = session.exec(select(Evidence)).all()
    assert (evidence.status, evidence.media_type, evidence.filename) == (
        "pending",
        "application/pdf",
        CERTIFICATE,
    )
    stored = Path(app.config["EVIDENCE_DIR"]) / evidence.stored_name
    assert stored.read_bytes()[:5] == b"%PDF-"
    assert not str(stored).startswith(app.static_folder)
    assert "Waiting for an official" in firm.get("/evidence/").get_data(as_text=True)

    # The public does not see an unverified claim on the capability's page.
    public = app.test_client().get(f"/capabilities/{capability.id}?lang=en")
    assert "High-tech enterprise" not in public.get_data(as_text=True)

    # An official opens the queue and the file, and approves it until the certificate's date.
    desk = sign_in(app, official(session))
    queue = desk.get("/evidence/queue").get_data(as_text=True)
    assert FIRM in queue and CERTIFICATE in queue
    opened = open_file(desk, f"/evidence/{evidence.id}/file")
    assert opened.status_code == 200 and opened.mimetype == "application/pdf"
    assert opened.headers["Content-Disposition"].startswith("inline;")
    assert "filename*=UTF-8''%E9%AB%98" in opened.headers["Content-Disposition"]  # 高…
    assert opened.headers["Cache-Control"] == "private, no-store"
    until = today + timedelta(days=20)
    approved = post(
        desk,
        f"/evidence/{evidence.id}/approve",
        {"expires_on": until.isoformat(), "version": evidence.version},
    )
    assert approved.status_code == 302
    session.refresh(evidence)
    assert (evidence.status, evidence.expires_on) == ("approved", until)

    # The firm is told, in its inbox and by mail; the public page marks the claim verified.
    (told,) = notes_of(session, user)
    assert told.kind == "evidence.approved"
    assert "valid until " + until.isoformat() in firm.get("/inbox/").get_data(as_text=True)
    ((recipients, message),) = mailbox.messages
    assert recipients == [user.email] and until.isoformat() in message["Subject"]
    public = app.test_client().get(f"/capabilities/{capability.id}?lang=en").get_data(as_text=True)
    assert "High-tech enterprise" in public and "✓ Verified" in public
    listed = app.test_client().get("/capabilities/?qualification=高新技术企业&lang=en")
    assert capability.title in listed.get_data(as_text=True)

    # Twenty days before expiry the daily command reminds the firm, once.
    assert "1 reminded, 0 expired" in run_reminders(app)
    assert "0 reminded, 0 expired" in run_reminders(app)
    reminders = [n for n in notes_of(session, user) if n.kind == "evidence.expiring"]
    assert len(reminders) == 1 and reminders[0].params["days"] == "20"
    # The mail speaks the language the firm's user chose on the site (English here).
    assert len(mailbox.messages) == 2 and "(in 20 days)" in mailbox.messages[1][1]["Subject"]

    # Time passes: the certificate's date is behind us.
    session.refresh(evidence)
    evidence.expires_on = today - timedelta(days=1)
    session.add(evidence)
    session.commit()
    assert "0 reminded, 1 expired, 1 capabilities rescored" in run_reminders(app)
    assert "0 reminded, 0 expired" in run_reminders(app)
    assert [n.kind for n in notes_of(session, user)][-1] == "evidence.expired"
    assert len(mailbox.messages) == 3

    # The claim shows as expired to the firm, and counts nowhere any more.
    mine = firm.get("/evidence/").get_data(as_text=True)
    assert "Expired on" in mine and "no longer counts in matching" in mine
    public = app.test_client().get(f"/capabilities/{capability.id}?lang=en").get_data(as_text=True)
    assert "High-tech enterprise" not in public
    listed = app.test_client().get("/capabilities/?qualification=高新技术企业&lang=en")
    assert capability.title not in listed.get_data(as_text=True)
    # The empty list says why a firm that lists the qualification is not found.
    assert "once an official has checked the firm's evidence" in listed.get_data(as_text=True)
    with app.test_request_context():
        session.expire_all()
        fresh = session.get(Capability, capability.id)
        assert matcher_view(session, fresh).qualifications == ()
        lapsed = claims.lapsed_qualifications(session, today=today)
        assert lapsed == {capability.organisation_id: frozenset({"高新技术企业"})}

    # Every step is in the audit trail.
    actions = session.exec(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "evidence")
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["evidence.upload", "evidence.approve", "evidence.remind", "evidence.lapse"]


def test_a_rejected_file_is_explained_and_a_new_one_keeps_the_history(app, session, smtp_server):  # noqa: F811
    mailbox, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SENDER="noreply@cq.example")
    user, capability = a_firm_with_a_qualification(session)
    case = capability.cases[0]
    firm = sign_in(app, user)
    assert upload(firm, case, pdf(), kind="case", filename="合同.pdf").status_code == 302
    first = session.exec(select(Evidence)).one()

    desk = sign_in(app, official(session))
    refused = post(desk, f"/evidence/{first.id}/reject", {"reason": "", "version": first.version})
    assert refused.status_code == 422 and "Say why" in refused.get_data(as_text=True)
    post(desk, f"/evidence/{first.id}/reject", {"reason": "合同未盖章", "version": first.version})
    assert "An official rejected your evidence for “" + case + "”: 合同未盖章" in firm.get(
        "/inbox/"
    ).get_data(as_text=True)
    assert "合同未盖章" in mailbox.messages[0][1]["Subject"]
    assert "Rejected: 合同未盖章" in firm.get("/evidence/").get_data(as_text=True)

    # A second file takes its place; the first stays, bytes and all, as history.
    assert upload(firm, case, pdf(), kind="case", filename="合同（盖章）.pdf").status_code == 302
    second = session.exec(select(Evidence).where(Evidence.id != first.id)).one()
    assert second.replaces_id == first.id
    session.refresh(first)
    assert first.status == "rejected"
    directory = Path(app.config["EVIDENCE_DIR"])
    assert (directory / first.stored_name).exists() and (directory / second.stored_name).exists()

    # A case's contract may be approved without an expiry; a third upload replaces the second.
    assert upload(firm, case, pdf(), kind="case", filename="第三份.pdf").status_code == 302
    session.expire_all()
    assert session.get(Evidence, second.id).status == "replaced"
    third = session.exec(select(Evidence).order_by(Evidence.id.desc())).first()
    assert (
        post(desk, f"/evidence/{third.id}/approve", {"version": third.version}).status_code == 302
    )
    page = firm.get("/evidence/").get_data(as_text=True)
    assert "History (3 files)" in page and "Verified." in page


def test_a_qualification_needs_a_future_expiry_and_a_decision_is_made_once(app, session):
    user, _capability = a_firm_with_a_qualification(session)
    upload(sign_in(app, user), "高新技术企业", pdf())
    evidence = session.exec(select(Evidence)).one()
    desk = sign_in(app, official(session))
    url = f"/evidence/{evidence.id}/approve"
    today = in_app(app, local_today)
    missing = post(desk, url, {"version": evidence.version})
    assert missing.status_code == 422 and "expiry date printed on" in missing.get_data(as_text=True)
    past = post(desk, url, {"expires_on": today.isoformat(), "version": evidence.version})
    assert past.status_code == 422 and "must be after today" in past.get_data(as_text=True)
    far = post(desk, url, {"expires_on": "2099-01-01", "version": evidence.version})
    assert far.status_code == 422 and "too far off" in far.get_data(as_text=True)
    until = (today + timedelta(days=400)).isoformat()
    stale = post(desk, url, {"expires_on": until, "version": evidence.version + 5})
    assert stale.status_code == 409
    assert post(desk, url, {"expires_on": until, "version": evidence.version}).status_code == 302
    again = post(desk, url, {"expires_on": until, "version": evidence.version + 1})
    assert again.status_code == 409 and "already been decided" in again.get_data(as_text=True)
    assert len(session.exec(select(Notification)).all()) == 1  # told once, by the approval


def test_only_the_firm_and_officials_see_a_file_and_only_the_firm_deletes_it(app, session):
    user, _capability = a_firm_with_a_qualification(session)
    firm = sign_in(app, user)
    upload(firm, "高新技术企业", pdf())
    evidence = session.exec(select(Evidence)).one()
    file_url = f"/evidence/{evidence.id}/file"

    rival = sign_in(app, member_of(session, OrgKind.supply, "重庆对手软件有限公司"))
    buyer = sign_in(app, member_of(session, OrgKind.demand, "重庆市某局"))
    assert open_file(rival, file_url).status_code == 404
    assert open_file(buyer, file_url).status_code == 404
    assert open_file(app.test_client(), file_url).status_code == 302  # to the sign-in page
    assert post(rival, f"/evidence/{evidence.id}/withdraw", {"version": 1}).status_code == 404
    assert post(buyer, f"/evidence/{evidence.id}/withdraw", {"version": 1}).status_code == 403
    assert upload(rival, "高新技术企业", pdf()).status_code == 400  # not the rival's claim
    desk = sign_in(app, official(session))
    assert open_file(desk, file_url).status_code == 200

    deleted = post(firm, f"/evidence/{evidence.id}/withdraw", {"version": evidence.version})
    assert deleted.status_code == 302
    session.refresh(evidence)
    assert evidence.status == "withdrawn"
    assert not (Path(app.config["EVIDENCE_DIR"]) / evidence.stored_name).exists()
    assert open_file(desk, file_url).status_code == 404
    assert "evidence.withdraw" in session.exec(select(AuditEntry.action)).all()


def test_an_approved_file_is_not_the_firms_to_delete(app, session):
    user, _capability = a_firm_with_a_qualification(session)
    firm = sign_in(app, user)
    upload(firm, "高新技术企业", pdf())
    evidence = session.exec(select(Evidence)).one()
    desk = sign_in(app, official(session))
    until = (in_app(app, local_today) + timedelta(days=365)).isoformat()
    post(desk, f"/evidence/{evidence.id}/approve", {"expires_on": until, "version": 1})
    refused = post(firm, f"/evidence/{evidence.id}/withdraw", {"version": 2})
    assert refused.status_code == 409
    session.refresh(evidence)
    assert evidence.status == "approved"


def test_a_withdrawn_capability_no_longer_names_its_claims(app, session):
    user, capability = a_firm_with_a_qualification(session)
    capability.status = CapabilityStatus.withdrawn
    session.add(capability)
    session.commit()
    assert upload(sign_in(app, user), "高新技术企业", pdf()).status_code == 400
    assert session.exec(select(Evidence)).all() == []


def test_a_list_of_many_firms_capabilities_reads_their_verified_claims_at_once(app, session):
    """The cards' verified marks cost one query for the page, however many firms it shows."""

    def statements_for_the_list() -> int:
        seen: list[str] = []
        engine = app.extensions["engine"]
        record = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert app.test_client().get("/capabilities/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return sum("evidence" in statement for statement in seen)

    for n in range(2):
        make_capability(session, make_org(session, name=f"重庆第{n}软件有限公司"), title=f"能力{n}")
    two_firms = statements_for_the_list()
    for n in range(2, 12):
        make_capability(session, make_org(session, name=f"重庆第{n}软件有限公司"), title=f"能力{n}")
    assert statements_for_the_list() == two_firms == 1
