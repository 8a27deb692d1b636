"""The partner figures in Chromium: a partner viewer signs in, finds "Figures" in the staff
menu, and reads their portal's charts (drawn by the server, styled under the site's Content
Security Policy without JavaScript) and the tables beside them, in English and in Arabic (right
to left); the page passes axe-core, loads nothing from elsewhere and shows no URL, description,
reference or case id."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from hotline.accounts.models import Role
from hotline.portals.models import Portal
from hotline.stats.charts import COLOURS
from tests.assessment.qa_world import staff
from tests.browser.test_proof_of_work import watch
from tests.browser.test_public_pages import axe_violations
from tests.browser.test_staff_ui import choose_language, sign_in
from tests.conftest import Analyst
from tests.stats.figures_world import make_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def history(tn: Portal, ma: Portal, alice: Analyst) -> list[str]:
    return make_history(tn, ma, alice)


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    # JavaScript off: the charts need none.
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    yield context
    context.close()


@pytest.fixture
def axe_context(browser: Browser) -> Iterator[BrowserContext]:
    # axe-core is injected, which the site's CSP rightly refuses: this context bypasses it.
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    yield context
    context.close()


def test_a_partner_viewer_reads_the_charts_without_javascript_under_the_csp(
    context: BrowserContext, live_server: Any, history: list[str]
) -> None:
    viewer = staff("vera", ["tn"], Role.PARTNER_VIEWER)
    page = context.new_page()
    requested, refused = watch(page)
    # The sign-in form needs no JavaScript either; a partner lands on the figures.
    sign_in(page, live_server.url, viewer, lands_on="Figures: TN")
    expect(page.get_by_test_id("first-week")).to_have_text(
        "First week: reports received 2, confirmed 1"
    )
    activity = page.get_by_role("img", name="Reports, confirmed and removed")
    expect(activity).to_be_visible()
    # The chart's own style applied (its nonce let it in): the first series has its colour.
    fill = activity.locator(".series.serie-0 rect").first.evaluate(
        "bar => getComputedStyle(bar).fill"
    )
    assert fill == rgb(COLOURS[0])
    table = page.get_by_test_id("table-category")
    expect(table.get_by_role("row", name="B Category B 1")).to_be_visible()

    body = page.content()
    for trace in history:
        assert trace not in body
    assert refused == []
    assert all(url.startswith(live_server.url) for url in requested)


def test_the_figures_read_right_to_left_in_arabic_and_pass_axe(
    axe_context: BrowserContext, live_server: Any, history: list[str]
) -> None:
    viewer = staff("vera", ["tn"], Role.PARTNER_VIEWER)
    page = axe_context.new_page()
    sign_in(page, live_server.url, viewer, lands_on="Figures: TN")
    assert axe_violations(page) == []

    choose_language(page, "العربية")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_contain_text("TN")
    assert axe_violations(page) == []


def rgb(colour: str) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"
