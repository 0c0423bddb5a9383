"""Lists that stay quick at any size: the search index finds exactly what LIKE finds, in the
same order; a page reached by its "next" link is the page reached by its number; a search
matching more than 1,000 entries says "1,000+"; and the index follows every change."""

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from listdata import make_capability, make_scenario, upload, xlsx
from posting_data import OCR_SCENARIO, member_of, official, sign_in
from sqlalchemy import text
from sqlmodel import Session, select

from matchmaker.entries import listing
from matchmaker.entries.indexing import index_search, search_words
from matchmaker.entries.listing import WEIGHTS, ListQuery
from models import Capability, OrgKind, Scenario
from support import login, make_org, post

SEED = Path(__file__).resolve().parent.parent / "seed" / "data"
HTMX = {"HX-Request": "true", "HX-Target": "results"}
# Two-character words (the index alone decides them), longer ones (LIKE checks what the index
# narrows), Traditional and full-width input, Latin words and digits, a single character,
# concepts with other names, words found nowhere, and LIKE's own wildcards.
QUERIES = [
    "平台", "数据", "监测", "預警", "數據平台", "智慧 园区", "物联网 平台", "人工智能",
    "ＯＣＲ", "ocr", "ai", "5g", "iso27001", "云", "0", "光学字符识别", "区块链 溯源",
    "鲸鱼", "%", "_", "c++", "2020年",
]  # fmt: skip
PUBLIC = {Scenario: ("published", "closed"), Capability: ("published",)}


@pytest.fixture
def seed_lists(session):
    """The seed lists' scenarios and capabilities, each published a minute after the last."""
    orgs = {side: make_org(session, side) for side in (OrgKind.demand, OrgKind.supply)}
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n, (model, name) in enumerate(
        [(Scenario, "scenarios.jsonl"), (Capability, "capabilities.jsonl")]
    ):
        side = OrgKind.demand if model is Scenario else OrgKind.supply
        rows = (json.loads(line) for line in (SEED / name).read_text("utf-8").splitlines())
        for i, raw in enumerate(rows):
            fields = {k: v for k, v in raw.items() if k in model.model_fields and k != "id"}
            entry = model.model_validate({**fields, "organisation_id": orgs[side].id})
            entry.published_at = start + timedelta(minutes=i % 300, days=n)  # ties, on purpose
            index_search(entry)
            session.add(entry)
    session.commit()


def like_search(session: Session, model: type, q: str) -> list[int]:
    """What LIKE '%word%' found before the index, ranked as it ranked them: every word (or
    another name of its concept) in the search text; best match, then newest, first."""
    words = search_words(q)
    ranked = []
    for entry in session.exec(select(model).where(model.status.in_(PUBLIC[model]))):
        found = entry.search_text
        if not all(any(name in found for name in names) for names in words):
            continue
        title = found.split("\n")[0]
        score = 0
        for word, *aliases in words:
            for where, place in (("title", title), ("text", found)):
                score += WEIGHTS["word", where] if word in place else 0
                if any(alias in place for alias in aliases):
                    score += WEIGHTS["alias", where]
        ranked.append((-score, -entry.published_at.timestamp(), -entry.id))
    return [-row[2] for row in sorted(ranked)]


def indexed_search(app, session: Session, model: type, q: str, sort: str) -> list[int]:
    """Every page of the list's search, one after the other."""
    found, page = [], 1
    with app.test_request_context():
        while True:
            query = ListQuery(q=q, field="", district="", status="", batch=None, sort=sort,
                              page=page)  # fmt: skip
            result = listing.search(
                session, model, query, visible_statuses=PUBLIC[model], today=date(2024, 6, 1),
                page_size=100,
            )  # fmt: skip
            assert not result.capped
            found += [item.id for item in result.items]
            if page == result.pages:
                return found
            page += 1


@pytest.mark.parametrize("model", [Scenario, Capability])
def test_the_index_finds_what_like_found_on_the_seed_lists_in_the_same_order(
    app, session, seed_lists, model
):
    for q in QUERIES:
        expected = like_search(session, model, q)
        assert indexed_search(app, session, model, q, "relevance") == expected, q
        newest = indexed_search(app, session, model, q, "newest")
        assert sorted(newest) == sorted(expected), q
    assert like_search(session, model, "平台"), "the seed lists do say 平台"


def titles(html: str) -> list[str]:
    unmarked = html.replace("<mark>", "").replace("</mark>", "")
    return re.findall(r'<a href="/(?:scenarios|capabilities)/\d+">([^<]+)</a>', unmarked)


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def walk(client, url: str | None, rel: str) -> tuple[list[list[str]], str]:
    """The titles of each page reached from `url` by following its `rel` links (in the order
    reached), and the last page."""
    pages, page = [], ""
    while url:
        page = client.get(url, headers=HTMX).get_data(as_text=True)
        pages.append(titles(page))
        url = link(page, rel)
    return pages, page


