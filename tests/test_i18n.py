"""Chinese first, with an English switch that is remembered; no UI string left untranslated."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po
from evidence_files import approved_evidence
from listdata import make_batch, make_capability, make_pairing, make_scenario

from matchmaker.entries.reference import DISTRICTS, FIELDS, QUALIFICATIONS
from matchmaker.web.names import NAMES, reference_label
from models import OrgKind
from models import RecommendationStatus as S
from support import make_org

ROOT = Path(__file__).resolve().parent.parent
SVG = re.compile(r"<svg.*?</svg>", re.S)
CATALOGUE = ROOT / "matchmaker" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"


def test_the_ui_speaks_simplified_chinese_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "场景供需对接平台" in page and "应用场景" in page


def test_the_english_switch_is_remembered(client):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page and "Scenario matching platform" in page
    assert "Scenario matching platform" in client.get("/scenarios/").get_data(as_text=True)
    assert "场景供需对接平台" in client.get("/scenarios/?lang=zh").get_data(as_text=True)


def test_the_language_switch_keeps_the_page_and_its_filters(client):
    page = client.get("/scenarios/?district=渝北区").get_data(as_text=True)
    assert 'href="/scenarios/?district=' in page and "lang=en" in page


def test_a_form_refused_after_a_post_switches_language_to_the_same_form(client):
    # The sign-up refused: "English" leads to the sign-up form, not the home page.
    page = client.post("/auth/register", data={}).get_data(as_text=True)
    assert re.search(r'href="/auth/register\?lang=en"[^>]*>English<', page)


def test_error_pages_are_translated(client):
    assert "找不到该页面" in client.get("/no-such-page").get_data(as_text=True)


def test_every_ui_string_has_a_chinese_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "--no-location",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="zh")
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalogue
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    assert sorted(wanted - translated) == []


def _option(value: str, label: str) -> str:
    return f'<option value="{value}">{label}</option>'


def test_an_english_visitor_reads_reference_names_in_english_and_filters_by_them(client, session):
    """Fields, districts, qualifications and statuses in English; entry texts as written."""
    buyer = make_org(session, OrgKind.demand, name="重庆市某区政务服务中心")
    firm = make_org(session, name="重庆甲软件有限公司")
    scenario = make_scenario(session, buyer)  # 智慧政务, 渝北区
    make_scenario(session, buyer, title="产线设备联网改造", field="工业互联网", district="忠县")
    capability = make_capability(session, firm, qualifications=["专精特新", "国家重点软件企业"])
    make_pairing(session, scenario, capability, S.published, batch_id=make_batch(session).id)

    page = client.get("/scenarios/?lang=en").get_data(as_text=True)
    # The filters offer English names and send the stored Chinese ones.
    assert _option("智慧政务", "Smart government") in page
    assert _option("渝北区", "Yubei District") in page
    assert _option("published", "Published") in page
    # A card: the field and district in English, the title as its author wrote it.
    assert '<span class="pill">Smart government</span>' in page
    assert "<span>Yubei District</span>" in page
    assert scenario.title in page
    assert "shown as written" in page

    # Filtering in English mode sends the stored name and still finds the entry.
    page = client.get("/scenarios/?field=智慧政务").get_data(as_text=True)
    assert scenario.title in page and "产线设备联网改造" not in page
    assert '<option value="智慧政务" selected>Smart government</option>' in page

    page = client.get(f"/scenarios/{scenario.id}").get_data(as_text=True)
    assert "Smart government" in page and "Yubei District" in page and "Published" in page
    assert "智慧政务" not in page and "shown as written" in page
    # The public sees qualifications once verified (issue 13: evidence approved by an official).
    approved_evidence(session, firm, "专精特新", "国家重点软件企业")
    page = client.get(f"/capabilities/{capability.id}").get_data(as_text=True)
    assert "Specialised and innovative SME (&#39;Zhuanjingtexin&#39;)" in page
    assert "National key software enterprise" in page and "Liangjiang New Area" in page

    page = client.get("/statistics/").get_data(as_text=True)
    assert '<th scope="row">Smart government</th>' in page
    assert '<th scope="row">Zhong County</th>' in page
    assert "Industrial internet" in SVG.findall(page)[1]  # the chart by field
    assert '<th scope="row">Published</th>' in page  # a funnel stage
    assert "智慧政务" not in page and "渝北区" not in page
    # A form offers English names and keeps the stored ones as values.
    assert _option("渝北区", "Yubei District") in client.get("/auth/register").get_data(
        as_text=True
    )

    # Chinese pages show the stored names exactly, and no note.
    page = client.get("/scenarios/?lang=zh").get_data(as_text=True)
    assert _option("智慧政务", "智慧政务") in page and '<span class="pill">智慧政务</span>' in page
    assert 'id="as-written"' not in page


def test_every_reference_name_has_an_english_name_and_reads_as_stored_in_chinese(app):
    with app.test_request_context("/?lang=zh"):
        for name in (*FIELDS, *DISTRICTS, *QUALIFICATIONS):
            assert name in NAMES, name
            assert reference_label(name) == name
    with app.test_request_context("/?lang=en"):
        english = [reference_label(name) for name in NAMES]
        assert len(set(english)) == len(english)
        assert not any(re.search(r"[\u4e00-\u9fff]", label) for label in english)
