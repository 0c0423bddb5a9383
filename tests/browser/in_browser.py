"""What browser tests do on a page: watch for errors, sign in, check accessibility and layout,
take the screenshots shown in the README."""

import json
import re
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page, Request, expect

from support import PASSWORD

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
# Chromium logs every 4xx/5xx answer, fetches included, as a console error of this form.
_REFUSED = re.compile(r"^Failed to load resource: the server responded with a status of (\d+)")


class PageProblems:
    """Console errors, page errors and failed requests seen by a page; a test ends with none.

    An answer such as 409 that a story provokes on purpose is declared with `expect_refusal`;
    it is then required to happen, once, and every other error still counts.
    """

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.expected: list[int] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("requestfailed", self._failed)
        page.on(
            "response",
            lambda res: res.status >= 500 and self.errors.append(f"{res.status}: {res.url}"),
        )

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        refused = _REFUSED.match(message.text)
        if refused and int(refused.group(1)) in self.expected:
            self.expected.remove(int(refused.group(1)))
            return
        self.errors.append(f"console: {message.text} ({message.location.get('url', '')})")

    def _failed(self, request: Request) -> None:
        # ERR_ABORTED is a request the browser itself dropped: the test moved on to the next
        # page before the last one's favicon or script arrived. Refused, reset, blocked
        # (CSP) or unanswered requests fail with other codes and still count.
        if request.failure != "net::ERR_ABORTED":
            self.errors.append(f"failed: {request.url} ({request.failure})")

    def unexplained(self) -> list[str]:
        """The errors, and any declared refusal that never came."""
        return self.errors + [f"expected a {status} answer" for status in self.expected]


_watched: dict[int, PageProblems] = {}


def watch(page: Page) -> PageProblems:
    """Start recording the problems of `page`."""
    problems = _watched[id(page)] = PageProblems(page)
    page.on("close", lambda closed: _watched.pop(id(closed), None))
    return problems


def expect_refusal(page: Page, status: int) -> None:
    """The story provokes one answer with this status (e.g. 409) on `page` on purpose."""
    _watched[id(page)].expected.append(status)


def sign_in(page: Page, user, lang: str = "en") -> None:  # type: ignore[no-untyped-def]
    """Sign in through the login form, in the given language (remembered from then on)."""
    page.goto(f"/auth/login?lang={lang}")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("form[action$='/auth/logout']")).to_have_count(1)


def from_desk(page: Page, link: str) -> None:
    """Open the officials' Desk menu in the header and follow one of its links."""
    page.get_by_role("navigation", name="Main").get_by_text("Desk", exact=True).click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name=link).click()


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """Run axe-core on the current page; return the violations of the given impacts."""
    # evaluate() runs through the DevTools protocol, so the page's CSP does not block axe.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    # Only violations are read, so axe need not collect every passing node (much faster).
    result = page.evaluate(
        "async () => JSON.stringify(await axe.run(document, {resultTypes: ['violations']}))"
    )
    violations = json.loads(result)["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in impacts
    ]


def sideways_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0: nothing scrolls sideways)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def screenshot(page: Page, name: str, *, full_page: bool = False) -> None:
    """Save a screenshot for docs/ (committed, shown in the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
