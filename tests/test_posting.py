"""Posting: a state enterprise posts scenarios, a firm adds capabilities, each sees its matches."""

import re
from datetime import date

from listdata import make_pairing
from posting_data import (
    INVOICE_SCENARIO,
    KIOSK_CAPABILITY,
    OCR_CAPABILITY,
    OCR_CAPABILITY_ROW,
    OCR_SCENARIO,
    OCR_SCENARIO_ROW,
    SLOPE_CAPABILITY,
    hidden,
    matched_lists,
    member_of,
    official,
    published,
    sign_in,
)
from sqlmodel import select

from models import (
    AuditEntry,
    Capability,
    CapabilityStatus,
    Organisation,
    OrgKind,
    Recommendation,
    RecommendationStatus,
    Scenario,
    ScenarioStatus,
)
from support import make_org, post


def only(session, model, **where):
    """The one row of `model` with these column values."""
    stmt = select(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return session.exec(stmt).one()


def test_a_state_enterprise_posts_a_scenario_submits_it_and_sees_matches_at_once(app, session):
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    ocr = published(session, Capability, firm, **OCR_CAPABILITY_ROW)
    kiosk = published(session, Capability, firm, **KIOSK_CAPABILITY)
    slope = published(session, Capability, firm, **SLOPE_CAPABILITY)
    browser = sign_in(app, member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心"))

    # The phone typed with a Chinese input method's full-width digits is the same number.
    typed = {
        **OCR_SCENARIO,
        "contact_phone": "０２３－６７００００００",
        "save_draft": "Save draft",
    }
    response = post(browser, "/scenarios/new", typed)
    assert response.status_code == 302
    scenario = only(session, Scenario, title=OCR_SCENARIO["title"])
    assert scenario.contact_phone == "023-67000000"
    assert scenario.status is ScenarioStatus.draft
    assert scenario.tags == ["OCR", "身份核验", "材料预审"] and scenario.budget_max_wan == 120
    assert "ocr" in scenario.tokens["tags"] and "预审" in scenario.search_text
    page = browser.get(response.location).get_data(as_text=True)
    assert "Submit this entry to see its recommendations." in page
    assert "Interest (揭榜)" not in page  # nobody can express interest in a draft
    assert session.exec(select(Recommendation)).all() == []

    # A Submit button on a page drawn before an edit elsewhere says so, not "your text is below".
    stale = post(browser, f"/scenarios/{scenario.id}/submit", {"version": scenario.version - 1})
    assert stale.status_code == 409
    assert "so it was not submitted" in stale.get_data(as_text=True)
    assert "Your text is below" not in stale.get_data(as_text=True)
    response = post(browser, f"/scenarios/{scenario.id}/submit", {"version": scenario.version})
    assert response.status_code == 302
    session.refresh(scenario)
    assert scenario.status is ScenarioStatus.submitted

    page = browser.get(f"/scenarios/{scenario.id}").get_data(as_text=True)
    assert "Recommended capabilities" in page
    ranked = [page.find(c.title) for c in (ocr, kiosk, slope)]
    assert -1 not in ranked[:2], "both OCR offers are recommended"
    assert ranked[2] == -1 or ranked[2] > max(ranked[:2]), "the slope monitor comes last if at all"
    # Each with its one-line explanation: shared terms, matched tags, structured reasons.
    assert "Shared key terms:" in page and "文字识别" in page
    assert "Matched tags: OCR" in page
    assert "Same field: Smart government" in page and "Same district: Yubei District" in page
    best = session.exec(select(Recommendation).where(Recommendation.capability_id == ocr.id)).one()
    assert best.score > 0.15 and best.parts["coverage"] > 0 and best.terms
    actions = session.exec(select(AuditEntry.action)).all()
    assert actions.count("scenario.create") == 1 and actions.count("scenario.submit") == 1


def test_a_firm_adds_a_capability_and_sees_the_scenarios_recommended_for_it(app, session):
    owner = make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    scenario = published(session, Scenario, owner, **OCR_SCENARIO_ROW)
    other = published(session, Scenario, owner, **{**SLOPE_CAPABILITY, "title": "露天矿山边坡监测"})
    unrelated = published(
        session,
        Scenario,
        owner,
        title="医院门诊智能分诊",
        description="门诊高峰排队严重，需要根据症状自动推荐科室并分流患者，缩短患者等候时间。",
        field="智慧医疗",
        district="南岸区",
    )
    browser = sign_in(app, member_of(session, OrgKind.supply, "重庆星河软件有限公司"))

    response = post(browser, "/capabilities/new", {**OCR_CAPABILITY, "send": "Submit"})
    assert response.status_code == 302
    capability = only(session, Capability, title=OCR_CAPABILITY["title"])
    assert capability.status is CapabilityStatus.submitted
    assert capability.qualifications == ["高新技术企业", "专精特新"]
    assert len(capability.cases) == 2 and capability.products == ["星河OCR平台", "智能预审引擎"]

    page = browser.get(response.location).get_data(as_text=True)
    assert "Recommended scenarios" in page
    shown = [page.find(s.title) for s in (scenario, other, unrelated)]
    assert shown[0] != -1 and all(n == -1 or n > shown[0] for n in shown[1:]), "best first"
    mine = browser.get("/capabilities/mine").get_data(as_text=True)
    assert capability.title in mine and "Submitted for review" in mine


def test_a_thin_description_is_saved_but_flagged(app, session):
    browser = sign_in(app, member_of(session, OrgKind.demand, "重庆市某区人民医院"))
    thin = {
        "title": "医院排队叫号优化",
        "description": "门诊排队时间长，希望有一个系统改善一下。",
        "field": "智慧医疗",
        "district": "南岸区",
        "save_draft": "Save draft",
    }
    response = post(browser, "/scenarios/new", thin)
    assert response.status_code == 302
    page = browser.get(response.location).get_data(as_text=True)
    assert "This description looks thin." in page
    assert "The description is short (under 60 characters)" in page
    assert "State the problem" in page and "State the expected outcome" in page
    assert "Say who it is for" in page and "Say how it is done today" in page  # all four asked

    response = post(browser, "/scenarios/new", {**OCR_SCENARIO, "save_draft": "1"})
    full = browser.get(response.location).get_data(as_text=True)
    assert OCR_SCENARIO["title"] in full and "looks thin" not in full


def test_bad_input_is_explained_and_nothing_is_saved(app, session):
    browser = sign_in(app, member_of(session, OrgKind.demand, "重庆市某区人民医院"))
    for broken, message in (
        ({"title": "短"}, "Enter at least 4 characters."),
        # Spaces around it (full-width ones too) are not counted: still too short, and said so.
        ({"title": "　　标题　　"}, "Enter at least 4 characters."),
        # Optional numbers and dates left empty are not mistakes (nor is the hidden version).
        (
            {"title": "短", "budget_min_wan": "", "budget_max_wan": "", "deadline": ""},
            "One thing to fix:",
        ),
        ({"budget_min_wan": "300", "budget_max_wan": "100"}, "must not be below the lower one"),
        # One plain message, not "Not a valid float value." beside the range it missed.
        ({"budget_max_wan": "很多"}, "Enter a number, in digits.</p>"),
        ({"field": "不存在的领域"}, "Not a valid choice."),
        ({"tags": "、".join(f"标签{n}" for n in range(13))}, "At most 12 items."),
    ):
        response = post(browser, "/scenarios/new", {**OCR_SCENARIO, **broken, "send": "1"})
        assert response.status_code == 422, broken
        page = response.get_data(as_text=True)
        assert message in page, broken
        assert OCR_SCENARIO["problem"] in page  # what was typed is kept
    assert session.exec(select(Scenario)).all() == []

    # An empty form: the page starts with what to fix, each a link to its field, and the
    # fields that must be filled are marked.
    empty = post(browser, "/scenarios/new", {"send": "1"}).get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', empty, re.S).group(0)
    assert 'href="#title"' in summary and 'href="#description"' in summary
    # Each item reads "name: what to do", with the colon of the reader's language.
    chinese = post(browser, "/scenarios/new?lang=zh", {"send": "1"}).get_data(as_text=True)
    assert re.search(r'<li><a href="#title">[^<]+</a>：', chinese)
    browser.get("/?lang=en")
    assert re.search(r'<div class="field required[^"]*">\s*<label for="title">', empty)

    # Two things wrong with one field: the summary lists both, and counts what the page shows.
    both = {"budget_min_wan": "-5", "budget_max_wan": "-10", "send": "1"}
    page = post(browser, "/scenarios/new", {**OCR_SCENARIO, **both}).get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S).group(0)
    shown = page.count('<p class="error"')
    assert shown == 3 and f"{shown} things to fix" in summary
    assert summary.count("<li>") == shown and "must not be below the lower one" in summary


def test_another_organisations_draft_is_not_found(app, session):
    owner = member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心")
    browser = sign_in(app, owner)
    post(browser, "/scenarios/new", {**OCR_SCENARIO, "save_draft": "1"})
    draft = only(session, Scenario, title=OCR_SCENARIO["title"])
    assert browser.get(f"/scenarios/{draft.id}").status_code == 200

    neighbour = sign_in(app, member_of(session, OrgKind.demand, "重庆市江北区大数据局"))
    for url in (f"/scenarios/{draft.id}", f"/scenarios/{draft.id}/edit"):
        assert neighbour.get(url).status_code == 404, url
    assert post(neighbour, f"/scenarios/{draft.id}/submit", {"version": 1}).status_code == 404
    desk = sign_in(app, official(session))
    assert desk.get(f"/scenarios/{draft.id}").status_code == 404
    assert draft.title not in desk.get("/scenarios/?status=draft").get_data(as_text=True)
    assert app.test_client().get(f"/scenarios/{draft.id}").status_code == 404
    assert draft.title not in neighbour.get("/scenarios/mine").get_data(as_text=True)

    firm = sign_in(app, member_of(session, OrgKind.supply, "重庆星河软件有限公司"))
    assert firm.get("/scenarios/new").status_code == 403
    assert firm.get("/capabilities/new").status_code == 200


def test_a_stale_edit_is_refused_with_409_and_keeps_the_text(app, session):
    owner = member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心")
    first = sign_in(app, owner)
    post(first, "/scenarios/new", {**OCR_SCENARIO, "save_draft": "1"})
    scenario = only(session, Scenario, title=OCR_SCENARIO["title"])
    second = sign_in(app, owner)  # a colleague, or the same person in another tab
    url = f"/scenarios/{scenario.id}/edit"
    form = first.get(url).get_data(as_text=True)
    version = hidden(form, "version")
    assert hidden(second.get(url).get_data(as_text=True), "version") == version
    # Amounts come back as they were written: 50 and 120, not 50.0 and 120.0.
    assert re.search(r'name="budget_min_wan"[^>]*value="50"', form)
    assert re.search(r'name="budget_max_wan"[^>]*value="120"', form)

    saved = post(first, url, {**OCR_SCENARIO, "version": version, "problem": "第一位的修改"})
    assert saved.status_code == 302
    stale = post(second, url, {**OCR_SCENARIO, "version": version, "problem": "第二位的修改"})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "Someone changed this entry after you opened it." in page
    assert "第二位的修改" in page
    session.refresh(scenario)
    assert scenario.problem == "第一位的修改"

    # Having seen the message, saving the re-shown form again is a deliberate choice.
    again = post(
        second, url, {**OCR_SCENARIO, "version": hidden(page, "version"), "problem": "合并后的修改"}
    )
    assert again.status_code == 302
    session.refresh(scenario)
    assert scenario.problem == "合并后的修改"
    actions = session.exec(select(AuditEntry.action)).all()
    assert actions.count("scenario.update") == 2


def test_a_published_entry_can_no_longer_be_edited_by_its_owner(app, session):
    user = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    firm = session.get(Organisation, user.organisation_id)
    capability = published(session, Capability, firm, **OCR_CAPABILITY_ROW)
    browser = sign_in(app, user)
    assert browser.get(f"/capabilities/{capability.id}/edit").status_code == 409
    # Published while the owner was still typing: the text comes back to copy, with no button.
    typed = {**OCR_CAPABILITY, "version": 1, "description": "新增：支持手写体识别的说明"}
    response = post(browser, f"/capabilities/{capability.id}/edit", typed)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "was published while you were editing it" in page
    assert "新增：支持手写体识别的说明" in page
    assert 'name="send"' not in page and 'name="save_draft"' not in page
    session.refresh(capability)
    assert capability.description == OCR_CAPABILITY_ROW["description"]
    assert post(browser, f"/capabilities/{capability.id}/submit", {"version": 1}).status_code == 409


def test_editing_a_submitted_scenario_keeps_it_submitted_and_refreshes_its_matches(app, session):
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    published(session, Capability, firm, **OCR_CAPABILITY_ROW)
    browser = sign_in(app, member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心"))
    thin = {
        **OCR_SCENARIO,
        "title": "材料预审",
        "description": "需要一个材料预审的系统，越快越好，尽量简单。",
    }
    post(browser, "/scenarios/new", {**thin, "send": "1"})
    scenario = only(session, Scenario, title="材料预审")
    [before] = session.exec(select(Recommendation)).all()

    url = f"/scenarios/{scenario.id}/edit"
    form = browser.get(url).get_data(as_text=True)
    assert "Save changes" in form and "Save draft" not in form
    assert "The description is short" in form  # the hint follows the entry into its form
    response = post(browser, url, {**OCR_SCENARIO, "version": hidden(form, "version"), "send": "1"})
    assert response.status_code == 302
    page = browser.get(response.location).get_data(as_text=True)
    assert "Changes saved. It stays under review" in page  # not "Submitted for review"
    assert "Submitted for review." not in page
    session.refresh(scenario)
    assert scenario.status is ScenarioStatus.submitted and scenario.title == OCR_SCENARIO["title"]
    session.refresh(before)
    assert before.score != 0 and before.updated_at > before.created_at


def test_a_signed_in_firm_finds_its_best_recommendations_on_the_home_page(app, session):
    lists = matched_lists(app, session)
    firm_user = lists.firm_users[0]  # the OCR firm
    ocr_scenario, ocr_capability = lists.scenarios[0], lists.capabilities[0]
    firm = sign_in(app, firm_user)

    home = firm.get("/").get_data(as_text=True)
    mine = home.split("Recommended for your organisation")[1].split("Newest scenarios")[0]
    assert ocr_scenario.title in mine
    assert f"for your “{ocr_capability.title}”" in mine

    # The firm's second, weaker capability for the same scenario does not list it twice.
    kiosk = published(session, Capability, lists.firms[0], **KIOSK_CAPABILITY)
    weaker = {"parts": {}, "terms": [], "matched_tags": [], "reasons": []}
    session.add(
        Recommendation(scenario_id=ocr_scenario.id, capability_id=kiosk.id, score=0.06, **weaker)
    )
    session.commit()
    again = firm.get("/").get_data(as_text=True)
    again = again.split("Recommended for your organisation")[1].split("Newest scenarios")[0]
    assert again.count(ocr_scenario.title) == mine.count(ocr_scenario.title)
    assert f"for your “{KIOSK_CAPABILITY['title']}”" not in again

    # Once officials turn the pairing down, it is no longer offered as a recommendation.
    rejected = session.exec(
        select(Recommendation).where(
            Recommendation.scenario_id == ocr_scenario.id,
            Recommendation.capability_id == ocr_capability.id,
        )
    ).one()
    rejected.status = RecommendationStatus.rejected
    session.add(rejected)
    session.commit()
    mine = firm.get("/").get_data(as_text=True).split("Newest scenarios")[0]
    [card] = [
        card for card in mine.split('<li class="card pairing">') if ocr_scenario.title in card
    ]
    # The scenario stays, through the firm's other capability.
    assert f"for your “{KIOSK_CAPABILITY['title']}”" in card
    assert f"for your “{ocr_capability.title}”" not in card

    visitor = app.test_client().get("/?lang=en").get_data(as_text=True)
    assert "Recommended for your organisation" not in visitor


def test_a_buyer_closes_a_published_scenario_and_its_decided_pairings_stay(app, session):
    owner = member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心")
    buyer_org = session.get(Organisation, owner.organisation_id)
    scenario = published(session, Scenario, buyer_org, **OCR_SCENARIO_ROW)
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    ocr = published(session, Capability, firm, **OCR_CAPABILITY_ROW)
    kiosk = published(session, Capability, firm, **KIOSK_CAPABILITY)
    kept = make_pairing(session, scenario, ocr, RecommendationStatus.published)
    make_pairing(session, scenario, kiosk)  # still undecided
    buyer = sign_in(app, owner)

    # The need was met elsewhere: the owner finds "Close" on its list and confirms.
    assert f"/scenarios/{scenario.id}/close" in buyer.get("/scenarios/mine").get_data(as_text=True)
    confirm = buyer.get(f"/scenarios/{scenario.id}/close").get_data(as_text=True)
    assert "Close this scenario?" in confirm and "cannot be reopened" in confirm
    too_long = post(buyer, f"/scenarios/{scenario.id}/close", {"reason": "长" * 501, "version": 1})
    assert too_long.status_code == 422 and "One thing to fix" in too_long.get_data(as_text=True)
    done = post(
        buyer, f"/scenarios/{scenario.id}/close", {"reason": "已由本单位自建", "version": 1}
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/scenarios/mine")

    session.expire_all()
    assert session.get(Scenario, scenario.id).status == ScenarioStatus.closed
    left = session.exec(select(Recommendation).where(Recommendation.scenario_id == scenario.id))
    assert [r.id for r in left] == [kept.id]  # the undecided pairing went, the published one stays
    record = only(session, AuditEntry, action="scenario.close")
    assert record.changes == {"status": "closed", "reason": "已由本单位自建"}
    page = app.test_client().get(f"/scenarios/{scenario.id}?lang=en").get_data(as_text=True)
    assert "Closed" in page and "Express interest" not in page
    assert "0 firms were in the running when it closed" in page
    # Closing twice, or someone else's scenario, is refused; the reason typed stays on the page.
    twice = post(buyer, f"/scenarios/{scenario.id}/close", {"version": 1, "reason": "重复提交"})
    assert twice.status_code == 409
    page = twice.get_data(as_text=True)
    assert "This scenario is closed already: nothing changed." in page and "重复提交" in page
    assert "Close the scenario</button>" not in page
    assert "<h1>Now: Closed</h1>" in page and "Close this scenario?</h1>" not in page
    # Opening the close page again (another tab, the back button) says so instead of an error.
    again = buyer.get(f"/scenarios/{scenario.id}/close")
    page = again.get_data(as_text=True)
    assert again.status_code == 409 and "<h1>Now: Closed</h1>" in page
    assert "This scenario is closed already: nothing changed." in page
    assert "Close the scenario</button>" not in page and 'name="reason"' not in page
    stranger = sign_in(app, member_of(session, OrgKind.demand, "重庆市江北区大数据局"))
    assert stranger.get(f"/scenarios/{scenario.id}/close").status_code == 404


def test_a_firm_withdraws_a_capability_it_no_longer_offers(app, session):
    user = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    capability = published(
        session, Capability, session.get(Organisation, user.organisation_id), **OCR_CAPABILITY_ROW
    )
    firm = sign_in(app, user)
    assert "Withdraw this capability?" in firm.get(
        f"/capabilities/{capability.id}/withdraw"
    ).get_data(as_text=True)
    stale = post(firm, f"/capabilities/{capability.id}/withdraw", {"version": 0})
    assert stale.status_code == 409  # changed since the page was opened: nothing done
    assert post(firm, f"/capabilities/{capability.id}/withdraw", {"version": 1}).status_code == 302
    session.expire_all()
    assert session.get(Capability, capability.id).status == CapabilityStatus.withdrawn
    # Its own page no longer promises recommendations to come.
    own_page = firm.get(f"/capabilities/{capability.id}?lang=en").get_data(as_text=True)
    assert "A withdrawn capability gets no new recommendations." in own_page
    assert "The matcher runs again" not in own_page
    visitor = app.test_client()
    assert visitor.get(f"/capabilities/{capability.id}").status_code == 404
    assert OCR_CAPABILITY["title"] not in visitor.get("/capabilities/").get_data(as_text=True)


def test_a_scenario_page_lists_its_own_recommendations_before_the_firms_side_ones_apart(
    app, session
):
    owner = member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心")
    scenario = published(
        session, Scenario, session.get(Organisation, owner.organisation_id), **OCR_SCENARIO_ROW
    )
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    ocr = published(session, Capability, firm, **OCR_CAPABILITY_ROW)
    slope = published(session, Capability, firm, **SLOPE_CAPABILITY)
    # OCR is on the scenario's own list; the slope system only counts the scenario among its
    # own best (scored from the firm's side, on the firm's scale: higher, not better).
    make_pairing(session, scenario, ocr, score=0.2, scenario_list_score=0.2)
    make_pairing(session, scenario, slope, score=0.3, capability_list_score=0.3)
    page = sign_in(app, owner).get(f"/scenarios/{scenario.id}?lang=en").get_data(as_text=True)
    # Under their own heading, which says why they come after a lower score.
    heading = page.index("Firms for which this scenario is among the best fits")
    assert page.index(OCR_CAPABILITY["title"]) < heading < page.index(SLOPE_CAPABILITY["title"])


def test_a_capability_page_orders_and_scores_its_own_list_by_the_firm_s_scores(app, session):
    owner = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    ocr = published(
        session, Capability, session.get(Organisation, owner.organisation_id), **OCR_CAPABILITY_ROW
    )
    buyers = [make_org(session, OrgKind.demand, name=f"重庆市第{n}区政务服务中心") for n in (1, 2)]
    hall = published(session, Scenario, buyers[0], **OCR_SCENARIO_ROW)
    invoices = published(session, Scenario, buyers[1], **INVOICE_SCENARIO)
    # On both lists, the pair keeps the scenario's score; the firm's own list scores it higher.
    make_pairing(session, hall, ocr, score=0.24, scenario_list_score=0.24,
                 capability_list_score=0.31)  # fmt: skip
    make_pairing(session, invoices, ocr, score=0.28, capability_list_score=0.28)
    page = sign_in(app, owner).get(f"/capabilities/{ocr.id}?lang=en").get_data(as_text=True)
    first, second = page.index(OCR_SCENARIO["title"]), page.index(INVOICE_SCENARIO["title"])
    assert first < second
    assert "Score 0.31" in page and "Score 0.24" not in page


def test_the_owner_is_told_of_recommendations_waiting_for_the_other_side_s_review(app, session):
    owner = member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心")
    scenario = published(
        session, Scenario, session.get(Organisation, owner.organisation_id), **OCR_SCENARIO_ROW
    )
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    waiting = Capability(organisation_id=firm.id, status=CapabilityStatus.submitted,
                         **OCR_CAPABILITY_ROW)  # fmt: skip
    session.add(waiting)
    session.commit()
    make_pairing(session, scenario, waiting, scenario_list_score=0.5)
    page = sign_in(app, owner).get(f"/scenarios/{scenario.id}").get_data(as_text=True)
    assert OCR_CAPABILITY["title"] not in page  # not public yet
    assert "1 more recommendation is for an entry an official is still reviewing" in page
    assert "No recommendation yet" not in page


def test_a_scenario_past_its_deadline_offers_to_close_it_for_good(app, session):
    owner = member_of(session, OrgKind.demand, "重庆市渝北区政务服务中心")
    org = session.get(Organisation, owner.organisation_id)
    lapsed = published(
        session, Scenario, org, **{**OCR_SCENARIO_ROW, "deadline": date(2020, 1, 31)}
    )
    mine = sign_in(app, owner).get("/scenarios/mine").get_data(as_text=True)
    # It reads "Closed (deadline passed)" already; the action says what closing still does.
    assert "Closed (deadline passed)" in mine
    assert f'href="/scenarios/{lapsed.id}/close">Close for good</a>' in mine
    # Its page no longer promises recommendations to come.
    page = sign_in(app, owner).get(f"/scenarios/{lapsed.id}").get_data(as_text=True)
    assert "Past its deadline, the scenario gets no new recommendations." in page
    assert "The matcher runs again" not in page


def test_a_citywide_capability_says_citywide_wherever_its_district_would_show(app, session):
    user = member_of(session, OrgKind.supply, "重庆星河软件有限公司")
    firm = session.get(Organisation, user.organisation_id)
    citywide = published(session, Capability, firm, **{**OCR_CAPABILITY_ROW, "district": ""})
    page = app.test_client().get(f"/capabilities/{citywide.id}?lang=en").get_data(as_text=True)
    assert "<span>Citywide</span>" in page
    listed = app.test_client().get("/capabilities/?lang=en").get_data(as_text=True)
    assert "<span>Citywide</span>" in listed
