"""A visitor browses the published lists: live search, filters, sorting, pages, detail pages."""

import re
from functools import partial

import pytest

from matchmaker.entries.indexing import index_entry
from models import (
    Batch,
    BatchStatus,
    Capability,
    CapabilityStatus,
    OrgKind,
    Scenario,
    ScenarioStatus,
)
from support import make_org

HTMX = {"HX-Request": "true", "HX-Target": "results"}


@pytest.fixture
def lists(session):
    """A demand org with three scenarios (one draft) and a firm with one capability."""
    owner = make_org(session, OrgKind.demand, name="重庆市渝北区大数据应用发展管理局")
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    rows = [
        Scenario(
            title="政务大厅材料智能预审",
            field="智慧政务",
            district="渝北区",
            description="24小时自助政务大厅需要对提交的材料进行OCR识别和自动预审，减少退件。",
            tags=["OCR", "身份核验"],
            status=ScenarioStatus.published,
            budget_max_wan=120,
            organisation_id=owner.id,
        ),
        Scenario(
            title="礦山邊坡位移監測",
            field="物联网",
            district="万州区",
            description="露天礦山邊坡需要全天候位移監測與預警，目前依靠人工巡檢，效率低。",
            tags=["监测"],
            status=ScenarioStatus.published,
            budget_max_wan=800,
            organisation_id=owner.id,
        ),
        Scenario(
            title="内部草稿：食堂排队",
            field="人工智能",
            district="渝北区",
            description="这是一条尚未提交的草稿，不应出现在公开列表中，也不应被搜索到。",
            status=ScenarioStatus.draft,
            organisation_id=owner.id,
        ),
        Capability(
            title="ＯＣＲ文字识别平台",
            field="人工智能",
            district="两江新区",
            description="基于深度学习的文字识别，支持证照、票据和手写体，准确率99%以上。",
            status=CapabilityStatus.published,
            organisation_id=firm.id,
        ),
    ]
    for row in rows:
        index_entry(row)
    session.add_all(rows)
    session.commit()
    return rows


def test_the_home_page_counts_the_published_entries_and_follows_a_change(client, session, lists):
    def figures() -> list[str]:
        page = client.get("/?lang=en").get_data(as_text=True)
        return re.findall(r'<span class="num">(\d+)</span> (published \w+)', page)

    assert figures() == [("2", "published scenarios"), ("1", "published capabilities")]
    # The filter of the list counts those past their deadline as closed, as their cards say.
    assert (
        'published scenarios<small class="aside">(past deadline included)'
        in client.get("/?lang=en").text
    )
    listed = client.get("/scenarios/?lang=en").text
    assert '<option value="closed">Closed or past deadline</option>' in listed
    draft = lists[2]
    draft.status = ScenarioStatus.published
    session.add(draft)
    session.commit()
    assert figures()[0] == ("3", "published scenarios")


def test_a_visitor_sees_published_scenarios_but_not_drafts(client, lists):
    page = client.get("/scenarios/").get_data(as_text=True)
    assert "政务大厅材料智能预审" in page and "礦山邊坡位移監測" in page
    assert "食堂排队" not in page
    assert client.get(f"/scenarios/{lists[2].id}").status_code == 404
    assert "政务大厅材料智能预审" in client.get(f"/scenarios/{lists[0].id}").get_data(as_text=True)


def test_live_search_returns_only_the_results_fragment_to_htmx(client, lists):
    fragment = client.get("/scenarios/?q=预审", headers=HTMX)
    text = fragment.get_data(as_text=True)
    assert "政务大厅材料智能<mark>预审</mark>" in text and "礦山" not in text
    assert "<html" not in text and 'id="q"' not in text
    assert "HX-Request" in fragment.headers["Vary"]
    full = client.get("/scenarios/?q=预审").get_data(as_text=True)
    assert "<html" in full and 'id="q"' in full


def test_a_history_restore_gets_the_whole_page(client, lists):
    headers = {**HTMX, "HX-History-Restore-Request": "true"}
    assert "<html" in client.get("/scenarios/?q=预审", headers=headers).get_data(as_text=True)


