"""Officials and firms follow the public lists, batches, published pairings and public saved
searches in a feed reader: every such page announces its Atom feed, and the feed is valid Atom
with the page's newest entries."""

import re
from xml.etree import ElementTree

from posting_data import published

from matchmaker.feeds import atom
from models import (
    Batch,
    BatchStatus,
    Capability,
    OrgKind,
    Recommendation,
    RecommendationStatus,
    SavedSearch,
    Scenario,
    ScenarioStatus,
)
from models._types import utcnow
from support import make_org, make_user

ATOM = "{http://www.w3.org/2005/Atom}"
SLOPE = "露天矿山高陡边坡需要全天候位移监测，数据超过阈值时自动预警，替代人工巡检。"


def make_scenario(session, org, **values):
    """A published scenario (newest of all when made)."""
    defaults = {
        "title": "政务大厅材料智能预审",
        "description": "24小时自助政务大厅需要对申请人提交的材料进行OCR识别和自动预审，减少退件。",
        "field": "智慧政务",
        "district": "渝北区",
        "tags": ["OCR"],
    }
    status = values.pop("status", None)
    entry = published(session, Scenario, org, **{**defaults, **values})
    if status is not None:
        entry.status = status
        session.commit()
    return entry


def make_capability(session, org, **values):
    defaults = {
        "title": "证照OCR识别平台",
        "description": "基于深度学习的文字识别，支持证照、票据和手写体，准确率99%以上。",
        "field": "人工智能",
        "district": "两江新区",
        "tags": ["OCR"],
    }
    return published(session, Capability, org, **{**defaults, **values})


def make_batch(session, *, number: int = 1, published: bool = True) -> Batch:
    batch = Batch(
        name=f"2024年第{number}批",
        year=2024,
        number=number,
        status=BatchStatus.published if published else BatchStatus.draft,
        published_at=utcnow() if published else None,
    )
    session.add(batch)
    session.commit()
    return batch


def read_feed(client, url: str) -> ElementTree.Element:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None
    return feed


def titles(feed: ElementTree.Element) -> list[str]:
    return [entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")]


def alternate(page: str) -> str:
    """The feed address a page announces in its <head>."""
    head = page[: page.index("</head>")]
    start = head.index('<link rel="alternate" type="application/atom+xml"')
    link = head[start : head.index(">", start)]
    return link.split('href="')[1].split('"')[0].replace("&amp;", "&")


def test_the_scenario_list_and_its_filters_have_a_feed_newest_first(client, session):
    bureau = make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    make_scenario(session, bureau, title="政务大厅材料智能预审")
    make_scenario(session, bureau, title="不动产登记材料OCR核验", district="江北区")
    make_scenario(
        session, bureau, title="矿山边坡位移监测", field="物联网", tags=["边坡"], description=SLOPE
    )
    make_scenario(session, bureau, title="未发布的草稿OCR", status=ScenarioStatus.draft)
    # Text pasted with a control character in it cannot break the feed.
    make_scenario(session, bureau, title="档案\x0b数字化OCR", summary="含控制字符")

    page = client.get("/scenarios/?q=OCR&field=智慧政务&sort=title&page=1").get_data(as_text=True)
    url = alternate(page)
    assert url.startswith("/feeds/scenarios.atom?") and "sort" not in url and "page" not in url
    assert 'href="/feeds/scenarios.atom?' in page.split("</head>")[1]  # and a link people see
    feed = read_feed(client, url)
    assert titles(feed) == ["档案数字化OCR", "不动产登记材料OCR核验", "政务大厅材料智能预审"]
    entry = next(feed.iter(f"{ATOM}entry"))
    assert entry.findtext(f"{ATOM}id").startswith("http://localhost/scenarios/")
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "重庆市渝北区政务服务中心"
    assert {c.get("term") for c in entry.iter(f"{ATOM}category")} == {"智慧政务", "渝北区"}
    assert entry.findtext(f"{ATOM}updated").endswith("+08:00")  # China time, like the pages

    everything = read_feed(client, "/feeds/scenarios.atom")
    assert "未发布的草稿OCR" not in titles(everything) and len(titles(everything)) == 4
    assert titles(read_feed(client, "/feeds/capabilities.atom?q=nothing-like-this")) == []
    assert read_feed(client, "/feeds/scenarios.atom?page=²&batch=99999999999999&budget_min=x")


def test_batches_and_published_pairings_have_feeds(client, session):
    bureau = make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    firm = make_org(session, OrgKind.supply, name="重庆星河软件有限公司")
    batch = make_batch(session)
    draft = make_batch(session, number=2, published=False)
    hall = make_scenario(session, bureau, batch_id=batch.id)
    ocr = make_capability(session, firm, batch_id=batch.id)
    session.add(
        Recommendation(
            scenario_id=hall.id,
            capability_id=ocr.id,
            score=0.8,
            status=RecommendationStatus.published,
            batch_id=batch.id,
        )
    )
    session.commit()

    index = client.get("/batches/").get_data(as_text=True)
    assert alternate(index) == "/feeds/batches.atom"
    assert titles(read_feed(client, "/feeds/batches.atom")) == [batch.name]

    detail = client.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert alternate(detail) == f"/feeds/batches/{batch.id}.atom"
    held = titles(read_feed(client, f"/feeds/batches/{batch.id}.atom"))
    assert set(held) == {f"{hall.title} ↔ {ocr.title}", hall.title, ocr.title}
    assert client.get(f"/feeds/batches/{draft.id}.atom").status_code == 404  # not public yet
    assert client.get("/feeds/batches/999.atom").status_code == 404

    pairings = client.get("/batches/pairings").get_data(as_text=True)
    assert alternate(pairings) == "/feeds/pairings.atom"
    assert titles(read_feed(client, "/feeds/pairings.atom")) == [f"{hall.title} ↔ {ocr.title}"]


def test_a_public_saved_search_has_a_feed_a_private_one_has_none(client, session):
    bureau = make_org(session, OrgKind.demand, name="重庆市渝北区政务服务中心")
    make_scenario(session, bureau, title="政务大厅材料智能预审")
    make_scenario(
        session, bureau, title="矿山边坡位移监测", field="物联网", tags=["边坡"], description=SLOPE
    )
    owner = make_user(session, make_org(session, OrgKind.supply, name="重庆星河软件有限公司"))
    shared = SavedSearch(user_id=owner.id, name="政务OCR", q="OCR", public=True)
    private = SavedSearch(user_id=owner.id, name="私下的", q="OCR")
    session.add_all([shared, private])
    session.commit()

    page = client.get(f"/alerts/{shared.id}").get_data(as_text=True)
    assert alternate(page) == f"/feeds/searches/{shared.id}.atom"
    feed = read_feed(client, f"/feeds/searches/{shared.id}.atom")
    assert titles(feed) == ["政务大厅材料智能预审"] and feed.findtext(f"{ATOM}title") == "政务OCR"
    assert client.get(f"/feeds/searches/{private.id}.atom").status_code == 404
    assert client.get(f"/alerts/{private.id}").status_code == 404


def test_an_empty_feed_is_dated_on_the_local_clock_like_its_entries(app):
    with app.app_context():
        xml = atom.document(
            title="空", page_url="http://x/", feed_url="http://x/f.atom", language="zh",
            author="平台", items=[],
        ).decode()  # fmt: skip
    assert re.search(r"<updated>[^<]+\+08:00</updated>", xml), xml
