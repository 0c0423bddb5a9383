"""Saved searches and alerts: a firm saves a search or follows what fits it, a scenario is
published, the alert reaches the firm once in its inbox and once by e-mail, and one click in
the e-mail stops it."""

import re
from datetime import timedelta

from posting_data import (
    INVOICE_CAPABILITY,
    KIOSK_CAPABILITY,
    OCR_CAPABILITY,
    OCR_CAPABILITY_ROW,
    OCR_SCENARIO,
    OCR_SCENARIO_ROW,
    SLOPE_CAPABILITY,
    member_of,
    official,
    published,
    sign_in,
)
from sqlmodel import select
from test_inbox import smtp_server  # noqa: F401  (the fixture: a real SMTP server)

from matchmaker.alerts import digest
from models import (
    Alert,
    AuditEntry,
    Capability,
    Frequency,
    Notification,
    Organisation,
    OrgKind,
    SavedSearch,
    Scenario,
)
from models._types import utcnow
from support import post

HTMX = {"HX-Request": "true"}
SLOPE_SCENARIO = {
    "title": "矿山边坡位移自动监测",
    "summary": "露天矿山边坡位移全天候监测和预警",
    "description": "露天矿山的高陡边坡需要全天候位移监测，数据超过阈值时自动预警，替代人工巡检，"
    "保障矿区作业人员安全。",
    "field": "物联网",
    "district": "万州区",
    "tags": "边坡监测、位移、预警",
    "budget_min_wan": "30",
    "budget_max_wan": "80",
    "deadline": "2030-09-30",
    "contact_name": "李工",
    "contact_phone": "023-58000000",
}


def run_alerts(app, period: str = "immediately") -> str:
    """`matchmaker alerts --period …`, as cron runs it."""
    result = app.test_cli_runner().invoke(args=["alerts", "--period", period])
    assert result.exit_code == 0, result.output
    return result.output


def publish_scenario(app, session, buyer, desk, values: dict) -> Scenario:
    """The buyer posts and submits a scenario; an official publishes it."""
    response = post(sign_in(app, buyer), "/scenarios/new", {**values, "send": "1"})
    assert response.status_code == 302, response.get_data(as_text=True)
    scenario = session.exec(select(Scenario).where(Scenario.title == values["title"])).one()
    assert post(desk, f"/review/scenarios/{scenario.id}/publish", {"version": 1}).status_code == 303
    return scenario


def mail_to(mailbox, address: str) -> list:
    """The messages `address` received (publishing also mails the buyer its own news)."""
    return [message for recipients, message in mailbox.messages if recipients == [address]]


def alerts_in_inbox(session, user) -> list[Notification]:
    session.expire_all()
    return list(
        session.exec(
            select(Notification).where(
                Notification.user_id == user.id, Notification.kind == "alert.found"
            )
        )
    )


def firm_with_ocr_capability(session):
    firm = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    org_id = firm.organisation_id
    published(session, Capability, session.get(Organisation, org_id), **OCR_CAPABILITY_ROW)
    return firm


