"""Browser fixtures: the app behind a real HTTP server on 127.0.0.1, driven in Debian's Chromium."""

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    sync_playwright,
)
from werkzeug.serving import make_server

from in_browser import PageProblems, watch

CHROMIUM = "/usr/bin/chromium"
# Flags for a closed network: no background calls home, no GPU on these machines.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/browser is a browser test."""
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    """The Playwright driver (its Node process; no browser download)."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's headless Chromium, shared by the session's tests."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install-test` installs Debian's chromium")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served over HTTP on a free port of 127.0.0.1; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def new_page(browser: Browser, live_server: str) -> Iterator[Callable[..., Page]]:
    """Open pages in fresh browser contexts (one per person); each must end without problems."""
    opened: list[tuple[BrowserContext, PageProblems]] = []

    def open_page(locale: str = "zh-CN", **options: object) -> Page:
        context = browser.new_context(base_url=live_server, locale=locale, **options)
        context.set_default_timeout(10_000)
        page = context.new_page()
        opened.append((context, watch(page)))
        return page

    yield open_page
    for context, _problems in opened:
        context.close()
    assert [error for _context, problems in opened for error in problems.unexplained()] == []


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    """A fresh browser context and page at the live server; fails on console errors."""
    return new_page()