@pytest.mark.parametrize("sort", ["newest", "title", "deadline", "budget", "relevance"])
def test_a_page_reached_by_its_next_link_is_the_page_of_that_number(app, client, session, sort):
    app.config["PAGE_SIZE"] = 4
    buyer = make_org(session, OrgKind.demand)
    same_time = datetime(2024, 3, 1, tzinfo=UTC)
    for n in range(19):  # ties in every key, and entries without a deadline or a budget
        make_scenario(
            session, buyer, title=f"园区数据平台第{n % 5}号", published_at=same_time + timedelta(
                days=n % 3), deadline=date(2031, 1, 1 + n % 4) if n % 3 else None,
            budget_max_wan=[None, 50.0, 120.0][n % 3],
        )  # fmt: skip
    numbered = []
    for number in range(1, 6):
        page = client.get(f"/scenarios/?q=平台&sort={sort}&page={number}", headers=HTMX)
        numbered.append(titles(page.get_data(as_text=True)))
    assert sum(map(len, numbered)) == 19 and "Page 5 of 5" in client.get(
        f"/scenarios/?q=平台&sort={sort}&page=5&lang=en").get_data(as_text=True)  # fmt: skip

    forwards, last = walk(client, f"/scenarios/?q=平台&sort={sort}", "next")
    assert forwards == numbered
    backwards, _ = walk(client, link(last, "prev"), "prev")
    assert backwards[::-1] == numbered[:-1]
    if sort != "relevance":  # "best match" pages by number, the others by keyset
        assert "after=" in link(client.get(f"/scenarios/?sort={sort}").get_data(True), "next")


def test_a_search_matching_more_than_a_thousand_says_1000_plus(app, client, session):
    firm = make_org(session, OrgKind.supply)
    for n in range(listing.COUNT_CAP + 5):
        entry = Capability(
            title=f"数据中台第{n}号", field="大数据", district="渝北区", status="published",
            description="企业数据中台，统一采集、治理和共享各业务系统的数据。",
            organisation_id=firm.id, published_at=datetime(2024, 1, 1, tzinfo=UTC),
        )  # fmt: skip
        index_search(entry)
        session.add(entry)
    session.commit()

    english = client.get("/capabilities/?q=中台&lang=en").get_data(as_text=True)
    assert "1,000+ results" in english and "Page 1 of 50+" in english
    chinese = client.get("/capabilities/?q=中台&lang=zh").get_data(as_text=True)
    assert "1,000+" in chinese and "条结果" in chinese
    last = client.get("/capabilities/?q=中台&page=99&lang=en").get_data(as_text=True)
    assert "Page 50 of 50+" in last and "Only the first 1,000 are listed" in last
    assert 'rel="next"' not in last
    # Without words the tallies count them all, exactly.
    assert "1005 results" in client.get("/capabilities/?lang=en").get_data(as_text=True)
    api = client.get("/api/v1/capabilities", query_string={"q": "中台"}).get_json()
    assert (api["total"], api["capped"], api["pages"]) == (1000, True, 50)


def fts_is_sound(session: Session) -> None:
    """SQLite's FTS5 tables agree with the rows they index (PostgreSQL keeps its own)."""
    if session.get_bind().dialect.name == "sqlite":
        for table in ("scenario_fts", "capability_fts"):
            session.exec(text(f"INSERT INTO {table}({table}) VALUES ('integrity-check')"))


def test_the_index_follows_every_change_to_an_entry(app, client, session):
    firm = make_org(session, OrgKind.supply)
    entry = make_capability(session, firm, title="无人机巡检平台", status="submitted")
    staff = sign_in(app, official(session))
    assert titles(staff.get("/capabilities/?q=巡检", headers=HTMX).get_data(True)) == [
        "无人机巡检平台"
    ]
    entry.title = "无人机测绘平台"
    index_search(entry)
    session.add(entry)
    session.commit()
    assert titles(staff.get("/capabilities/?q=巡检", headers=HTMX).get_data(True)) == []
    assert titles(staff.get("/capabilities/?q=测绘", headers=HTMX).get_data(True)) == [
        "无人机测绘平台"
    ]
    fts_is_sound(session)
    session.delete(entry)
    session.commit()
    assert titles(staff.get("/capabilities/?q=测绘", headers=HTMX).get_data(True)) == []
    fts_is_sound(session)


def test_an_entry_posted_through_the_form_is_found_at_once(app, session):
    buyer = member_of(session, OrgKind.demand, "重庆市某区政务服务中心")
    browser = sign_in(app, buyer)
    assert post(browser, "/scenarios/new", {**OCR_SCENARIO, "send": "1"}).status_code == 302
    staff = sign_in(app, official(session))
    found = titles(staff.get("/scenarios/?q=预审", headers=HTMX).get_data(True))
    assert found == [OCR_SCENARIO["title"]]
    fts_is_sound(session)


def test_a_capability_card_reads_no_more_than_it_shows(app, session):
    firm = make_org(session, OrgKind.supply)
    make_capability(session, firm, title="说明很长的能力", summary="", description="很长" * 900)
    with app.test_request_context():
        query = ListQuery(q="", field="", district="", status="", batch=None, sort="newest",
                          page=1)  # fmt: skip
        page = listing.search(session, Capability, query, visible_statuses=("published",),
                              today=date(2024, 6, 1))  # fmt: skip
    (card,) = page.items
    assert len(card.description) == listing.CARD_TEXT
    assert not hasattr(card, "tokens") and not hasattr(card, "search_text")


def test_imported_entries_are_found_at_once(app, client, session):
    buyer = member_of(session, OrgKind.demand, "重庆某制造集团")
    login(client, buyer)
    headers = ["场景名称", "场景描述", "所属领域", "所在区县", "截止日期"]
    row = ["注塑车间能耗监测", "注塑车间需要对每台设备的能耗进行在线监测和分析，找出浪费。",
           "工业互联网", "两江新区", "2030-06-30"]  # fmt: skip
    preview = upload(client, "scenarios", xlsx([headers, row]), "场景.xlsx").headers["Location"]
    assert post(client, preview, {"status": "submitted"}).status_code == 302
    staff = sign_in(app, official(session))
    assert titles(staff.get("/scenarios/?q=注塑", headers=HTMX).get_data(True)) == [row[0]]
    fts_is_sound(session)
