"""Playwright driving Debian's Chromium (headless) against pytest-django's live server."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("HOTLINE_CHROMIUM", "/usr/bin/chromium")
# Chromium's own background traffic (updates, sync, safe browsing) would try to leave the
# machine; the tests talk only to the live server on loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


_BROWSERS: list[Browser] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Close every page as soon as the test body ends, before any fixture is torn down.

    Staff pages send a last welfare heartbeat when they are left; sent while the database
    is being flushed, it would fail the next test. Closed here, it reaches a live server whose
    database is still whole.
    """
    yield
    for browser in _BROWSERS:
        for context in browser.contexts:
            context.close()
    if any(_BROWSERS):
        time.sleep(0.5)  # let a request sent on closing be answered


# Per module, not per session: Playwright's sync API keeps an event loop running in this thread
# while it is open, and the tests after the browser tests (tests/takedown) drive asyncio code
# of their own, which cannot start inside a running loop.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make test` (it installs it) "
            "or set HOTLINE_CHROMIUM."
        )
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it are synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        _BROWSERS.append(browser)
        yield browser
        _BROWSERS.remove(browser)
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