def test_a_firm_saves_a_search_and_hears_of_a_new_scenario_once_then_unsubscribes(
    app,
    session,
    smtp_server,  # noqa: F811
):
    mailbox, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SENDER="alerts@cq.example")
    firm = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    firm.email = "li@xinghe.example"
    session.add(firm)
    session.commit()
    buyer = member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心")
    desk = sign_in(app, official(session))
    browser = sign_in(app, firm)

    # The firm searches the scenario list and saves the search in one click (htmx).
    listing = browser.get("/scenarios/?q=OCR&field=智慧政务").get_data(as_text=True)
    assert 'rel="alternate" type="application/atom+xml"' in listing
    assert "Save this search" in listing
    saved = post(browser, "/alerts/save/scenarios", {"q": "OCR", "field": "智慧政务"}, headers=HTMX)
    assert saved.status_code == 200
    assert "Saved as “OCR · 智慧政务”" in saved.get_data(as_text=True)
    search = session.exec(select(SavedSearch)).one()
    assert (search.kind, search.q, search.fields, search.frequency) == (
        "scenarios",
        "OCR",
        ["智慧政务"],
        Frequency.daily,
    )

    # On the saved-search page it asks to be told at once.
    page = browser.get("/alerts/").get_data(as_text=True)
    assert "OCR · 智慧政务" in page and "Daily digest" in page
    form = browser.get(f"/alerts/{search.id}/edit", headers=HTMX)
    assert 'id="search-' in form.get_data(as_text=True) and "<html" not in form.get_data(
        as_text=True
    )
    changed = post(
        browser,
        f"/alerts/{search.id}/edit",
        {
            "version": search.version,
            "name": "政务OCR",
            "q": "OCR",
            "fields": "智慧政务",
            "frequency": "immediately",
        },
        headers=HTMX,
    )
    assert changed.status_code == 200
    assert "政务OCR" in changed.get_data(as_text=True) and "Immediately" in changed.get_data(
        as_text=True
    )

    # A buyer's scenario is published; an unrelated one too.
    scenario = publish_scenario(app, session, buyer, desk, OCR_SCENARIO)
    publish_scenario(app, session, buyer, desk, SLOPE_SCENARIO)
    [alert] = session.exec(select(Alert)).all()
    assert alert.entry_id == scenario.id and alert.notified_at is None

    output = run_alerts(app)
    assert "1 alerts delivered to 1 users' inboxes; 1 e-mails sent" in output
    [note] = alerts_in_inbox(session, firm)
    assert note.params["search"] == "政务OCR" and scenario.title in note.params["titles"]
    assert note.link == f"/alerts/{search.id}"
    [message] = mail_to(mailbox, "li@xinghe.example")
    assert message["From"] == "alerts@cq.example"
    body = message.get_content()
    assert scenario.title in body and f"http://localhost/scenarios/{scenario.id}" in body
    assert "矿山边坡" not in body
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in body

    # Running again (cron twice, or by hand) sends nothing twice.
    assert "0 alerts delivered" in run_alerts(app)
    assert len(alerts_in_inbox(session, firm)) == 1
    assert len(mail_to(mailbox, "li@xinghe.example")) == 1

    # One click in the mail program, without signing in and without a form token (RFC 8058).
    path = unsubscribe.removeprefix("http://localhost")
    stranger = app.test_client()
    confirm = stranger.get(path)
    assert confirm.status_code == 200 and "政务OCR" in confirm.get_data(as_text=True)
    session.refresh(search)
    assert search.frequency == Frequency.immediately  # looking at the page changes nothing
    done = stranger.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    session.refresh(search)
    assert search.frequency == Frequency.never
    audit = session.exec(
        select(AuditEntry).where(AuditEntry.action == "saved_search.unsubscribe")
    ).one()
    assert (audit.object_id, audit.user_id) == (search.id, None)  # by the link, not signed in
    assert stranger.post(path).status_code == 200  # twice: still fine, nothing more changes

    # The search is kept for its page, and sends nothing more.
    publish_scenario(app, session, buyer, desk, {**OCR_SCENARIO, "title": "社保窗口OCR材料预审"})
    assert "0 alerts delivered" in run_alerts(app)
    assert len(mail_to(mailbox, "li@xinghe.example")) == 1
    results = browser.get(f"/alerts/{search.id}").get_data(as_text=True)
    assert "社保窗口OCR材料预审" in results and scenario.title in results

    # A forged or altered link is refused without a trace of whose it was.
    assert stranger.get(path[:-3] + "abc").status_code == 404
    assert stranger.post("/alerts/unsubscribe/not-a-token").status_code == 404


def test_a_firm_follows_scenarios_that_fit_its_capabilities_best_first_with_the_reason(
    app,
    session,
    smtp_server,  # noqa: F811
):
    mailbox, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    # The platform's own lists around them: a matcher's threshold means little among four.
    assert app.test_cli_runner().invoke(args=["seed"]).exit_code == 0
    firm = firm_with_ocr_capability(session)
    buyer = member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心")
    other_firm = member_of(session, OrgKind.supply, "重庆北斗监测有限公司")
    published(
        session,
        Capability,
        session.get(Organisation, other_firm.organisation_id),
        **SLOPE_CAPABILITY,
    )
    for row in (KIOSK_CAPABILITY, INVOICE_CAPABILITY):
        published(
            session,
            Capability,
            session.get(
                Organisation, member_of(session, OrgKind.supply, row["title"]).organisation_id
            ),
            **row,
        )
    desk = sign_in(app, official(session))
    browser = sign_in(app, firm)

    page = browser.get("/alerts/").get_data(as_text=True)
    assert "Follow new scenarios that fit my capabilities" in page
    assert "Follow new capabilities" not in page  # a firm has no scenarios to fit
    post(browser, "/alerts/save/scenarios", {"matched": "y"})
    search = session.exec(select(SavedSearch)).one()
    assert search.matched and search.name == "New scenarios that fit my capabilities"
    search.frequency = Frequency.daily
    session.add(search)
    session.commit()

    fitting = publish_scenario(app, session, buyer, desk, OCR_SCENARIO)
    publish_scenario(app, session, buyer, desk, SLOPE_SCENARIO)
    [alert] = session.exec(select(Alert)).all()
    assert alert.entry_id == fitting.id
    assert alert.score is not None and alert.counterpart_title == OCR_CAPABILITY_ROW["title"]
    assert alert.terms  # the matcher's reasons are kept with the alert

    results = browser.get(f"/alerts/{search.id}").get_data(as_text=True)
    assert fitting.title in results and "矿山边坡" not in results
    assert f"Fits your “{OCR_CAPABILITY_ROW['title']}”" in results
    assert "Shared key terms:" in results

    assert "0 alerts delivered" in run_alerts(app, "immediately")  # a daily search waits
    assert "1 alerts delivered" in run_alerts(app, "daily")
    [message] = mail_to(mailbox, firm.email)
    body = message.get_content()  # in the language the firm's user chose, English
    assert f"“{OCR_CAPABILITY_ROW['title']}”" in body and f"{alert.score:.2f}" in body
    assert "Shared key terms:" in body and "OCR、材料预审" in body


