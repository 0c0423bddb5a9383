"""The inbox: notifications arrive, unread first, are marked read, and go out by e-mail."""

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from matchmaker.records.notify import notify_org
from matchmaker.records.wording import MESSAGES, render_notification
from models import AuditEntry, Notification, OrgKind
from pairings import make_capability, make_scenario
from support import login, make_org, make_user, post


def signed_in(app, user):
    client = app.test_client()
    login(client, user)
    client.get("/?lang=en")
    return client


def deliver(session, user, kind, params, link=""):
    note = Notification(user_id=user.id, kind=kind, params=params, link=link)
    session.add(note)
    session.commit()
    return note


def test_the_inbox_shows_unread_first_and_marks_one_or_all_read(app, session):
    user = make_user(session, make_org(session))
    old = deliver(session, user, "entry.published", {"title": "工业设备预测性维护"})
    returned = deliver(
        session, user, "entry.returned", {"title": "智慧停车", "reason": "请补充现状描述"}
    )
    client = signed_in(app, user)

    page = client.get("/inbox/").get_data(as_text=True)
    assert "“智慧停车” was returned for changes: 请补充现状描述" in page
    assert page.index("智慧停车") < page.index("工业设备预测性维护")  # newest first
    assert '<span class="pill badge"' in page and ">2</span>" in page

    fragment = post(
        client,
        f"/inbox/{returned.id}/read",
        headers={"HX-Request": "true", "HX-Target": f"note-{returned.id}"},
    )
    assert fragment.status_code == 200
    assert fragment.headers["HX-Trigger"] == "inbox-changed"  # the nav badge refreshes
    assert "<html" not in fragment.get_data(as_text=True)
    page = client.get("/inbox/").get_data(as_text=True)
    assert page.index("工业设备预测性维护") < page.index("智慧停车")  # unread first now
    assert ">1</span>" in client.get("/inbox/badge").get_data(as_text=True)

    assert post(client, "/inbox/read-all").status_code == 302
    session.expire_all()
    assert all(n.read_at for n in session.exec(select(Notification)))
    assert '<span class="pill badge"' not in client.get("/inbox/badge").get_data(as_text=True)
    actions = session.exec(select(AuditEntry.action)).all()
    assert sorted(actions) == ["notification.read", "notification.read_all"]
    session.refresh(old)
    assert old.read_at is not None  # read by "mark all"


