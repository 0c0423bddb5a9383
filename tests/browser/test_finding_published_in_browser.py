"""A visitor finds what was published: the batches and their pairings from the menu, with the
same figures on the batch list as on the statistics page; a search that puts the best match
first and marks the words it found."""

from playwright.sync_api import Page, expect

from matchmaker.entries.indexing import index_entry
from models import CapabilityStatus, OrgKind, Scenario, ScenarioStatus
from pairings import days_ago, make_capability, make_published_pairing, make_scenario
from support import make_org


def test_a_visitor_finds_the_batches_and_the_published_pairings_from_the_menu(page: Page, session):
    published = make_published_pairing(session)
    batch = published.batch
    # The batch publishes its pairing's two entries; the seed lists also mark drafts, entries
    # under review and a withdrawn capability with a batch, which publishes none of them.
    held = [published.scenario, published.capability]
    held += [
        make_scenario(session, published.demand, title="排水管网巡检", status=status)
        for status in (ScenarioStatus.draft, ScenarioStatus.submitted)
    ]
    held.append(make_capability(session, published.supply, status=CapabilityStatus.withdrawn))
    for entry in held:
        entry.batch_id = batch.id
    session.commit()

    page.goto("/?lang=en")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Batches").click()
    card = page.locator(".card", has=page.get_by_role("link", name=batch.name))
    expect(card.locator(".meta")).to_contain_text("1 pairing")
    expect(card.locator(".meta")).to_contain_text("1 scenario")
    expect(card.locator(".meta")).to_contain_text("1 capability")
    card.get_by_role("link", name=batch.name).click()
    expect(page.get_by_role("heading", name="Scenarios (1)")).to_be_visible()
    expect(page.get_by_role("link", name="排水管网巡检")).to_have_count(0)

    page.get_by_role("link", name="Statistics").click()
    by_batch = page.locator("section", has=page.get_by_role("heading", name="By batch"))
    row = by_batch.get_by_role("row", name=batch.name)
    # Scenarios, capabilities, published pairings: as the batch list counted them.
    expect(row.locator("td").nth(0)).to_have_text("1")
    expect(row.locator("td").nth(1)).to_have_text("1")
    expect(row.locator("td").nth(2)).to_have_text("1")

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Published pairings"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Published pairings")
    pairing = page.locator("li.pairing")
    expect(pairing).to_have_count(1)
    expect(pairing.get_by_role("heading")).to_have_text(
        f"{published.scenario.title} ↔ {published.capability.title}"
    )
    pairing.get_by_role("link", name=batch.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(batch.name)


def post_scenarios(session, *rows: dict) -> None:
    """Published scenarios of one buyer, the first of `rows` published most recently."""
    owner = make_org(session, OrgKind.demand, name="重庆市住房和城乡建设委员会")
    for age, row in enumerate(rows):
        scenario = Scenario(
            field="智慧政务",
            district="渝北区",
            organisation_id=owner.id,
            status=ScenarioStatus.published,
            published_at=days_ago(age + 1),
            **row,
        )
        index_entry(scenario)
        session.add(scenario)
    session.commit()


def test_a_visitor_searches_by_relevance_with_a_budget_and_sees_the_words_marked(
    page: Page, session
):
    post_scenarios(
        session,
        {
            "title": "施工现场安全帽识别",
            "description": "在建项目需要自动识别未戴安全帽的人员，并推送给项目安全员处理。",
            "tags": ["智慧工地"],
            "budget_min_wan": 30,
            "budget_max_wan": 60,
        },
        {
            "title": "政务大厅证照材料预审",
            "description": "24小时自助政务大厅需要对提交的材料自动预审，减少退件。",
            "problem": "窗口人员需要人工录入证照信息，OCR能力缺失，平均每件耗时15分钟。",
        },
        {
            "title": "智慧工地综合管理平台",
            "description": "全市在建工程需要统一的平台，汇集塔吊、扬尘和劳务实名制数据。",
            "budget_min_wan": 200,
            "budget_max_wan": 300,
        },
        {
            "title": "档案数字化光学字符识别",
            "description": "馆藏纸质档案需要扫描后用光学字符识别转为可检索的文本。",
        },
    )
    page.goto("/scenarios/?lang=en")
    titles = page.locator(".card h3")

    page.get_by_label("Search").fill("智慧工地")
    # The title that says so first, then the tag; the word is marked where it is found.
    expect(titles).to_have_text(["智慧工地综合管理平台", "施工现场安全帽识别"])
    expect(page.get_by_label("Sort by")).to_have_value("relevance")
    expect(titles.first.locator("mark")).to_have_text("智慧工地")
    expect(page.locator(".card .tag mark")).to_have_text("智慧工地")

    page.get_by_label("Sort by").select_option("newest")  # date sorts stay available
    expect(titles).to_have_text(["施工现场安全帽识别", "智慧工地综合管理平台"])
    page.get_by_label("Budget at least").fill("100")
    expect(titles).to_have_text(["智慧工地综合管理平台"])

    page.goto("/scenarios/?lang=en")
    page.get_by_label("Search").fill("OCR")  # said in one problem statement, named in another
    expect(titles).to_have_text(["政务大厅证照材料预审", "档案数字化光学字符识别"])
    expect(titles.last.locator("mark")).to_have_text("光学字符识别")

    page.get_by_label("Search").fill("光學字符識別")  # Traditional input
    expect(titles).to_have_text(["档案数字化光学字符识别", "政务大厅证照材料预审"])
    expect(titles.first.locator("mark")).to_have_text("光学字符识别")
