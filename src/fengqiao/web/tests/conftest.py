"""Browser fixtures: Playwright driving Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("FENGQIAO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("FENGQIAO_ARTIFACTS", Path.cwd() / "test-artifacts"))
RUN_ID = dt.datetime.now().strftime("%Y%m%d-%H%M%S")


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    path = ARTIFACTS / f"screenshots-{RUN_ID}"
    path.mkdir(parents=True, exist_ok=True)
    return path


LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def need_chromium() -> None:
    """Skip without Debian's Chromium (fail when the run requires it), and copy the vendored
    front-end files (htmx, ECharts, Leaflet) into static files for the pages."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("FENGQIAO_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium")
        pytest.skip("Chromium is not installed (make test installs it)")
    from django.conf import settings

    from fengqiao.web.assets import copy_vendor_assets

    missing = copy_vendor_assets(Path(__file__).resolve().parents[4] / "node_modules", settings.VENDOR_DIR)
    if missing:
        pytest.fail(f"front-end packages missing (run npm ci): {missing}")


def launch(pw):
    return pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)


@pytest.fixture(scope="session")
def browser():
    need_chromium()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = launch(pw)
        yield b
        b.close()


class BrowserThread(threading.Thread):
    """Chromium driven on a thread of its own: the sync API takes one Playwright per thread, and
    the session-wide ``browser`` may hold the test thread's already. ``steps(chromium, seen)``
    runs there and notes what it saw in ``seen``; the test checks the database on its own thread
    (``drive()`` starts it if needed, waits and re-raises what failed there)."""

    def __init__(self, steps):
        super().__init__(daemon=True)
        self.steps, self.seen, self.error = steps, {}, None

    def run(self):
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as pw:
                chromium = launch(pw)
                try:
                    self.steps(chromium, self.seen)
                finally:
                    chromium.close()
        except BaseException as exc:  # re-raised on the test's thread
            self.error = exc

    def drive(self) -> dict:
        if self.ident is None:
            self.start()
        self.join(180)
        if self.is_alive():
            pytest.fail("the browser did not finish within three minutes")
        if self.error is not None:
            raise self.error
        return self.seen


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    yield pg
    context.close()


def login(page, base_url: str, username: str, password: str = "Fengqiao-2026"):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("form[action='/accounts/login/'] button[type=submit]")
