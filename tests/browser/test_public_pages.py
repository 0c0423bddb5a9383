"""A visitor uses the public pages in a real browser: live search, the language switch."""

import re

from playwright.sync_api import Page, expect

from matchmaker.entries.indexing import index_entry
from models import OrgKind, Scenario, ScenarioStatus
from support import PASSWORD, make_org, make_user


def publish_scenarios(session) -> None:
    owner = make_org(session, OrgKind.demand, name="重庆市渝北区大数据应用发展管理局")
    for title, field, text in [
        (
            "政务大厅材料智能预审",
            "智慧政务",
            "24小时自助政务大厅需要对提交的材料进行OCR识别和自动预审，减少退件。",
        ),
        (
            "矿山边坡位移监测预警",
            "物联网",
            "露天矿山边坡需要全天候位移监测与预警，目前依靠人工巡检，效率低。",
        ),
        (
            "医院门诊智能分诊",
            "智慧医疗",
            "门诊高峰排队严重，需要根据症状自动推荐科室并分流患者，缩短等候。",
        ),
    ]:
        row = Scenario(
            title=title,
            field=field,
            district="渝北区",
            description=text,
            status=ScenarioStatus.published,
            organisation_id=owner.id,
        )
        index_entry(row)
        session.add(row)
    session.commit()


def test_a_visitor_searches_live_and_switches_to_english(page: Page, session):
    publish_scenarios(session)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_role("link", name="应用场景").first.click()
    expect(page.locator(".card")).to_have_count(3)
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_label("搜索").fill("矿山")
    expect(page.locator(".card")).to_have_count(1)
    expect(page.locator(".card")).to_contain_text("矿山边坡位移监测预警")
    expect(page).to_have_url(re.compile(r"q=%E7%9F%BF%E5%B1%B1"))
    page.get_by_label("领域").select_option("智慧医疗")  # no scenario is both
    expect(page.locator(".empty")).to_be_visible()
    expect(page).to_have_url(re.compile(r"field=%E6%99%BA%E6%85%A7%E5%8C%BB%E7%96%97"))
    assert page.evaluate("window.stillTheSamePage") is True  # results swapped, no reload

    # Back goes to the earlier results as a whole page, not a bare fragment.
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"field=[^&]"))
    expect(page.locator(".card")).to_have_count(1)
    expect(page.get_by_label("搜索")).to_have_value("矿山")
    expect(page.locator("header.site-header")).to_have_count(1)
    expect(page.locator("#results")).to_have_count(1)

    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Search")).to_have_value("矿山")
    expect(page.locator(".card")).to_have_count(1)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("public needs")
    # Remembered in a new tab of the same browser too, until switched back.
    other_tab = page.context.new_page()
    other_tab.goto("/capabilities/")
    expect(other_tab.locator("html")).to_have_attribute("lang", "en")
    other_tab.get_by_role("link", name="中文").click()
    expect(other_tab.get_by_role("heading", level=1)).to_have_text("企业能力")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_english_chosen_before_signing_in_stays_after(page: Page, session):
    firm = make_user(session, make_org(session, OrgKind.supply, name="重庆星河软件有限公司"))
    page.goto("/?lang=en")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail").fill(firm.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="My capabilities")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
