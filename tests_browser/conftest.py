"""Browser fixtures: Playwright driving the system's Chromium against Django's live server.

Playwright's own browser downloads are never used: the tests run Debian's
Chromium (or the Chrome a CI image ships), and install Chromium with apt-get
when it is missing and the tests run as root. When no browser can be found or
started the tests fail rather than skip, so a CI run without a browser is red.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, sync_playwright

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
FAILURES = ARTIFACTS / "failures"

# CHROMIUM_PATH wins; then Debian's package; then the Chrome that CI images ship.
CHROMIUM_CANDIDATES = (
    "/usr/bin/chromium",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
)
INSTALL_LOCK = Path("/tmp/aihub-chromium-install.lock")  # noqa: S108
# Without the background-networking switches Chromium keeps dialling Google's
# hosts, which a closed network refuses (and logs) many times a second.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
DEFAULT_TIMEOUT_MS = 15_000

# Reported by the page itself, injected by the test (never by the app): CSP
# violations become console errors, which the console listener collects.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


def _find_chromium() -> str | None:
    override = os.environ.get("CHROMIUM_PATH", "")
    candidates = (override,) if override else CHROMIUM_CANDIDATES
    return next((path for path in candidates if path and os.access(path, os.X_OK)), None)


def _install_chromium() -> str:
    """Debian's chromium package; returns apt's output for the failure message."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "not root, or no apt-get: install Chromium (Debian: apt-get install chromium)"
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    output = []
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
    ):
        result = subprocess.run(  # noqa: S603
            command, env=environment, capture_output=True, text=True, timeout=900, check=False
        )
        output.append(result.stdout[-2000:] + result.stderr[-2000:])
        if result.returncode != 0:
            break
    return "\n".join(output)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    # xdist workers may reach this together; one installs, the others wait for it.
    with INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        executable = _find_chromium()
        if executable is None and not os.environ.get("CHROMIUM_PATH"):
            report = _install_chromium()
            executable = _find_chromium()
            if executable is None:
                pytest.fail(f"Chromium is missing and could not be installed:\n{report}")
    if executable is None:
        pytest.fail(f"CHROMIUM_PATH={os.environ['CHROMIUM_PATH']} is not an executable")
    return executable


@dataclass
class PageProblems:
    """Console errors and uncaught exceptions seen by a page, CSP violations included."""

    messages: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.messages.append(f"console error at {message.location}: {message.text}")

    def page_error(self, error: Error) -> None:
        self.messages.append(f"page error: {error.name}: {error.message}")


@pytest.fixture
def browser(chromium_executable: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread, and Django refuses
    # ORM calls where a loop runs. The test body (seed data, checks) and the live
    # server never share a connection with it, so the guard is lifted for this test only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(
                executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
            )
        except Error as error:
            pytest.fail(f"Chromium at {chromium_executable} did not start: {error}")
        try:
            yield launched
        finally:
            launched.close()


def sign_in(page: Page, user: Any, base_url: str) -> None:
    """Signs `user` in for the page's browser context, as a log-in would."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base_url,
            }
        ]
    )


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(
    browser: Browser,
    live_server: object,
    page_problems: PageProblems,
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=str(live_server),
        viewport={"width": 1280, "height": 800},
        locale="en-GB",
        timezone_id="UTC",
    )
    context.add_init_script(CSP_REPORTER)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    opened = context.new_page()
    opened.on("console", page_problems.console)
    opened.on("pageerror", page_problems.page_error)
    yield opened
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        FAILURES.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        opened.screenshot(path=FAILURES / f"{name}.png", full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Lets the page fixture keep a screenshot of a failed test.
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