def test_search_treats_traditional_simplified_and_full_width_alike(client, lists):
    # The words found are marked in the text as written.
    traditional = client.get("/scenarios/?q=矿山边坡", headers=HTMX).get_data(True)
    assert "<mark>礦山邊坡</mark>位移監測" in traditional
    assert "政务大厅" in client.get("/scenarios/?q=ｏｃｒ", headers=HTMX).get_data(True)
    found = client.get("/capabilities/?q=ocr", headers=HTMX).get_data(True)
    assert "<mark>ＯＣＲ</mark><mark>文字识别</mark>平台" in found  # 文字识别 names OCR too


def test_filters_sorting_and_odd_parameters(client, lists):
    by_district = client.get("/scenarios/?district=万州区", headers=HTMX).get_data(True)
    assert "礦山" in by_district and "政务大厅" not in by_district
    by_budget = client.get("/scenarios/?sort=budget", headers=HTMX).get_data(True)
    assert by_budget.index("礦山") < by_budget.index("政务大厅")
    for odd in (
        "?page=abc",
        "?page=999999999999",
        "?sort=drop",
        "?batch=x",
        "?q=%25_%5C",
        "?status=draft",
    ):
        response = client.get("/scenarios/" + odd)
        assert response.status_code == 200, odd
        assert "食堂排队" not in response.get_data(as_text=True)


def test_a_long_list_is_paginated(client, session, lists):
    owner_id = lists[0].organisation_id
    for n in range(25):
        row = Scenario(
            title=f"智慧园区场景第{n}号",
            field="物联网",
            district="渝北区",
            description="园区需要统一的设备接入、能耗监测和安防联动平台，支持多品牌设备。",
            status=ScenarioStatus.published,
            organisation_id=owner_id,
        )
        index_entry(row)
        session.add(row)
    session.commit()
    first = client.get("/scenarios/?q=智慧园区").get_data(as_text=True)
    second = client.get("/scenarios/?q=智慧园区&page=2").get_data(as_text=True)
    assert "25" in first and 'rel="next"' in first and 'rel="prev"' in second


def test_the_batch_filter_shows_only_published_batches_to_the_public(client, session, lists):
    session.add_all(
        [
            Batch(name="2022年第一批", year=2022, number=1, status=BatchStatus.published),
            Batch(name="2023年第一批", year=2023, number=1, status=BatchStatus.draft),
        ]
    )
    session.commit()
    page = client.get("/scenarios/").get_data(as_text=True)
    assert "2022年第一批" in page and "2023年第一批" not in page


def test_a_search_marks_the_words_found_and_escapes_everything_else(client, session, lists):
    row = Scenario(
        title="票据<OCR>识别&核验",
        field="智慧政务",
        district="渝北区",
        description="报销单据需要自动识别金额和抬头，<script>alert(1)</script> 不应被执行。",
        status=ScenarioStatus.published,
        organisation_id=lists[0].organisation_id,
    )
    index_entry(row)
    session.add(row)
    session.commit()
    found = client.get("/scenarios/?q=ocr", headers=HTMX).get_data(as_text=True)
    assert "票据&lt;<mark>OCR</mark>&gt;识别&amp;核验" in found
    assert "<script>" not in found and "&lt;script&gt;" in found
    # Best match first: the title that says OCR before the description that does.
    assert found.index("票据&lt;") < found.index("政务大厅")


def test_the_budget_filter_keeps_scenarios_whose_budget_reaches_into_the_range(client, lists):
    cheap = client.get("/scenarios/?budget_max=200", headers=HTMX).get_data(True)
    assert "政务大厅" in cheap and "礦山" not in cheap
    dear = client.get("/scenarios/?budget_min=500&budget_max=x", headers=HTMX).get_data(True)
    assert "礦山" in dear and "政务大厅" not in dear


