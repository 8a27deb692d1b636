"""The API's interactive documentation at /api/v1/docs: served entirely from this site, under
its CSP, and it shows every endpoint a member or partner uses."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_proof_of_work import watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_load_nothing_from_elsewhere_and_list_the_endpoints(
    page: Page, live_server: Any
) -> None:
    base = str(live_server.url)
    requested, refused = watch(page)
    page.goto(f"{base}/api/v1/docs")
    expect(page.get_by_role("heading", name="Hotline API")).to_be_visible()
    expect(page.get_by_text("/api/v1/urllist", exact=True).first).to_be_visible()
    expect(page.get_by_text("/api/v1/reports", exact=True).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert requested and all(url.startswith(base) for url in requested), requested
    assert refused == []
