"""The hash list page in Chromium: a senior analyst signs in with their authenticator code,
finds the empty list from the staff menu, uploads a generated picture (noise and shapes, drawn
here with Pillow), sees its PDQ, SHA-256 and MD5 hashes added and listed, and takes the PDQ
hash off the list with a reason. The pages pass axe-core (WCAG 2.1 AA), load nothing from
elsewhere, and the picture is kept nowhere."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from hotline.hashlist.models import EntryState, HashListEntry
from hotline.hashlist.signals import hash_image
from hotline.portals.models import Portal
from tests.assessment.test_hashlist_page import binary_rows, keeper, synthetic_png
from tests.browser.test_proof_of_work import watch
from tests.browser.test_public_pages import axe_violations, dangling_describedby
from tests.browser.test_staff_ui import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    # axe-core is injected, which the site's CSP rightly refuses: this context bypasses it.
    context = browser.new_context(locale="en-GB", bypass_csp=True)
    yield context
    context.close()


def test_a_senior_uploads_a_picture_and_removes_its_pdq_hash(
    context: BrowserContext, live_server: Any, tn: Portal
) -> None:
    senior = keeper("sam")
    picture = synthetic_png(11)
    expected = hash_image(picture)
    before = binary_rows()
    page = context.new_page()
    requested, _refused = watch(page)
    sign_in(page, live_server.url, senior)

    page.get_by_role("link", name="Hash list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hash list")
    expect(page.get_by_text("The hash list is empty.")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("link", name="Add hashes").first.click()
    upload = page.get_by_test_id("upload-form")
    # Straight from memory: the picture is never a file on this machine either.
    upload.get_by_label("Images").set_input_files(
        {"name": "generated.png", "mimeType": "image/png", "buffer": picture}
    )
    upload.get_by_label("Category").select_option("A")
    assert axe_violations(page) == [] and dangling_describedby(page) == []
    upload.get_by_role("button", name="Hash and add").click()
    expect(page.get_by_test_id("result-summary")).to_contain_text("Added: 3.")
    expect(page.locator('tr[data-kind="pdq"]')).to_contain_text(expected.pdq)
    assert axe_violations(page) == []

    page.get_by_role("link", name="The hash list").click()
    expect(page.get_by_test_id("hashlist-counts")).to_contain_text("3 hashes on the list")
    page.get_by_role("link", name=expected.pdq).click()
    expect(page.get_by_test_id("entry-value")).to_have_text(expected.pdq)
    page.get_by_label("Why it leaves the list").fill("generated test picture")
    page.get_by_role("button", name="Remove from the list").click()
    expect(page.get_by_text("The hash is off the list.")).to_be_visible()
    expect(page.get_by_test_id("entry-facts")).to_contain_text("generated test picture")
    assert axe_violations(page) == []

    pdq = HashListEntry.objects.get(signal_type="pdq")
    assert (pdq.value, pdq.state, pdq.removal_reason) == (
        expected.pdq,
        EntryState.REMOVED,
        "generated test picture",
    )
    assert set(
        HashListEntry.objects.filter(state=EntryState.ACTIVE).values_list("signal_type", "value")
    ) == {("sha256", expected.sha256), ("md5", expected.md5)}
    assert binary_rows() == before
    assert all(url.startswith(live_server.url) for url in requested)
