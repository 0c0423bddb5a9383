"""Chinese first, with an English switch that is remembered; no UI string left untranslated."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
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