def test_opening_a_notification_marks_it_read_and_goes_to_its_object(app, session):
    user = make_user(session, make_org(session))
    note = deliver(
        session, user, "interest.accepted", {"scenario": "x", "org": "y"}, "/interest/mine"
    )
    response = post(signed_in(app, user), f"/inbox/{note.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/interest/mine"
    session.refresh(note)
    assert note.read_at is not None


def test_a_link_that_leaves_the_site_is_not_followed(app, session):
    user = make_user(session, make_org(session))
    note = deliver(session, user, "entry.published", {"title": "x"}, "//evil.example/")
    response = post(signed_in(app, user), f"/inbox/{note.id}/open")
    assert response.headers["Location"] == "/inbox/"


def test_another_users_notification_answers_404(app, session):
    owner = make_user(session, make_org(session))
    note = deliver(session, owner, "entry.published", {"title": "别人的私信标题"})
    other = signed_in(app, make_user(session, make_org(session, name="重庆别家科技有限公司")))
    assert post(other, f"/inbox/{note.id}/read").status_code == 404
    assert post(other, f"/inbox/{note.id}/open").status_code == 404
    session.refresh(note)
    assert note.read_at is None
    assert "别人的私信标题" not in other.get("/inbox/").get_data(as_text=True)


def test_the_inbox_needs_an_account(client):
    assert client.get("/inbox/").status_code == 302


@pytest.mark.parametrize(
    "kind, params, expected",
    [
        ("entry.published", {"title": "AI质检"}, "“AI质检” has been published."),
        ("entry.returned", {"title": "AI质检", "reason": "太简略"}, "returned for changes: 太简略"),
        (
            "recommendation.rejected",
            {"scenario": "甲", "capability": "乙", "reason": "领域不符"},
            "“甲” with “乙” was not approved: 领域不符",
        ),
        (
            "pairing.published",
            {"scenario": "甲", "capability": "乙", "batch": "2024年第一批"},
            "published in Batch 1 of 2024.",  # its usual name, in the reader's language
        ),
        (
            "pairing.published",
            {"scenario": "甲", "capability": "乙", "batch": "数字重庆专场"},
            "published in 数字重庆专场.",  # a name an official typed stays as typed
        ),
        (
            "docking.progress",
            {"scenario": "甲", "capability": "乙", "org": "丙公司", "stage": "negotiating"},
            "丙公司 recorded “Negotiating”",
        ),
        (
            "docking.corrected",
            {"scenario": "甲", "capability": "乙", "org": "丙公司", "stage": "signed"},
            "丙公司 corrected its latest step",
        ),
        ("docking.reminder", {"scenario": "甲", "capability": "乙", "days": 31}, "for 31 days"),
        ("interest.received", {"scenario": "甲", "org": "丙公司"}, "丙公司 expressed interest"),
        ("interest.accepted", {"scenario": "甲", "org": "丁医院"}, "丁医院 accepted your interest"),
        (
            "interest.declined",
            {"scenario": "甲", "org": "丁医院", "reason": "预算不足"},
            "declined your interest in “甲”: 预算不足",
        ),
        ("organisation.verified", {"name": "星河软件"}, "星河软件 has been verified"),
        (
            "organisation.rejected",
            {"name": "星河软件", "reason": "代码不符"},
            "refused to verify 星河软件: 代码不符",
        ),
        ("account.reset_link", {"name": "李工", "until": "2030-01-01 10:00"}, "until 2030-01-01"),
        ("membership.requested", {"name": "王工", "org": "星河"}, "王工 asks to join 星河"),
        ("membership.approved", {"org": "星河"}, "request to join 星河 was approved"),
        (
            "membership.declined",
            {"org": "星河", "reason": "非本单位员工"},
            "join 星河 was declined: 非本单位员工",
        ),
        ("no.such.kind", {}, "You have a new notification."),
        ("entry.returned", {}, "was returned for changes"),  # missing params never break it
    ],
)
def test_every_kind_of_notification_reads_as_one_sentence(app, kind, params, expected):
    with app.test_request_context("/?lang=en"):
        assert expected in render_notification(kind, params)


def test_every_documented_kind_has_its_own_sentence():
    documented = {
        "entry.published",
        "entry.returned",
        "recommendation.rejected",
        "pairing.published",
        "docking.progress",
        "docking.corrected",
        "docking.reminder",
        "interest.received",
        "interest.accepted",
        "interest.declined",
        "organisation.verified",
        "organisation.rejected",
        "account.reset_link",
        "membership.requested",
        "membership.approved",
        "membership.declined",
        "evidence.approved",
        "evidence.rejected",
        "evidence.expiring",
        "evidence.expired",
        "alert.found",
    }
    assert set(MESSAGES) == documented


class Mailbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free local port, for the length of one test."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def test_a_notification_is_mailed_when_smtp_is_configured(app, session, smtp_server):
    mailbox, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SENDER="noreply@cq.example")
    owner_org = make_org(session, OrgKind.demand, name="重庆市急救医疗中心")
    owner = make_user(session, owner_org, email="owner@hospital.example")
    scenario = make_scenario(session, owner_org, title="急救调度语音智能识别")
    firm_org = make_org(session, name="重庆星图智能科技有限公司")
    capability = make_capability(session, firm_org)
    firm = signed_in(app, make_user(session, firm_org))

    response = post(firm, f"/interest/scenarios/{scenario.id}", {"capability": str(capability.id)})
    assert response.status_code == 302
    assert len(mailbox.messages) == 1
    recipients, message = mailbox.messages[0]
    assert recipients == [owner.email]
    assert message["From"] == "noreply@cq.example" and "Bcc" not in message
    assert "重庆星图智能科技有限公司" in message["Subject"]
    assert f"/interest/received?scenario={scenario.id}" in message.get_content()
    assert "http://localhost/interest/received" in message.get_content()  # absolute for mail


def test_no_mail_leaves_for_a_change_that_was_rolled_back(app, session, smtp_server):
    mailbox, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    org = make_org(session, OrgKind.demand, name="重庆市急救医疗中心")
    make_user(session, org, email="owner@hospital.example")
    with app.test_request_context(), Session(app.extensions["engine"]) as work:
        notify_org(work, org.id, "entry.published", {"title": "急救调度语音智能识别"})
        work.rollback()
        notify_org(work, org.id, "entry.returned", {"title": "急救调度", "reason": "补充预算"})
        work.commit()
    assert len(mailbox.messages) == 1
    assert "急救调度" in mailbox.messages[0][1]["Subject"]