def test_a_buyer_follows_capabilities_that_fit_its_open_scenarios(app, session):
    buyer = member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心")
    published(
        session, Scenario, session.get(Organisation, buyer.organisation_id), **OCR_SCENARIO_ROW
    )
    browser = sign_in(app, buyer)
    assert "Follow new capabilities that fit my open scenarios" in browser.get("/alerts/").get_data(
        as_text=True
    )
    post(browser, "/alerts/save/capabilities", {"matched": "y"})
    search = session.exec(select(SavedSearch)).one()
    assert search.kind == "capabilities" and search.matched

    firm = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    desk = sign_in(app, official(session))
    post(sign_in(app, firm), "/capabilities/new", {**OCR_CAPABILITY, "send": "1"})
    capability = session.exec(select(Capability)).one()
    assert (
        post(desk, f"/review/capabilities/{capability.id}/publish", {"version": 1}).status_code
        == 303
    )
    [alert] = session.exec(select(Alert)).all()
    assert alert.entry_id == capability.id and alert.counterpart_title == OCR_SCENARIO["title"]
    run_alerts(app, "daily")
    [note] = alerts_in_inbox(session, buyer)
    assert capability.title in note.params["titles"]


def test_a_digest_groups_searches_ranks_them_and_links_to_the_rest(app, session, smtp_server):  # noqa: F811
    mailbox, port = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    firm = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    buyer_org = member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心").organisation_id
    wide = SavedSearch(user_id=firm.id, name="全部物联网", fields=["物联网"], frequency="weekly")
    narrow = SavedSearch(user_id=firm.id, name="边坡", q="边坡", frequency="weekly")
    session.add_all([wide, narrow])
    session.commit()
    buyer = session.get(Organisation, buyer_org)
    rows = [
        published(
            session,
            Scenario,
            buyer,
            title=f"边坡监测第{n}号点位建设",
            description="露天矿山边坡位移监测预警，全天候自动采集。",
            field="物联网",
            district="万州区",
        )
        for n in range(1, digest.MAIL_ITEMS + 3)
    ]
    session.add_all(
        [
            Alert(saved_search_id=s.id, user_id=firm.id, entry_id=row.id)
            for s in (wide, narrow)
            for row in rows
        ]
    )
    # One found long ago: past the weekly look-back, it stays on the page and is not sent.
    old = published(
        session,
        Scenario,
        buyer,
        title="早年的边坡监测",
        description="露天矿山边坡位移监测预警，全天候自动采集。",
        field="物联网",
    )
    session.add(
        Alert(
            saved_search_id=wide.id,
            user_id=firm.id,
            entry_id=old.id,
            created_at=utcnow() - timedelta(days=30),
        )
    )
    session.commit()

    run_alerts(app, "weekly")
    ((_recipients, message),) = mailbox.messages
    body = message.get_content()
    assert body.index("== 全部物联网") < body.index("== 边坡")  # grouped, by name
    # Newest first, MAIL_ITEMS of each search; the two oldest are behind the link.
    assert body.index(rows[-1].title) < body.index(rows[2].title)
    assert rows[0].title not in body and rows[1].title not in body
    assert body.count("……另有 2 条：") == 2  # in the platform's language, Chinese
    assert f"http://localhost/alerts/{wide.id}" in body
    assert "早年的边坡监测" not in body
    assert str(len(rows) * 2) in message["Subject"]
    notes = alerts_in_inbox(session, firm)
    assert sorted(n.params["search"] for n in notes) == ["全部物联网", "边坡"]