def test_a_budget_range_written_backwards_is_pointed_out_with_the_range_the_other_way(
    client, session, lists
):
    backwards = client.get("/scenarios/?budget_min=500&budget_max=100&lang=en", headers=HTMX)
    page = backwards.get_data(as_text=True)
    assert "The lowest budget (500) is above the highest (100)" in page
    swapped = re.search(r'<a href="([^"]+)">Search 100–500 × 10,000 yuan instead', page)
    assert swapped, page
    # The whole page, so that the budget boxes show the range the other way round too.
    found = client.get(swapped.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "政务大厅" in found
    assert re.search(r'id="budget_min"[^>]*value="100"', found)
    assert re.search(r'id="budget_max"[^>]*value="500"', found)
    chinese = client.get("/scenarios/?budget_min=500&budget_max=100&lang=zh", headers=HTMX)
    assert "预算下限（500）高于上限（100）" in chinese.get_data(as_text=True)
    # A wide budget reaches into a backwards range too: it is found, and the range still pointed out.
    wide = Scenario(
        title="全区智慧停车诱导",
        field="智慧交通",
        description="全区路内泊位检测与停车诱导，预算按分期建设安排。",
        status=ScenarioStatus.published,
        budget_min_wan=20,
        budget_max_wan=200,
        organisation_id=lists[0].organisation_id,
    )
    index_entry(wide)
    session.add(wide)
    session.commit()
    found = client.get("/scenarios/?budget_min=100&budget_max=50&lang=en", headers=HTMX).text
    assert "全区智慧停车诱导" in found
    assert "The lowest budget (100) is above the highest (50)" in found


def publish_scenarios(session, owner: int, entries: list[tuple[str, str]]) -> None:
    """Published scenarios of `owner`, (title, description) each, indexed as a save does."""
    for title, description in entries:
        row = Scenario(
            title=title,
            field="智慧政务",
            district="渝北区",
            description=description,
            status=ScenarioStatus.published,
            organisation_id=owner,
        )
        index_entry(row)
        session.add(row)
    session.commit()


def scenarios_found(client, q: str) -> str:
    """The text of the scenario list's live search results for `q` (marks taken out)."""
    page = client.get(f"/scenarios/?q={q}", headers=HTMX).get_data(as_text=True)
    return re.sub(r"<[^>]+>", "", page)


def test_a_search_finds_other_names_and_narrower_jobs_but_not_neighbouring_topics(
    client, session, lists
):
    publish_scenarios(session, lists[0].organisation_id, [
        ("光学字符识别服务", "对扫描件进行光学字符识别，输出可编辑文本。"),
        ("票据识别与报销", "报销单据的票据识别，自动核对金额和抬头。"),
        ("城区路灯改造", "老旧路灯更换为可远程调光的节能灯具。"),
        ("井盖位移监测", "在井盖下加装传感器，位移或丢失即时报警。"),
    ])  # fmt: skip
    found = partial(scenarios_found, client)

    # OCR and 光学字符识别 name one thing; 票据识别 is a narrower job of OCR.
    ocr = found("OCR")
    assert "光学字符识别服务" in ocr and "票据识别与报销" in ocr and "政务大厅" in ocr
    assert "光学字符识别服务" not in found("票据识别")
    # 路灯 and 井盖 are neighbours under 市政: a search for one does not bring the other.
    lamps = found("路灯")
    assert "城区路灯改造" in lamps and "井盖位移监测" not in lamps


def test_a_search_finds_taiwan_and_mainland_wording_without_tearing_mainland_words(
    client, session, lists
):
    publish_scenarios(session, lists[0].organisation_id, [
        ("产品质量追溯", "每批产品质量检测结果上链，可扫码追溯。"),
        ("高品质会议服务", "为大型会议提供高品质的音视频保障。"),
        ("個資保護稽核", "盤點系統中的個資，稽核外洩風險。"),
        ("一个资产台账", "固定资产登记与盘点。"),
    ])  # fmt: skip
    found = partial(scenarios_found, client)

    # 产品质量 stays whole (the Taiwan 品质 → 质量 once made it 产质量量).
    assert "产品质量追溯" in found("产品")
    # 品质 is Taiwan for 质量: it finds both wordings.
    quality = found("品质")
    assert "产品质量追溯" in quality and "高品质会议服务" in quality
    # A Traditional 個資 is the mainland 个人信息, and 个资 is not found inside 一个资产.
    assert "個資保護稽核" in found("个人信息")
    assert "一个资产台账" not in found("个资") and "一个资产台账" in found("资产")


def test_a_search_that_finds_nothing_offers_the_other_list(client, lists):
    page = client.get("/scenarios/?q=手写体&lang=en", headers=HTMX).get_data(as_text=True)
    assert "Nothing matches." in page
    assert "Search the capabilities for “手写体”" in page
    found = client.get("/capabilities/?q=手写体", headers=HTMX).get_data(as_text=True)
    assert "文字识别平台" in found
