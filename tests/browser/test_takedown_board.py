"""The takedown board in Chromium: an analyst finds the notice that had nobody to go to at the
top, opens it, reads the notice as it will be sent, routes it by hand (a wrong address is
refused before it is sent, what was typed kept), and sees it leave for the address given. The
board and the notice page pass axe-core (WCAG 2.1 AA) and load nothing from elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from hotline.audit.actions import SYSTEM
from hotline.cases.actions import open_or_attach_case
from hotline.portals.models import Portal
from hotline.takedown import actions
from hotline.takedown.models import Notice, NoticeState, RecipientKind, Takedown
from hotline.takedown.routing import Route
from tests.browser.test_proof_of_work import watch
from tests.browser.test_public_pages import axe_violations
from tests.browser.test_staff_ui import sign_in
from tests.conftest import Analyst, resolve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    # axe-core is injected, which the site's CSP rightly refuses: this context bypasses it.
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    yield context
    context.close()


def test_an_analyst_routes_a_notice_by_hand(
    context: BrowserContext, live_server: Any, tn: Portal, alice: Analyst
) -> None:
    case, _ = open_or_attach_case(canonical_url="http://nowhere.test/x", portal=tn, actor=SYSTEM)
    resolve(case, "A")
    nobody = Route(
        kind=RecipientKind.MANUAL, name="", email="", language="en", because="nobody found"
    )
    notice = actions.create_notice(
        takedown=Takedown.objects.get(case=case), route=nobody, actor=SYSTEM
    )
    page = context.new_page()
    requested, _refused = watch(page)
    sign_in(page, live_server.url, alice)
    page.get_by_role("link", name="Takedown").click()
    row = page.locator(f'tr[data-notice="{notice.pk}"]')
    expect(row).to_contain_text("To route by hand")
    assert axe_violations(page) == []

    row.get_by_role("link").click()
    expect(page.locator("pre.notice-text")).to_contain_text("http://nowhere.test/x")
    page.get_by_label("Recipient").fill("Nowhere Hosting")
    page.get_by_label("E-mail address").fill("not an address")
    page.get_by_role("button", name="Send the notice").click()
    # The browser itself says what is wrong (the server would too: tests/takedown).
    address = page.get_by_label("E-mail address")
    assert address.evaluate("field => field.validity.valid") is False
    expect(page.get_by_label("Recipient")).to_have_value("Nowhere Hosting")
    page.get_by_label("E-mail address").fill("abuse@nowhere.test")
    page.get_by_label("Language of the notice").select_option("fr")
    page.get_by_role("button", name="Send the notice").click()
    expect(page.get_by_text("The notice will be sent to the address you gave.")).to_be_visible()
    expect(page.get_by_test_id("notice-facts")).to_contain_text("abuse@nowhere.test")
    expect(page.locator("pre.notice-text")).to_contain_text("Demande de retrait")
    assert axe_violations(page) == []
    notice.refresh_from_db()
    assert (notice.email, notice.language, notice.state) == (
        "abuse@nowhere.test",
        "fr",
        NoticeState.TO_SEND,
    )
    assert Notice.objects.count() == 1
    assert all(url.startswith(live_server.url) for url in requested)