def test_saved_searches_are_their_owners_alone(app, session):
    firm = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    rival = member_of(session, OrgKind.supply, "重庆云端终端科技有限公司")
    mine = SavedSearch(user_id=firm.id, name="我的OCR", q="OCR")
    session.add(mine)
    session.commit()
    thief = sign_in(app, rival)

    assert thief.get(f"/alerts/{mine.id}").status_code == 404
    assert thief.get(f"/alerts/{mine.id}/edit").status_code == 404
    assert thief.get(f"/alerts/{mine.id}/card").status_code == 404
    assert post(thief, f"/alerts/{mine.id}/edit", {"name": "x", "version": 1}).status_code == 404
    assert post(thief, f"/alerts/{mine.id}/delete", {"version": 1}).status_code == 404
    assert "我的OCR" not in thief.get("/alerts/").get_data(as_text=True)
    assert app.test_client().get(f"/feeds/searches/{mine.id}.atom").status_code == 404
    session.refresh(mine)
    assert mine.name == "我的OCR"

    # Made public by its owner: anyone may read its page and follow its feed.
    owner = sign_in(app, firm)
    post(
        owner,
        f"/alerts/{mine.id}/edit",
        {
            "version": mine.version,
            "name": "我的OCR",
            "q": "OCR",
            "frequency": "daily",
            "public": "y",
        },
    )
    anonymous = app.test_client()
    page = anonymous.get(f"/alerts/{mine.id}?lang=en")
    assert page.status_code == 200 and "Edit" not in page.get_data(as_text=True)
    assert f'href="/feeds/searches/{mine.id}.atom"' in page.get_data(as_text=True)
    assert anonymous.get(f"/feeds/searches/{mine.id}.atom").status_code == 200


def test_bad_saved_searches_are_refused_with_their_reason(app, session):
    firm = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    buyer = member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心")
    browser = sign_in(app, firm)
    cases = [
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 61}, "Enter at most 60 characters."),
        ({"name": "田", "fields": "火星"}, "“火星” is not one of the choices offered here."),
        ({"name": "田", "budget_min_wan": "十万"}, "Enter a whole number, in digits.</p>"),
        ({"name": "田", "budget_min_wan": "90", "budget_max_wan": "10"}, "must not be below"),
        ({"name": "田", "deadline_min_days": "-1"}, "Number must be between 0 and 3650."),
        ({"name": "田", "frequency": "hourly"}, "Not a valid choice"),
    ]
    for values, message in cases:
        response = post(browser, "/alerts/new/scenarios", {"frequency": "daily", **values})
        assert response.status_code == 422, values
        assert message in response.get_data(as_text=True), values
    # Optional numbers left empty (as a browser sends them) are nothing to complain about.
    blanks = dict.fromkeys(("budget_min_wan", "budget_max_wan", "deadline_min_days"), "")
    response = post(browser, "/alerts/new/scenarios", {"frequency": "daily", "name": "", **blanks})
    assert "in digits" not in response.get_data(as_text=True)
    assert session.exec(select(SavedSearch)).all() == []

    # A buyer cannot follow "scenarios that fit my capabilities": it has none.
    refused = post(sign_in(app, buyer), "/alerts/save/scenarios", {"matched": "y"}, headers=HTMX)
    assert refused.status_code == 422
    assert "Only a verified firm can follow" in refused.get_data(as_text=True)
    assert session.exec(select(SavedSearch)).all() == []


def test_an_edit_from_a_stale_page_does_not_overwrite_a_newer_one(app, session):
    firm = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    search = SavedSearch(user_id=firm.id, name="OCR", q="OCR")
    session.add(search)
    session.commit()
    first, second = sign_in(app, firm), sign_in(app, firm)
    values = {"version": 1, "q": "OCR", "frequency": "daily"}
    changed = post(first, f"/alerts/{search.id}/edit", {**values, "name": "第一"}, headers=HTMX)
    assert changed.status_code == 200  # the card in place, saying so
    assert "Saved search “第一” is changed." in changed.get_data(as_text=True)
    stale = post(second, f"/alerts/{search.id}/edit", {**values, "name": "第二"})
    assert stale.status_code == 409
    assert "changed elsewhere" in stale.get_data(as_text=True)
    assert 'value="第二"' in stale.get_data(as_text=True)  # what was typed is kept
    session.refresh(search)
    assert search.name == "第一"
    assert post(second, f"/alerts/{search.id}/delete", {"version": 1}).status_code == 409
    gone = post(second, f"/alerts/{search.id}/delete", {"version": 2}, headers=HTMX)
    assert gone.status_code == 200
    # In place of the card: what happened, and (the last one gone) how to start again.
    said = gone.get_data(as_text=True)
    assert "Saved search “第一” is deleted." in said and "No saved search yet" in said
    session.expire_all()
    assert session.exec(select(SavedSearch)).all() == []


def test_the_unsubscribe_token_says_whose_searches_and_nothing_else(app):
    with app.app_context():
        token = digest.unsubscribe_token(app.secret_key, 7, [1, 2])
        assert digest.read_unsubscribe_token(app.secret_key, token) == (7, [1, 2])
        assert digest.read_unsubscribe_token("another key", token) is None
        assert digest.read_unsubscribe_token(app.secret_key, token + "x") is None
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", token)


def test_the_alerts_command_offers_every_frequency_that_delivers():
    from matchmaker.commands.alerts import PERIODS
    from models import Frequency

    assert [f.value for f in Frequency if f is not Frequency.never] == PERIODS
